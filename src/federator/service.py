"""The search service: partner selection, fan-out, the merge pipeline and the result cache.

Async lives here and in the connectors only; the pipeline is plain functions over plain data:
fan_out -> cluster (dedup) -> rank -> facets. A finished search is kept for `cache_ttl` seconds
so paging, re-sorting and record look-ups do not ask the partners again.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import httpx

from federator.cache import SearchCache, SharedCache, Snapshot, namespace
from federator.config import Partner, Settings
from federator.connector import Connector, connector_class
from federator.dedup.cluster import Clusterer
from federator.dedup.model import MergedList, MergedRecord, Work, parse_id
from federator.errors import FederatorError, QueryError
from federator.facets import facets as compute_facets
from federator.fanout import ERROR, PartnerOutcome, PartnerStatus, fan_out
from federator.query.model import Clause, Query
from federator.rank import rank
from federator.records.normalise import record_cache
from federator.records.model import Record
from federator.resilience import CircuitBreaker, Metrics, PartnerGuard, register_partner_secrets

log = logging.getLogger(__name__)

SORTS = ("relevance", "title", "author", "year", "year_asc", "holdings")


class UnknownPartnerError(QueryError):
    diagnostic = 8


@dataclass(slots=True)
class SearchResult:
    """A finished federated search: statuses, merged records, works; ranked lazily per sort."""

    key: tuple
    query: Query
    statuses: list[PartnerStatus]
    merged: Sequence[MergedRecord]  # a MergedList from the clusterer: records built when read
    works: list[Work]
    elapsed_ms: float
    created: float = field(default_factory=time.monotonic)
    _ranked: dict[str, Sequence[MergedRecord]] = field(default_factory=dict)
    _facets: dict | None = None

    def ranked(self, sort: str) -> Sequence[MergedRecord]:
        if sort not in self._ranked:
            self._ranked[sort] = rank(self.merged, self.query, sort=sort)
        return self._ranked[sort]

    def facets(self, partner_networks: dict[str, list[str]]) -> dict:
        if self._facets is None:
            self._facets = compute_facets(self.merged, partner_networks=partner_networks)
        return self._facets

    def find(self, record_id: str) -> MergedRecord | None:
        views = self.merged.views if isinstance(self.merged, MergedList) else self.merged
        found = next((m for m in views if m.id == record_id), None)
        return None if found is None else found.full()


@dataclass(slots=True)
class Progress:
    """One step of a search in progress (see SearchService.progress)."""

    outcome: PartnerOutcome | None  # the partner that just finished; None on the last step
    clusterer: Clusterer  # the merged records so far: .merged(), .works()
    changed: list[str]  # ids of the merged records new or changed by this outcome
    result: SearchResult | None  # the finished search, on the last step only


class _Unavailable:
    """Stands in for a partner whose connector cannot be built (e.g. a missing library):
    every search reports the reason as that partner's error instead of failing start-up."""

    protocol = "unavailable"

    def __init__(self, reason: str):
        self.reason = reason

    def translate(self, query: Query) -> str:
        from federator.errors import PartnerError
        raise PartnerError(self.reason)

    async def search(self, query: Query, *, limit: int):  # pragma: no cover - translate raises first
        raise AssertionError

    async def close(self) -> None:
        return None


class SearchService:
    """Owns the partners' connectors (each wrapped in its PartnerGuard), their circuit breakers,
    the metrics, the shared HTTP client and the cache of recent searches."""

    def __init__(self, settings: Settings, *, gateway_url: str = "http://127.0.0.1:8000"):
        self.settings = settings
        self.gateway_url = gateway_url.rstrip("/")
        self.http: httpx.AsyncClient | None = None
        self.connectors: dict[str, Connector] = {}
        self.guards: dict[str, PartnerGuard] = {}
        self.breakers: dict[str, CircuitBreaker] = {}  # kept across reloads while a partner is unchanged
        self.metrics = Metrics(lambda: self.breakers)
        self.started = False
        self._cache: SearchCache[SearchResult] = SearchCache(settings.search.cache_ttl)
        self.shared: SharedCache | None = None  # Redis, when search.shared_cache_url is set
        self._shared_writes: set[asyncio.Task] = set()
        self._inflight: dict[tuple, asyncio.Future[SearchResult]] = {}
        self._sweeper: asyncio.Task | None = None
        # Other holders of finished searches (the SRU server's result sets) expire with the cache.
        self.expiring: list[Callable[[], int]] = []

    @property
    def partner_networks(self) -> dict[str, list[str]]:
        return self.settings.partner_networks()

    async def start(self) -> None:
        # One pooled client for every HTTP-based partner; per-request timeouts come from the
        # partner guards, this is only the outer bound. Redirects are not followed: a partner
        # cannot send the gateway to another address.
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=10.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            follow_redirects=False,
            headers={"User-Agent": "federator/0.1 (union catalog gateway)"},
        )
        self.connectors, self.guards = self._build(self.settings)
        record_cache.resize(self.settings.search.record_cache_size)
        self.shared = self._shared_cache(self.settings)
        self.started = True
        self._sweeper = asyncio.create_task(self._sweep(), name="federator-cache-sweeper")

    def _shared_cache(self, settings: Settings) -> SharedCache | None:
        url = settings.search.shared_cache_url
        if not url:
            return None
        parsed = httpx.URL(url)  # keep a Redis password out of logs and answers
        register_partner_secrets("shared-cache", parsed.username or None, parsed.password or None, None)
        # Searches run under another partner directory (ids, endpoints, limits, index maps) or
        # another merge are not the same searches: the namespace tells them apart.
        partners = [p.model_dump(mode="json") for p in settings.partners if p.enabled]
        return SharedCache(url, settings.search.cache_ttl, errors=self.metrics.shared_cache_errors,
                           namespace=namespace(partners, settings.search.deadline))

    def _build(self, settings: Settings) -> tuple[dict[str, Connector], dict[str, PartnerGuard]]:
        """Connectors and guards for every enabled partner of `settings`; breakers of unchanged
        partners carry over, the others start closed."""
        connectors: dict[str, Connector] = {}
        guards: dict[str, PartnerGuard] = {}
        old = {p.id: p for p in self.settings.partners}
        breakers: dict[str, CircuitBreaker] = {}
        for partner in settings.partners:
            if not partner.enabled:
                continue
            register_partner_secrets(partner.id, *partner.credentials.resolve())
            try:
                cls = connector_class(partner.protocol)
                connectors[partner.id] = cls(partner, http=self.http, gateway_url=self.gateway_url)
            except Exception as exc:  # noqa: BLE001 - one bad partner entry must not stop the gateway
                log.error("partner %s unavailable: %s", partner.id, exc)
                connectors[partner.id] = _Unavailable(f"connector unavailable: {exc}")  # type: ignore[assignment]
            kept = self.breakers.get(partner.id)
            if kept is not None and old.get(partner.id) == partner and kept.settings == settings.resilience.breaker:
                breakers[partner.id] = kept
            else:
                breakers[partner.id] = CircuitBreaker(partner.id, settings.resilience.breaker)
            guards[partner.id] = PartnerGuard(partner, connectors[partner.id], resilience=settings.resilience,
                                              breaker=breakers[partner.id], metrics=self.metrics)
        self.breakers = breakers
        return connectors, guards

    async def reload(self, settings: Settings) -> dict:
        """Switch to a new configuration (partners, networks, limits) without a restart.
        Searches already running finish with the connectors they started with; cached results
        are dropped, since they may name partners that are gone."""
        if not self.started:
            raise RuntimeError("the service has not started")
        before = {p.id for p in self.settings.partners if p.enabled}
        old_connectors = self.connectors
        self.connectors, self.guards = self._build(settings)
        self.settings = settings
        self._cache.clear()
        self._cache.ttl = settings.search.cache_ttl
        record_cache.resize(settings.search.record_cache_size)
        old_shared, self.shared = self.shared, self._shared_cache(settings)
        if old_shared is not None:
            await old_shared.close()
        for pid, connector in old_connectors.items():
            if self.connectors.get(pid) is not connector:
                await _close(connector)
        after = {p.id for p in settings.partners if p.enabled}
        return {"partners": sorted(after), "added": sorted(after - before), "removed": sorted(before - after)}

    async def close(self) -> None:
        self.started = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        for connector in self.connectors.values():
            await _close(connector)
        if self._shared_writes:
            await asyncio.gather(*self._shared_writes, return_exceptions=True)
        if self.shared is not None:
            await self.shared.close()
            self.shared = None
        if self.http is not None:
            await self.http.aclose()

    # -- partner selection -------------------------------------------------------------------

    def select(self, partner_ids: Sequence[str] | None = None, network: str | None = None) -> list[Partner]:
        """The enabled partners a search goes to, in directory order; 4xx on unknown names."""
        chosen = [p for p in self.settings.partners if p.enabled]
        if partner_ids:
            known = {p.id for p in self.settings.partners}
            unknown = [pid for pid in partner_ids if pid not in known]
            if unknown:
                raise UnknownPartnerError(
                    f"unknown partner(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
            wanted = set(partner_ids)
            chosen = [p for p in chosen if p.id in wanted]
        if network:
            networks = {n.id for n in self.settings.networks} | {
                n for p in self.settings.partners for n in p.networks}
            if network not in networks:
                raise UnknownPartnerError(
                    f"unknown network {network!r}; known: {', '.join(sorted(networks))}")
            chosen = [p for p in chosen if network in p.networks]
        if not chosen:
            raise UnknownPartnerError("no enabled partner matches the selection")
        return chosen

    def _targets(self, partners: list[Partner]) -> list[tuple[Partner, PartnerGuard]]:
        # a partner a reload removed while this search was being set up ends as "no outcome"
        return [(p, self.guards[p.id]) for p in partners if p.id in self.guards]

    # -- searching ---------------------------------------------------------------------------

    async def outcomes(self, query: Query, partners: list[Partner]) -> AsyncIterator[PartnerOutcome]:
        """Partner outcomes as they arrive."""
        limit = max((p.max_records for p in partners), default=0)
        async for outcome in fan_out(self._targets(partners), query,
                                     deadline=self.settings.search.deadline, limit=limit):
            yield outcome

    async def progress(self, query: Query, partners: list[Partner]) -> AsyncIterator[Progress]:
        """The search as it goes: after each partner's outcome, the merged records so far.
        Records are merged incrementally (only the new records are matched against the
        clusters); the last step is the finished search, also stored in the cache."""
        key = (query.text, tuple(p.id for p in partners))
        started = time.perf_counter()
        self.metrics.searches.inc()
        clusterer = Clusterer()
        by_id: dict[str, PartnerStatus] = {}
        fetched: list[Record] = []
        async for outcome in self.outcomes(query, partners):
            by_id[outcome.status.partner_id] = outcome.status
            changed = clusterer.update(outcome.records) if outcome.records else []
            if self.shared is not None:  # only the shared cache needs them all in one list
                fetched.extend(outcome.records)
            yield Progress(outcome, clusterer, changed, None)
        statuses = [by_id.get(p.id) or PartnerStatus(p.id, p.name, status=ERROR, diagnostic="no outcome")
                    for p in partners]
        result = _result(key, query, statuses, clusterer,
                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        self._store(result)
        self._share(key, Snapshot(statuses, fetched, result.elapsed_ms))
        yield Progress(None, clusterer, [], result)

    async def search(self, query: Query, partners: list[Partner]) -> SearchResult:
        """The merged result of `query` over `partners`, from the cache while it is fresh."""
        key = (query.text, tuple(p.id for p in partners))
        cached = await self.lookup(key, query)
        if cached is not None:
            return cached
        if key in self._inflight:  # the same search is already running: share it
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[SearchResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = None
            async for step in self.progress(query, partners):
                result = step.result
            assert result is not None
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(result)
        return result

    # -- cache ---------------------------------------------------------------------------------

    def cached(self, key: tuple) -> SearchResult | None:
        """A finished search of this process, while it is fresh."""
        return self._cache.get(key)

    async def lookup(self, key: tuple, query: Query) -> SearchResult | None:
        """A finished search: this process's, else one another gateway process stored in the
        shared cache (merged here once, then kept in this process's cache)."""
        found = self._cache.get(key)
        if found is not None or self.shared is None:
            return found
        snapshot = await self.shared.get(key)
        if snapshot is None:
            return None
        clusterer = Clusterer()
        clusterer.update(snapshot.records)
        found = _result(key, query, snapshot.statuses, clusterer, elapsed_ms=snapshot.elapsed_ms,
                        created=time.monotonic() - snapshot.age)
        self._store(found)
        return found

    def _store(self, result: SearchResult) -> None:
        self._cache.put(result)

    def _share(self, key: tuple, snapshot: Snapshot) -> None:
        """Hand a finished search to the other gateway processes, without delaying its answer."""
        if self.shared is None:
            return
        task = asyncio.create_task(self.shared.put(key, snapshot), name="federator-shared-cache-put")
        self._shared_writes.add(task)
        task.add_done_callback(self._shared_writes.discard)

    def expire(self) -> int:
        """Drop every cached search older than `cache_ttl`; how many were dropped."""
        return self._cache.expire()

    async def _sweep(self) -> None:
        """Expire cached searches (and normalised records) while nobody searches, so their
        memory goes back (to the operating system too, where the C library allows) soon after
        `cache_ttl`."""
        while True:
            await asyncio.sleep(max(1.0, min(self.settings.search.cache_ttl / 4, 30.0)))
            dropped = self.expire() + record_cache.expire(self.settings.search.cache_ttl)
            dropped += sum(expire() for expire in self.expiring)
            if dropped:
                _release_memory()

    # -- record look-up ------------------------------------------------------------------------

    async def record(self, record_id: str) -> tuple[MergedRecord | None, list[PartnerStatus]]:
        """A merged record by its stable id: from a recent search, else by asking the partners
        again for the identifier the id is built from."""
        for result in self._cache.newest_first():
            found = result.find(record_id)
            if found is not None:
                return found, result.statuses
        query, partner_ids, member = query_for_record_id(record_id)
        result = await self.search(query, self.select(partner_ids))
        found = result.find(record_id)
        if found is None:  # the members changed since the id was made: match what it names
            found = next((m for m in result.merged if _names(m, query, member)), None)
        return found, result.statuses


def _result(key: tuple, query: Query, statuses: list[PartnerStatus], clusterer: Clusterer, *,
            elapsed_ms: float, created: float | None = None) -> SearchResult:
    """The finished search from the merge of what its partners returned."""
    result = SearchResult(key, query, statuses, clusterer.merged(), clusterer.works(), elapsed_ms=elapsed_ms)
    if created is not None:
        result.created = created
    return result


def _release_memory() -> None:
    """Hand freed heap back to the operating system (glibc keeps it otherwise)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass


def query_for_record_id(record_id: str) -> tuple[Query, list[str] | None, tuple[str, str] | None]:
    """The search that finds a merged record again from its id (ids: federator.dedup.model):
    (query, the partners to ask or None for all, the member the id names or None)."""
    try:
        kind, value, member = parse_id(record_id)
    except ValueError as exc:
        raise RecordIdError(f"malformed record id {record_id!r}") from exc
    if kind in ("isbn", "issn", "lccn", "oclc") and value:
        return Query(Clause(kind, "=", value), text=f'{kind} = "{value}"'), None, member
    if kind == "rec" and member is not None:
        partner_id, local_id = member
        return Query(Clause("id", "=", local_id), text=f'id = "{local_id}"'), [partner_id], member
    raise RecordIdError(f"malformed record id {record_id!r}")


def _names(merged: MergedRecord, query: Query, member: tuple[str, str] | None) -> bool:
    """Whether `merged` is the record an id names: its member, else its identifier."""
    if member is not None:
        return any((r.partner_id, r.local_id) == member for r in merged.members)
    clause = query.root
    assert isinstance(clause, Clause)
    for r in merged.members:
        values = {"isbn": r.isbns, "issn": r.issns, "lccn": [r.lccn], "oclc": r.oclc_numbers}[clause.index]
        if clause.term in values:
            return True
    return False


async def _close(connector: Connector) -> None:
    try:
        await connector.close()
    except Exception:  # noqa: BLE001 - closing one connector must not stop the others
        log.exception("closing connector")


class RecordIdError(FederatorError):
    """A record id that federator never made."""
