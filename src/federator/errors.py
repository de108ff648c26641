"""The exception hierarchy. Query errors map to HTTP 4xx and SRU diagnostics in one place
(federator.api.errors); partner errors become that partner's status, never a failed search."""

from __future__ import annotations


class FederatorError(Exception):
    """Base of every error federator raises on purpose."""


class ConfigError(FederatorError):
    """The configuration is invalid; raised at start-up, never during a search."""


class QueryError(FederatorError):
    """The user's query cannot be run. `diagnostic` is the SRU diagnostic number (1/N)."""

    diagnostic: int = 10  # query syntax error

    def __init__(self, message: str, *, position: int | None = None, details: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position  # 1-based character position in the query, when known
        self.details = details


class QuerySyntaxError(QueryError):
    """CQL that does not parse."""

    diagnostic = 10


class UnsupportedIndexError(QueryError):
    """An index federator does not know at all (not merely one a partner lacks)."""

    diagnostic = 16


class UnsupportedRelationError(QueryError):
    diagnostic = 19


class UnsupportedParameterError(QueryError):
    diagnostic = 8


class QueryTooLongError(QueryError):
    """More characters than the configured limit (a term, a parameter or the whole query)."""

    diagnostic = 12


# The kinds of partner failure (PartnerError.kind), for retries, the circuit breaker and metrics.
FAILURE_KINDS: dict[str, str] = {
    "timeout": "no (complete) answer in time",
    "connect": "the connection could not be made (refused, unreachable, DNS)",
    "reset": "the connection broke before the answer was complete",
    "unavailable": "the partner says it is temporarily unavailable or overloaded (HTTP 429/502/503/504)",
    "http": "any other HTTP error status",
    "auth": "the partner refused our credentials",
    "too_large": "the answer was over the partner's size or record-count bound",
    "malformed": "the answer could not be read (not XML, truncated, wrong protocol)",
    "diagnostic": "the partner answered with a fatal protocol diagnostic",
    "unsupported": "the partner cannot run this query",
    "suspended": "the circuit breaker kept the partner out of this search",
    "error": "anything else, including a connector bug",
}
# Worth another try within the same search.
TRANSIENT_KINDS = frozenset({"connect", "reset", "unavailable"})
# Say the partner itself is unwell: counted by the circuit breaker. The others prove it answered.
BREAKER_KINDS = frozenset({"timeout", "connect", "reset", "unavailable", "http", "auth", "too_large",
                           "malformed"})


class PartnerError(FederatorError):
    """A partner could not answer; becomes the partner's status with this message.

    `kind` names the failure for retries, the circuit breaker and metrics (the kinds are listed
    in federator.resilience): the layer that raises knows it best, so it sets it.
    """

    status = "error"
    kind = "error"
    # Seconds the partner asked us to wait before asking again (HTTP Retry-After), when it said:
    # retries wait at least that long, and the circuit breaker keeps it out of searches until then.
    retry_after: float | None = None

    def __init__(self, message: str, *, native_query: str | None = None, kind: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.native_query = native_query
        if kind is not None:
            self.kind = kind
        if retry_after is not None:
            self.retry_after = retry_after


class PartnerUnsupported(PartnerError):
    """The query uses something this partner cannot run (an index, a relation)."""

    status = "unsupported"
    kind = "unsupported"


class PartnerTimeout(PartnerError):
    status = "timeout"
    kind = "timeout"


class PartnerDiagnostic(PartnerError):
    """The partner answered with a fatal protocol diagnostic (SRU, Bib-1)."""

    status = "error"
    kind = "diagnostic"

    def __init__(self, message: str, *, uri: str | None = None, native_query: str | None = None):
        super().__init__(message, native_query=native_query)
        self.uri = uri


class PartnerSuspended(PartnerError):
    """The partner's circuit breaker is open: it is not asked until `retry_at` (epoch seconds)."""

    status = "suspended"
    kind = "suspended"

    def __init__(self, message: str, *, retry_at: float):
        super().__init__(message)
        self.retry_at = retry_at
