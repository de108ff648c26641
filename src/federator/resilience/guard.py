"""PartnerGuard: the layers that wrap every partner connector, composed in one place.

Outside in: metrics and one log line per partner search -> circuit breaker -> time budget
(min(partner timeout, time left before the search deadline), enforced by cancellation and
offered to the protocol clients first, see budget.py) -> retries of transient failures -> the
connector. Whatever happens inside, the guard ends with a Fetch or a PartnerError whose
`kind` says what went wrong and whose message carries no credential; connectors stay plain.
"""

from __future__ import annotations

import asyncio
import logging
import time

from federator.config import Partner, ResilienceSettings
from federator.connector import Connector, Fetch
from federator.errors import PartnerError, PartnerSuspended, PartnerTimeout
from federator.query.model import Query
from federator.resilience.breaker import CircuitBreaker
from federator.resilience.budget import budget as cooperative
from federator.resilience.metrics import Metrics
from federator.resilience.retry import retrying
from federator.resilience.secrets import redact

__all__ = ["DEADLINE_MARGIN", "PartnerGuard"]

log = logging.getLogger("federator.partners")

# A partner's own budget ends this much before the search deadline, so it reports its timeout
# (with the reason) itself instead of being cut off by the fan-out.
DEADLINE_MARGIN = 0.02


class PartnerGuard:
    """One partner's connector with deadlines, retries, circuit breaking, metrics and redaction."""

    def __init__(self, partner: Partner, connector: Connector, *, resilience: ResilienceSettings | None = None,
                 breaker: CircuitBreaker | None = None, metrics: Metrics | None = None):
        self.partner = partner
        self.connector = connector
        self.resilience = resilience or ResilienceSettings()
        self.breaker = breaker
        self.metrics = metrics
        self.attempts = partner.retries or self.resilience.retry.attempts
        # this partner's metric series, looked up once (labels() costs microseconds per call)
        self._series: dict[tuple, object] = {}

    def translate(self, query: Query) -> str:
        return self.connector.translate(query)

    async def search(self, query: Query, *, limit: int, deadline_at: float) -> Fetch:
        """The connector's search under every layer; raises PartnerError subclasses only."""
        pid = self.partner.id
        if self.metrics:
            self._metric("partner_requests").inc()
        try:
            probe = self.breaker.admit() if self.breaker else False
        except PartnerSuspended:
            self._count("suspended")
            raise
        started = time.monotonic()
        try:
            fetch = await self._bounded(query, limit=limit, deadline_at=deadline_at)
        except asyncio.CancelledError:
            # cut off by the fan-out at the deadline (a timeout), or the client went away (no verdict)
            if time.monotonic() >= deadline_at - DEADLINE_MARGIN:
                self._failed(PartnerTimeout("cut off at the search deadline"), started)
            elif probe and self.breaker:
                self.breaker.abandoned()
            raise
        except PartnerError as exc:
            _reword(exc, redact(exc.message))
            self._failed(exc, started)
            raise
        fetch.warnings = [redact(w) for w in fetch.warnings]
        if self.breaker:
            self.breaker.succeeded()
        self._observe(started)
        self._count("ok")
        log.info("partner answered", extra={"partner": pid, "status": "ok", "hits": fetch.hits,
                                            "fetched": len(fetch.records), "skipped": fetch.skipped,
                                            "elapsed_ms": _ms(started)})
        return fetch

    async def _bounded(self, query: Query, *, limit: int, deadline_at: float) -> Fetch:
        left = deadline_at - time.monotonic() - DEADLINE_MARGIN
        budget = min(self.partner.timeout, left)
        if budget <= 0:
            raise PartnerTimeout("no time left before the search deadline")
        tries = [1]

        def on_retry(error: BaseException, wait: float) -> None:
            tries[0] += 1
            if self.metrics:
                self._metric("partner_retries").inc()
            log.info("partner retry", extra={"partner": self.partner.id, "kind": getattr(error, "kind", "error"),
                                             "wait_ms": round(wait * 1000, 1), "attempt": tries[0]})

        async def once() -> Fetch:
            try:
                return await self.connector.search(query, limit=limit)
            except (PartnerError, asyncio.CancelledError, TimeoutError):
                raise
            except Exception as exc:  # a connector bug must not fail the search: it is this partner's error
                log.exception("connector %s failed", self.partner.id)
                raise PartnerError(f"internal error in {self.partner.protocol} connector: "
                                   f"{type(exc).__name__}: {exc}") from exc

        try:
            async with asyncio.timeout(budget):
                with cooperative(budget):
                    fetch = await retrying(once, settings=self.resilience.retry, attempts=self.attempts,
                                           deadline_at=deadline_at - DEADLINE_MARGIN, on_retry=on_retry)
        except TimeoutError:
            why = "the search deadline" if left < self.partner.timeout else "the partner's timeout"
            raise PartnerTimeout(f"no complete answer within {budget:.1f} s ({why})") from None
        except PartnerError as exc:
            if tries[0] > 1:
                _reword(exc, f"{exc.message} (after {tries[0]} tries)")
            raise
        if fetch.skipped and not fetch.records:
            first = next(iter(fetch.warnings), "")
            raise PartnerError(f"none of the {fetch.skipped} records it sent could be read"
                               + (f" ({first})" if first else ""), native_query=fetch.native_query, kind="malformed")
        if tries[0] > 1:
            fetch.warnings.append(f"answered on try {tries[0]} after transient failures")
        return fetch

    def _failed(self, exc: PartnerError, started: float) -> None:
        if self.breaker:
            self.breaker.failed(exc.kind, exc.message, retry_after=exc.retry_after)
        self._observe(started)
        self._count(exc.status, exc.kind)
        log.info("partner failed", extra={"partner": self.partner.id, "status": exc.status, "kind": exc.kind,
                                          "diagnostic": exc.message, "elapsed_ms": _ms(started)})

    def _metric(self, name: str, *labels: str):
        series = self._series.get((name, *labels))
        if series is None:
            series = self._series[(name, *labels)] = getattr(self.metrics, name).labels(self.partner.id, *labels)
        return series

    def _count(self, status: str, kind: str | None = None) -> None:
        if self.metrics:
            self._metric("partner_outcomes", status).inc()
            if kind is not None and status not in ("ok", "unsupported"):
                self._metric("partner_errors", kind).inc()

    def _observe(self, started: float) -> None:
        if self.metrics:
            self._metric("partner_latency").observe(time.monotonic() - started)

    async def close(self) -> None:
        await self.connector.close()


def _reword(exc: PartnerError, message: str) -> None:
    exc.message = message
    exc.args = (message,)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
