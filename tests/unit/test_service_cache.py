"""The service's cache of finished searches: expiry without further searches (memory goes back)."""

from __future__ import annotations

import asyncio
import time

from federator.config import Settings
from federator.query.model import Clause, Query
from federator.service import SearchResult, SearchService


def settings(ttl: float) -> Settings:
    return Settings.model_validate({
        "partners": [{"id": "p", "name": "P", "endpoint": "http://127.0.0.1:9/sru"}],
        "search": {"cache_ttl": ttl},
    })


def result(text: str, age: float) -> SearchResult:
    query = Query(Clause("any", "=", text), text=text)
    return SearchResult((text, ("p",)), query, [], [], [], elapsed_ms=1.0, created=time.monotonic() - age)


def test_expire_drops_only_searches_older_than_the_ttl():
    service = SearchService(settings(60))
    # put() would drop the old one at once: set both directly, as if time had passed
    service._cache._items[("old", ("p",))] = result("old", age=61)
    service._cache._items[("new", ("p",))] = result("new", age=1)
    assert service.expire() == 1
    assert [r.key for r in service._cache.newest_first()] == [("new", ("p",))]
    assert service.expire() == 0


async def test_expired_searches_leave_the_cache_without_another_search():
    service = SearchService(settings(0.2))
    await service.start()
    try:
        service._store(result("q", age=0))
        assert service.cached(("q", ("p",))) is not None
        for _ in range(40):  # the sweeper runs every second at least
            if not service._cache:
                break
            await asyncio.sleep(0.1)
        assert not service._cache
    finally:
        await service.close()
    assert service._sweeper is None


async def test_sru_result_sets_expire_with_the_cache_without_further_use():
    from federator.api.sru import SRUServer

    service = SearchService(settings(0.2))
    server = SRUServer(service)
    await service.start()
    try:
        server.result_sets.name(result("q", age=0))
        assert len(server.result_sets) == 1
        for _ in range(40):  # the sweeper runs every second at least
            if not len(server.result_sets):
                break
            await asyncio.sleep(0.1)
        assert len(server.result_sets) == 0
    finally:
        await service.close()
