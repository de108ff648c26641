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


class PartnerError(FederatorError):
    """A partner could not answer; becomes the partner's status with this message."""

    status = "error"

    def __init__(self, message: str, *, native_query: str | None = None):
        super().__init__(message)
        self.message = message
        self.native_query = native_query


class PartnerUnsupported(PartnerError):
    """The query uses something this partner cannot run (an index, a relation)."""

    status = "unsupported"


class PartnerTimeout(PartnerError):
    status = "timeout"


class PartnerDiagnostic(PartnerError):
    """The partner answered with a fatal protocol diagnostic (SRU, Bib-1)."""

    status = "error"

    def __init__(self, message: str, *, uri: str | None = None, native_query: str | None = None):
        super().__init__(message, native_query=native_query)
        self.uri = uri
