"""The JSON API end to end, through real HTTP: the gateway served by uvicorn on a free port,
searching the bundled demo partners (real SRU servers over real HTTP) and an unreachable one."""

from __future__ import annotations

import time

import httpx
import pytest

from federator.api.app import create_app
from federator.config import Partner, Settings, load_settings
from tests.support.servers import free_port, serve_app


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="module")
def gateway(settings):
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


def _search(client: httpx.Client, **params) -> dict:
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_keyword_search_merges_across_partners(gateway, settings):
    body = _search(gateway, q="indonesia", page_size=100)
    statuses = {p["id"]: p for p in body["partners"]}
    assert set(statuses) == {p.id for p in settings.partners if p.enabled}
    ok = [p for p in statuses.values() if p["status"] == "ok"]
    assert len(ok) >= 3, statuses
    for p in ok:
        assert p["native_query"] and p["elapsed_ms"] >= 0 and p["hits"] is not None
    assert body["total"] > 0 and body["records"]
    contributing = {h["partner"] for r in body["records"] for h in r["holdings"]}
    assert len(contributing) >= 3
    shared = [r for r in body["records"] if len({h["partner"] for h in r["holdings"]}) >= 2]
    assert shared, "no merged record lists holdings from two or more partners"
    record = shared[0]
    assert {p["id"] for p in record["partners"]} == {h["partner"] for h in record["holdings"]}
    for h in record["holdings"]:
        assert h["library"] and h["availability"] in {"available", "on_loan", "not_for_loan", "lost", "unknown"}
    for facet in ("partner", "network", "year", "material_type", "language", "author", "subject"):
        assert facet in body["facets"], facet
    partner_counts = {f["value"]: f["count"] for f in body["facets"]["partner"]}
    assert set(partner_counts) <= set(statuses)
    assert max(partner_counts.values()) <= body["total"]


def test_fielded_parameters_become_one_query(gateway):
    body = _search(gateway, title="sejarah", language="ind")
    assert body["query"]["cql"].count("and") >= 1
    assert body["records"], "an Indonesian-language title word should find records"
    for r in body["records"]:
        assert r["language"] == "ind"
        assert "sejarah" in (r["title"] or "").lower()


def test_year_range_and_sort(gateway):
    body = _search(gateway, q="indonesia", year_from=1995, year_to=1999, sort="year", page_size=50)
    years = [r["year"] for r in body["records"]]
    assert years and all(1995 <= y <= 1999 for y in years if y is not None)
    known = [y for y in years if y is not None]
    assert known == sorted(known, reverse=True)


def test_paging_reuses_the_search(gateway):
    first = _search(gateway, q="history", page_size=5, page=1)
    second = _search(gateway, q="history", page_size=5, page=2)
    assert first["total"] == second["total"]
    ids1 = {r["id"] for r in first["records"]}
    ids2 = {r["id"] for r in second["records"]}
    assert ids1 and ids2 and not ids1 & ids2


def test_cql_syntax_error_names_the_position(gateway):
    response = gateway.get("/search", params={"cql": "dc.title = (foo"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "query_syntax"
    assert error["position"] == 12
    assert "12" in error["message"]


def test_unknown_index_is_a_clear_400(gateway):
    response = gateway.get("/search", params={"cql": "foo.bar = x"})
    assert response.status_code == 400
    assert "foo.bar" in response.json()["error"]["message"]


def test_index_a_partner_lacks_makes_it_unsupported(gateway, settings):
    body = _search(gateway, cql='dc.subject = "islam"')
    statuses = {p["id"]: p for p in body["partners"]}
    restricted = [p.id for p in settings.partners if p.demo and p.demo.indexes and "subject" not in p.demo.indexes]
    assert restricted
    for pid in restricted:
        assert statuses[pid]["status"] == "unsupported"
        assert "subject" in statuses[pid]["diagnostic"]
    assert any(s["status"] == "ok" for s in statuses.values())


def test_an_index_no_partner_supports_is_said_plainly(gateway):
    body = _search(gateway, cql='oclc = "12345"')  # no demo partner has an OCLC-number index
    assert {p["status"] for p in body["partners"]} == {"unsupported"}
    assert body["total"] == 0
    assert body["notices"] and "No selected partner can run this query" in body["notices"][0]
    assert "oclc" in body["notices"][0]


def test_bad_parameters_are_400(gateway):
    for params in ({"q": "x", "bogus": "1"}, {"q": "x", "page_size": "100000"}, {"q": "x", "sort": "nonsense"},
                   {}, {"q": "x", "partners": "no-such-library"}, {"q": "x", "network": "atlantis"},
                   {"q": "x", "page": "0"}, {"year_from": "abc"}):
        response = gateway.get("/search", params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"]["message"]


def test_partner_and_network_selection(gateway, settings):
    one = settings.partners[0].id
    body = _search(gateway, q="indonesia", partners=one)
    assert [p["id"] for p in body["partners"]] == [one]
    network = settings.partners[0].networks[0]
    body = _search(gateway, q="indonesia", network=network)
    members = {p.id for p in settings.partners if network in p.networks}
    assert {p["id"] for p in body["partners"]} == members


def test_record_permalink_resolves_now_and_later(gateway, settings):
    body = _search(gateway, q="indonesia", page_size=50)
    record = next(r for r in body["records"] if r["id"].startswith("isbn-"))
    detail = gateway.get(f"/records/{record['id']}").json()
    assert detail["id"] == record["id"] and detail["title"] == record["title"]
    assert detail["merge"]["members"] and detail["merge"]["provenance"]
    # A fresh gateway has no cache: the id alone must find the record again by asking the partners.
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        again = httpx.get(f"{base}/records/{record['id']}", timeout=30)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == record["id"]
    assert gateway.get("/records/nonsense").status_code == 404


def test_partner_directory(gateway, settings):
    body = gateway.get("/partners").json()
    assert {p["id"] for p in body["partners"]} == {p.id for p in settings.partners}
    assert body["networks"]
    first = body["partners"][0]
    for key in ("name", "address", "contact", "networks", "protocol", "endpoint"):
        assert key in first
    assert gateway.get(f"/partners/{first['id']}").json()["name"] == first["name"]
    assert gateway.get("/partners/none").status_code == 404


def test_openapi_describes_the_api(gateway):
    spec = gateway.get("/openapi.json").json()
    for path in ("/search", "/records/{record_id}", "/partners"):
        assert path in spec["paths"]


def test_unreachable_partner_reports_error_and_others_answer(settings):
    dead_port = free_port()  # nothing listens there
    dead = Partner(id="dead-library", name="Unreachable library", protocol="sru",
                   endpoint=f"http://127.0.0.1:{dead_port}/sru", timeout=3)
    with_dead = settings.model_copy(update={"partners": [*settings.partners, dead]})
    with serve_app(factory=lambda url: create_app(with_dead, gateway_url=url)) as base:
        started = time.monotonic()
        response = httpx.get(f"{base}/search", params={"q": "indonesia"}, timeout=30)
        elapsed = time.monotonic() - started
    body = response.json()
    statuses = {p["id"]: p for p in body["partners"]}
    assert statuses["dead-library"]["status"] == "error"
    assert statuses["dead-library"]["diagnostic"]
    assert any("Unreachable library (error)" in n for n in body["notices"])
    assert sum(s["status"] == "ok" for s in statuses.values()) >= 3
    assert body["records"]
    assert elapsed < settings.search.deadline + 1


def test_slow_partner_times_out_at_the_deadline(settings):
    # A listener that accepts connections and never answers: the partner must end as `timeout`
    # at the search deadline while the others' records arrive.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    hang = Partner(id="hanging-library", name="Hanging library", protocol="sru",
                   endpoint=f"http://127.0.0.1:{port}/sru", timeout=30)
    search = settings.search.model_copy(update={"deadline": 2.0})
    slow = settings.model_copy(update={"partners": [*settings.partners, hang], "search": search})
    try:
        with serve_app(factory=lambda url: create_app(slow, gateway_url=url)) as base:
            started = time.monotonic()
            body = httpx.get(f"{base}/search", params={"q": "indonesia"}, timeout=30).json()
            elapsed = time.monotonic() - started
    finally:
        listener.close()
    statuses = {p["id"]: p for p in body["partners"]}
    assert statuses["hanging-library"]["status"] == "timeout"
    assert body["records"]
    assert 1.9 <= elapsed < 2.0 + 1.0


def test_record_without_identifiers_resolves_through_its_partner(gateway, settings):
    body = _search(gateway, q="sound", page_size=100)  # sound recordings rarely carry identifiers
    record = next(r for r in body["records"] if r["id"].startswith("rec-"))
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        again = httpx.get(f"{base}/records/{record['id']}", timeout=30)
    assert again.status_code == 200, again.text
    assert again.json()["title"] == record["title"]
