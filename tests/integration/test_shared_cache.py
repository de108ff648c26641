"""The search cache shared by gateway processes through a real Redis server (issue 7).

Two gateways (as two `--workers`, or two hosts) share one redis-server: a search run by one is
answered by the other without asking any partner. Redis down or holding garbage only costs the
cache, never a search.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from federator.api.app import create_app
from federator.cache import SharedCache, Snapshot, decode_record, encode_record, namespace
from federator.config import Settings, load_settings
from federator.fanout import PartnerStatus
from federator.records.model import Holding, MaterialType, Record
from tests.support.redis_server import redis_server
from tests.support.servers import free_port, serve_app


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _settings(**search) -> Settings:
    base = load_settings()
    return base.model_copy(update={"search": base.search.model_copy(update=search)})


def _metric(client: httpx.Client, name: str, **labels: str) -> float:
    """The sum of the samples `name` with `labels`, read from /metrics by prometheus_client."""
    return sum(sample.value for family in text_string_to_metric_families(client.get("/metrics").text)
               for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def _gateway(settings: Settings):
    return serve_app(factory=lambda url: create_app(settings, gateway_url=url))


def test_a_search_run_by_one_gateway_is_answered_by_another_without_asking_partners(redis_url):
    settings = _settings(shared_cache_url=redis_url)
    with _gateway(settings) as a_url, _gateway(settings) as b_url, \
            httpx.Client(base_url=a_url, timeout=30) as a, httpx.Client(base_url=b_url, timeout=30) as b:
        first = a.get("/search", params={"q": "sejarah", "page_size": 50})
        assert first.status_code == 200, first.text
        assert _metric(a, "federator_searches_total") == 1
        assert _metric(a, "federator_partner_requests_total") >= len(settings.partners)  # the names are right
        assert first.json()["total"] > 10

        answered = b.get("/search", params={"q": "sejarah", "page_size": 50})
        assert answered.status_code == 200, answered.text
        one, two = first.json(), answered.json()
        # b merged a's partner records itself: the same merged records, holdings and statuses
        assert two["total"] == one["total"]
        assert [r["id"] for r in two["records"]] == [r["id"] for r in one["records"]]
        assert [r["holdings"] for r in two["records"]] == [r["holdings"] for r in one["records"]]
        assert [(p["id"], p["status"], p["hits"]) for p in two["partners"]] == \
            [(p["id"], p["status"], p["hits"]) for p in one["partners"]]
        assert two["facets"] == one["facets"]
        # ... and asked no partner
        assert _metric(b, "federator_searches_total") == 0
        assert _metric(b, "federator_partner_requests_total") == 0

        # a record of that search resolves on b from its own copy now
        rid = two["records"][0]["id"]
        assert b.get(f"/records/{rid}").status_code == 200
        assert _metric(b, "federator_searches_total") == 0

        # the streaming API finds it there too: the final page with no live search
        body = b.get("/search/stream", params={"q": "sejarah"}).text
        assert "event: done" in body and "event: records" not in body
        assert _metric(b, "federator_searches_total") == 0

        # another search is another entry
        assert b.get("/search", params={"q": "indonesia"}).status_code == 200
        assert _metric(b, "federator_searches_total") == 1
        assert _metric(a, "federator_shared_cache_errors_total") == 0


def test_gateways_with_other_partners_do_not_share_searches(redis_url):
    settings = _settings(shared_cache_url=redis_url)
    fewer = settings.model_copy(update={"partners": settings.partners[:2]})
    with _gateway(settings) as a_url, _gateway(fewer) as b_url, \
            httpx.Client(base_url=a_url, timeout=30) as a, httpx.Client(base_url=b_url, timeout=30) as b:
        assert a.get("/search", params={"q": "ekonomi", "partners": settings.partners[0].id}).status_code == 200
        assert b.get("/search", params={"q": "ekonomi", "partners": settings.partners[0].id}).status_code == 200
        assert _metric(b, "federator_searches_total") == 1


def test_redis_down_costs_the_cache_not_the_search():
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = _settings(shared_cache_url=dead)
    with _gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.get("/search", params={"q": "sejarah"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] > 0
        assert all(p["status"] == "ok" for p in body["partners"]), body["partners"]
        assert _metric(client, "federator_shared_cache_errors_total", operation="read") >= 1
        # the process's own cache still answers paging
        assert client.get("/search", params={"q": "sejarah", "page": 2}).status_code == 200
        assert _metric(client, "federator_searches_total") == 1


def _record(n: int) -> Record:
    return Record("p1", f"id{n}", "marcxml", title=f"Sejarah Jawa {n}", authors=["Soekarno"],
                  isbns=["9789791234567"], year=1999, material_type=MaterialType.BOOK,
                  holdings=[Holding("p1", location="Rak 1", call_number="959.8 SOE")],
                  raw=b"<record>\xc3\xa9</record>", author_dates={"Soekarno": "1901-1970"})


async def test_entries_expire_after_the_ttl_and_garbage_is_a_miss(redis_url):
    import redis.asyncio as redis

    cache = SharedCache(redis_url, ttl=0.3, namespace=namespace("expiry-test"))
    key = ("q", ("p1",))
    snap = Snapshot([PartnerStatus("p1", "P1", hits=1, fetched=1)], [_record(1)], elapsed_ms=12.5)
    try:
        assert await cache.put(key, snap)
        got = await cache.get(key)
        assert got is not None and got.records == snap.records and got.statuses == snap.statuses
        assert 0 <= got.age < 0.3
        await asyncio.sleep(0.45)
        assert await cache.get(key) is None

        client = redis.Redis.from_url(redis_url)
        try:
            for garbage in (b"not zlib", b"x\x01" + b"\x00" * 8):
                await client.set(cache._key(key), garbage)
                assert await cache.get(key) is None
        finally:
            await client.aclose()
    finally:
        await cache.close()


def test_every_demo_record_survives_the_shared_encoding():
    from federator.demo.catalog import DATA_DIR
    from federator.records.normalise import iter_iso2709

    count = 0
    for name in ("loc.mrc", "koha.mrc"):
        for rec in iter_iso2709((DATA_DIR / name).read_bytes(), "demo"):
            assert decode_record(encode_record(rec)) == rec
            count += 1
    assert count > 3000
