"""Issue 3 acceptance: federated searches through SearchService over three real Zebra partner
libraries, some configured over Z39.50 and some over SRU (tests/support/zebra.py)."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from federator.config import SearchSettings, Settings
from federator.query.cql import parse_cql
from federator.query.params import query_from_params

from federator.service import SearchService

PERL_DBI_ISBN = "9781565926998"  # "Programming the Perl DBI": LoC and Koha records on every partner


@pytest.fixture
async def service_for():
    services = []

    async def make(*partners, deadline: float = 5.0):
        settings = Settings(partners=list(partners), search=SearchSettings(deadline=deadline, cache_ttl=0))
        service = SearchService(settings)
        await service.start()
        services.append(service)
        return service

    yield make
    for service in services:
        await service.close()


def statuses(result) -> dict[str, object]:
    return {s.partner_id: s for s in result.statuses}


async def test_three_partners_over_z3950_and_sru_merge_with_holdings(zebra_partner, service_for):
    service = await service_for(
        zebra_partner("north"),  # Z39.50, MARC 21 (ISO 2709)
        zebra_partner("south", protocol="sru", record_schema="marcxml"),
        zebra_partner("east", options={"opac": True}),  # Z39.50, OPAC record syntax
    )
    result = await service.search(query_from_params(title="perl"), service.select())
    by_partner = statuses(result)
    assert {pid: s.status for pid, s in by_partner.items()} == {"north": "ok", "south": "ok", "east": "ok"}
    assert by_partner["north"].native_query.startswith("@attr 1=4")
    assert "dc.title" in by_partner["south"].native_query
    assert all(s.fetched == s.hits >= 4 for s in by_partner.values())
    dbi = next(m for m in result.merged if PERL_DBI_ISBN in m.isbns)
    assert dbi.title == "Programming the Perl DBI"
    assert dbi.partners == ["east", "north", "south"]
    assert {h.partner_id for h in dbi.holdings} == {"east", "north", "south"}
    assert {h.library for h in dbi.holdings} == {"EAST", "NORTH", "SOUTH"}
    assert all(h.call_number == "QA76.73.P22 D47 2000" for h in dbi.holdings)


async def test_unsupported_index_is_that_partners_status_the_others_answer(zebra_partner, service_for):
    service = await service_for(
        zebra_partner("north"),  # stock Zebra over Z39.50: Bib-1 114
        zebra_partner("south", protocol="sru"),  # stock Zebra over SRU: diagnostic 16
        zebra_partner("east"),  # this library indexes 020 $a as ISBN
    )
    result = await service.search(query_from_params(isbn="1-56592-699-4"), service.select())  # as in 020
    by_partner = statuses(result)
    assert by_partner["north"].status == "unsupported"
    assert "Bib-1 diagnostic 114" in by_partner["north"].diagnostic and "7" in by_partner["north"].diagnostic
    assert by_partner["south"].status == "unsupported" and "16" in by_partner["south"].diagnostic
    assert by_partner["east"].status == "ok" and by_partner["east"].hits >= 1
    assert any(PERL_DBI_ISBN in m.isbns and m.partners == ["east"] for m in result.merged)


async def test_stopped_partner_is_an_error_the_others_answer_in_time(zebra_cluster, zebra_partner, service_for):
    service = await service_for(zebra_partner("north"), zebra_partner("south"),
                                zebra_partner("east", protocol="sru"), deadline=3.0)
    zebra_cluster.stop("south")
    try:
        started = time.perf_counter()
        result = await service.search(parse_cql("dc.title=perl"), service.select())
        elapsed = time.perf_counter() - started
    finally:
        zebra_cluster.start("south")
    by_partner = statuses(result)
    assert by_partner["south"].status in ("error", "timeout")
    assert by_partner["north"].status == by_partner["east"].status == "ok"
    assert by_partner["north"].hits == 5 and by_partner["east"].hits == 4
    assert elapsed < 1.0


async def test_slow_z3950_partner_does_not_delay_the_others(zebra_cluster, zebra_partner, service_for):
    slow = zebra_cluster.delay_proxy("south", 1.0)  # +1 s per round trip (init, search): about 2 s
    service = await service_for(zebra_partner("north"), zebra_partner(slow.name), zebra_partner("east"))
    arrived: dict[str, float] = {}
    outcomes = {}
    started = time.perf_counter()
    async for outcome in service.outcomes(parse_cql("dc.title=perl"), service.select()):
        arrived[outcome.status.partner_id] = time.perf_counter() - started
        outcomes[outcome.status.partner_id] = outcome
    assert all(o.status.status == "ok" for o in outcomes.values())
    assert list(arrived)[-1] == slow.name
    assert arrived["north"] < 0.5 and arrived["east"] < 0.5
    assert arrived[slow.name] >= 1.9
    assert outcomes["north"].status.elapsed_ms < 500 and outcomes[slow.name].status.elapsed_ms >= 1900


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_fifty_concurrent_federated_z3950_searches_leak_nothing(zebra_partner, service_for):
    service = await service_for(zebra_partner("north"), zebra_partner("south"), zebra_partner("east"),
                                deadline=10.0)
    partners = service.select()
    await service.search(parse_cql("dc.title=perl"), partners)  # warm up
    threads, fds = threading.active_count(), _fds()
    words = ["perl", "history", "the", "programming", "guide", "war", "art", "law", "language", "music"]
    queries = [parse_cql(f"dc.title={words[i % 10]} or dc.title=w{i}") for i in range(50)]  # 50 distinct
    started = time.perf_counter()
    results = await asyncio.gather(*(service.search(q, partners) for q in queries))
    assert time.perf_counter() - started < 8
    assert all(s.status == "ok" for r in results for s in r.statuses)
    assert any(r.merged for r in results)
    await asyncio.sleep(0)
    assert threading.active_count() == threads
    assert _fds() <= fds
