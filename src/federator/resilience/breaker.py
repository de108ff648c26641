"""The per-partner circuit breaker (F12): a partner that keeps failing is suspended for a time
that depends on how it failed, shown to users as status `suspended` with the reason and the
time it will be tried again, then probed back by one search.

States: closed (searched normally) -> open after `failure_threshold` consecutive failed searches
(suspended until `retry_at`) -> half-open when the first search after `retry_at` probes it ->
closed again when the probe answers, or open for twice as long when it fails (up to
`max_suspension`). Only failures that say the partner itself is unwell count (BREAKER_KINDS):
an unsupported index or a query diagnostic proves the partner is alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from federator.config import BreakerSettings
from federator.errors import BREAKER_KINDS, PartnerSuspended

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "STATE_VALUES", "CircuitBreaker", "iso_time"]

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"
STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}  # the breaker-state gauge's values


def iso_time(epoch: float) -> str:
    """UTC, to the second, as users and monitoring read it."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CircuitBreaker:
    """One partner's breaker. Used from the event loop only, so it needs no lock."""

    def __init__(self, partner_id: str, settings: BreakerSettings, *, clock: Callable[[], float] = time.time):
        self.partner_id = partner_id
        self.settings = settings
        self.clock = clock  # wall clock: retry_at is shown to people
        self.state = CLOSED
        self.failures = 0  # consecutive failed searches
        self.level = 0  # failed probes in a row; each doubles the suspension
        self.retry_at: float | None = None
        self.kind: str | None = None  # kind of the failure that opened it
        self.reason: str | None = None

    def admit(self) -> bool:
        """May a search ask the partner now? True when this search is the probe; raises
        PartnerSuspended while the partner is suspended (or another search is probing it)."""
        if not self.settings.enabled or self.state == CLOSED:
            return False
        if self.state == OPEN and self.clock() >= (self.retry_at or 0):
            self.state = HALF_OPEN
            return True
        raise PartnerSuspended(self.message(), retry_at=self.retry_at or self.clock())

    def message(self) -> str:
        if self.state == HALF_OPEN:
            return f"suspended: {self.reason}; a probe search is asking it now"
        return f"suspended: {self.reason}; next try at {iso_time(self.retry_at or self.clock())}"

    def succeeded(self) -> None:
        self.state, self.failures, self.level = CLOSED, 0, 0
        self.retry_at = self.kind = self.reason = None

    def failed(self, kind: str, message: str, *, retry_after: float | None = None) -> None:
        """Record a failed search; failures of kinds outside BREAKER_KINDS count as answers.
        `retry_after`: the pause the partner asked for (HTTP Retry-After). No search asks it
        again before that has passed, however few failures came before."""
        if kind not in BREAKER_KINDS:
            self.succeeded()
            return
        self.failures += 1
        asked = retry_after or 0.0
        if self.state == HALF_OPEN:
            self.level += 1
            self._open(kind, f"the probe failed too ({message})", at_least=asked)
        elif self.state == CLOSED and self.settings.enabled and self.failures >= self.settings.failure_threshold:
            self._open(kind, f"{self.failures} failed searches in a row, the last: {message}", at_least=asked)
        elif self.state == CLOSED and self.settings.enabled and asked > 0:
            self._open(kind, f"it asked for a pause of {asked:g} s ({message})", seconds=asked)

    def abandoned(self) -> None:
        """The probe ended without a verdict (the client left): the next search probes again."""
        if self.state == HALF_OPEN:
            self.state = OPEN

    def reset(self) -> None:
        self.succeeded()

    def _open(self, kind: str, reason: str, *, at_least: float = 0.0, seconds: float | None = None) -> None:
        if seconds is None:
            base = self.settings.suspension.get(kind, max(self.settings.suspension.values()))
            seconds = base * 2 ** self.level
        seconds = min(max(seconds, at_least), self.settings.max_suspension)
        self.state, self.kind, self.reason = OPEN, kind, reason
        self.retry_at = self.clock() + seconds

    def snapshot(self) -> dict:
        """The breaker as /ready and the admin endpoints show it."""
        return {"state": self.state, "failures": self.failures, "kind": self.kind, "reason": self.reason,
                "retry_at": iso_time(self.retry_at) if self.retry_at else None}
