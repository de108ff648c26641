"""Caches of finished searches: in-process by default, shared through Redis between processes.

A finished search is kept for `search.cache_ttl` seconds so paging, re-sorting, record look-ups
and the same search from another user do not ask the partners again (issue 7).

- `SearchCache` (always on): the finished searches of this process, newest last, bounded in
  number and age. Holds the built `SearchResult`s, so a hit costs nothing.
- `SharedCache` (when `search.shared_cache_url` names a Redis server): what every gateway
  process (`federator serve --workers N`, or several hosts behind a load balancer) has found.
  It stores the search's *input* to the merge (each partner's status and normalised records),
  not the merged records: records are flat data with a stable encoding, the merge is
  deterministic and cheap next to asking the partners again, and merged records then never
  depend on which process built them. A process that finds a search there merges it once and
  keeps the result in its own `SearchCache`.

Redis is an accelerator, never a dependency of a search: any failure to reach it (down, slow,
full) counts as a miss, is logged at most once a minute and counted in
`federator_shared_cache_errors_total`; the search then runs normally. Entries expire in Redis
after `cache_ttl` (SET with PX), so memory there is bounded by the search rate times the TTL.
The stored form is versioned JSON (never pickle: whoever can write to the Redis server must not
be able to run code in the gateway), compressed with zlib.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import time
import zlib
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import orjson

from federator.fanout import PartnerStatus
from federator.records.model import Availability, Holding, MaterialType, Record

log = logging.getLogger(__name__)

CACHE_MAX_SEARCHES = 256
FORMAT_VERSION = 1
SHARED_TIMEOUT = 0.25  # seconds for one Redis call: a slower cache is worse than none
_WARN_EVERY = 60.0


class _Cached(Protocol):
    key: Hashable
    created: float  # time.monotonic() when the search finished


T = TypeVar("T", bound=_Cached)


class SearchCache(Generic[T]):
    """This process's finished searches: least recently used first, at most `max_searches`,
    none older than `ttl` seconds (ttl 0 keeps nothing)."""

    def __init__(self, ttl: float, max_searches: int = CACHE_MAX_SEARCHES):
        self.ttl = ttl
        self.max_searches = max_searches
        self._items: OrderedDict[Hashable, T] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def newest_first(self) -> Iterator[T]:
        return reversed(list(self._items.values()))

    def get(self, key: Hashable) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        if time.monotonic() - item.created > self.ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item

    def put(self, item: T) -> None:
        if self.ttl <= 0:
            return
        self._items[item.key] = item
        self._items.move_to_end(item.key)
        now = time.monotonic()
        while self._items and (len(self._items) > self.max_searches
                               or now - next(iter(self._items.values())).created > self.ttl):
            self._items.popitem(last=False)

    def expire(self) -> int:
        """Drop every search older than the TTL; how many were dropped."""
        now = time.monotonic()
        old = [key for key, item in self._items.items() if now - item.created > self.ttl]
        for key in old:
            del self._items[key]
        return len(old)

    def clear(self) -> None:
        self._items.clear()


# -- the shared cache ---------------------------------------------------------------------------

@dataclass(slots=True)
class Snapshot:
    """What a finished search fetched: the input of the merge, as stored in the shared cache."""

    statuses: list[PartnerStatus]
    records: list[Record]
    elapsed_ms: float
    age: float = 0.0  # seconds since the search finished (set when read back)


def encode_record(rec: Record) -> dict:
    out = {}
    for f in dataclasses.fields(Record):
        value = getattr(rec, f.name)
        if f.name == "holdings":
            value = [dataclasses.asdict(h) for h in value]
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        out[f.name] = value  # enums are str subclasses: orjson writes their value
    return out


def decode_record(data: dict) -> Record:
    data = dict(data)
    data["holdings"] = [Holding(**{**h, "availability": Availability(h["availability"])})
                        for h in data.get("holdings", ())]
    data["material_type"] = MaterialType(data.get("material_type", MaterialType.OTHER.value))
    if data.get("raw") is not None:
        data["raw"] = base64.b64decode(data["raw"])
    return Record(**data)


def encode_snapshot(snapshot: Snapshot, *, finished_at: float) -> bytes:
    doc = {
        "v": FORMAT_VERSION,
        "finished_at": finished_at,  # wall clock: processes do not share a monotonic clock
        "elapsed_ms": snapshot.elapsed_ms,
        "statuses": [dataclasses.asdict(st) for st in snapshot.statuses],
        "records": [encode_record(r) for r in snapshot.records],
    }
    return zlib.compress(orjson.dumps(doc), 1)


def decode_snapshot(blob: bytes, *, now: float) -> Snapshot:
    doc = orjson.loads(zlib.decompress(blob))
    if doc.get("v") != FORMAT_VERSION:
        raise ValueError(f"shared cache entry of format {doc.get('v')!r}, expected {FORMAT_VERSION}")
    return Snapshot(statuses=[PartnerStatus(**st) for st in doc["statuses"]],
                    records=[decode_record(r) for r in doc["records"]],
                    elapsed_ms=doc["elapsed_ms"],
                    age=max(0.0, now - doc["finished_at"]))


def namespace(*parts: object) -> str:
    """A key prefix naming the configuration a search ran under: gateways with other partners
    (or other endpoints behind the same partner id) sharing one Redis never see each other's
    searches."""
    return hashlib.sha256(orjson.dumps([repr(p) for p in parts])).hexdigest()[:16]


class SharedCache:
    """Snapshots of finished searches in Redis, for every gateway process of one deployment."""

    def __init__(self, url: str, ttl: float, *, namespace: str, errors=None):
        import redis.asyncio as redis  # only deployments that configure it need the package

        self.url = url
        self.ttl = ttl
        self.namespace = namespace
        self._errors = errors  # a prometheus Counter, or None
        self._last_warning = 0.0
        self._client = redis.Redis.from_url(url, socket_timeout=SHARED_TIMEOUT,
                                            socket_connect_timeout=SHARED_TIMEOUT, retry_on_timeout=False)

    def _key(self, key: Hashable) -> str:
        digest = hashlib.sha256(orjson.dumps(key)).hexdigest()  # (query text, partner ids)
        return f"federator:v{FORMAT_VERSION}:{self.namespace}:search:{digest}"

    async def get(self, key: Hashable) -> Snapshot | None:
        try:
            blob = await self._client.get(self._key(key))
            return None if blob is None else decode_snapshot(blob, now=time.time())
        except Exception as exc:  # noqa: BLE001 - a cache failure is a miss, never a failed search
            self._failed("read", exc)
            return None

    async def put(self, key: Hashable, snapshot: Snapshot) -> bool:
        if self.ttl <= 0:
            return False
        try:
            blob = encode_snapshot(snapshot, finished_at=time.time())
            await self._client.set(self._key(key), blob, px=max(1, int(self.ttl * 1000)))
            return True
        except Exception as exc:  # noqa: BLE001
            self._failed("write", exc)
            return False

    async def close(self) -> None:
        try:
            await self._client.aclose()
        except Exception:  # noqa: BLE001 - closing a broken connection is not news
            pass

    def _failed(self, what: str, exc: Exception) -> None:
        if self._errors is not None:
            self._errors.labels(operation=what).inc()
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            log.warning("shared search cache %s failed (%s: %s); searching without it",
                        what, type(exc).__name__, exc)
