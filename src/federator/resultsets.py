"""Named result sets (SRU resultSetId): an id for a finished federated search, kept while used.

The service keeps finished searches for `cache_ttl` seconds, keyed by query and partners; a
result set id names one of those SearchResult objects so that a client can page through it or
re-sort it (`query=cql.resultSetId="<id>"`) without the federated search running again. The
time to live counts from the last use (SRU's resultSetIdleTime), at most `cache_ttl`; the
registry is bounded like the service cache, dropping the least recently used set first. A
search that the service answers from its cache gets the id it already has.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from federator.service import SearchResult

__all__ = ["ResultSets"]


@dataclass(slots=True)
class _Entry:
    result: SearchResult
    ttl: float
    used: float


class ResultSets:
    """resultSetId -> SearchResult, each kept `ttl` seconds after its last use."""

    def __init__(self, ttl: float, *, max_sets: int = 256, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_sets = max_sets
        self._clock = clock
        self._sets: OrderedDict[str, _Entry] = OrderedDict()
        self._ids: dict[tuple, str] = {}  # (result key, created) -> id

    def name(self, result: SearchResult, ttl: float | None = None) -> tuple[str, int]:
        """The id of `result` (made on first use) and the seconds it stays available."""
        self.expire()
        ttl = self.ttl if ttl is None else min(float(ttl), self.ttl)
        identity = (result.key, result.created)
        rsid = self._ids.get(identity)
        if rsid is None or rsid not in self._sets:
            rsid = secrets.token_hex(8)
            self._ids[identity] = rsid
        self._sets[rsid] = _Entry(result, ttl, self._clock())
        self._sets.move_to_end(rsid)
        while len(self._sets) > self.max_sets:
            self._drop(next(iter(self._sets)))
        return rsid, int(ttl)

    def get(self, rsid: str) -> SearchResult | None:
        """The result set `rsid` (its idle time starts again), or None when unknown or expired."""
        self.expire()
        entry = self._sets.get(rsid)
        if entry is None:
            return None
        entry.used = self._clock()
        self._sets.move_to_end(rsid)
        return entry.result

    def ttl_of(self, rsid: str) -> int:
        entry = self._sets.get(rsid)
        return int(entry.ttl) if entry else 0

    def __len__(self) -> int:
        return len(self._sets)

    def expire(self) -> int:
        """Drop every result set idle for longer than its TTL; how many were dropped. Also run
        by the service's sweeper, so an idle gateway gives their memory back."""
        now = self._clock()
        old = [r for r, e in self._sets.items() if now - e.used > e.ttl]
        for rsid in old:
            self._drop(rsid)
        return len(old)

    def _drop(self, rsid: str) -> None:
        entry = self._sets.pop(rsid)
        self._ids.pop((entry.result.key, entry.result.created), None)
