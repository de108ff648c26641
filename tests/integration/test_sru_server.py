"""The gateway's own SRU endpoint (/sru) over real HTTP: the gateway served by uvicorn on a free
port, searching the bundled demo partners (real SRU servers over real HTTP). Every response is
validated against the official SRU 1.x / 2.0, ZeeRex (2.0) and MARCXML schemas
(tests/fixtures/schemas); YAZ's yaz-client and zoomsh are the independent clients; a second
federator that has this one as its only partner shows that federators chain."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator

import httpx
import pytest
from lxml import etree

from federator.api.app import create_app
from federator.config import Partner, SearchSettings, Settings, load_settings
from federator.dedup.model import split_rec_id
from tests.support.servers import free_port, serve_app
from tests.support.sru_checks import (
    DC, DIAG2, MARC, MODS, SRU1, SRU2, SRU2_SCAN, ZEEREX, diagnostics, hits, load_schemas, ns_of, records, text,
    validate)

VERSIONS = ("1.1", "1.2", "2.0")


class Gateway:
    """A running gateway: its HTTP client, base URL and app (for counting federated searches)."""

    def __init__(self, client: httpx.Client, url: str, app):
        self.client, self.url, self.app = client, url, app
        self.federated_searches = 0
        service = app.state.service
        outcomes = service.outcomes

        async def counted(*args, **kwargs) -> AsyncIterator:
            self.federated_searches += 1
            async for outcome in outcomes(*args, **kwargs):
                yield outcome

        service.outcomes = counted


@pytest.fixture(scope="module")
def xsd():
    return load_schemas()


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


def _serve(settings: Settings):
    apps = []

    def factory(url: str):
        apps.append(create_app(settings, gateway_url=url))
        return apps[-1]

    return serve_app(factory=factory), apps


@pytest.fixture(scope="module")
def gateway(settings):
    server, apps = _serve(settings)
    with server as url, httpx.Client(base_url=url, timeout=60) as client:
        yield Gateway(client, url, apps[0])


def sru(gw: Gateway, method: str = "GET", **params) -> etree._Element:
    params = {k.replace("_", "-") if k.startswith("x_") else k: v for k, v in params.items()}
    response = gw.client.get("/sru", params=params) if method == "GET" else gw.client.post("/sru", data=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return etree.fromstring(response.content)


def search(gw: Gateway, version: str, query: str, method: str = "GET", **params) -> etree._Element:
    if version != "2.0":
        params.setdefault("operation", "searchRetrieve")
    return sru(gw, method, version=version, query=query, **params)


def subfields(marc: etree._Element, tag: str, code: str) -> list[str]:
    return [sf.text for df in marc.findall(f"{{{MARC}}}datafield[@tag='{tag}']")
            for sf in df.findall(f"{{{MARC}}}subfield[@code='{code}']")]


def control(marc: etree._Element, tag: str) -> str:
    return marc.findtext(f"{{{MARC}}}controlfield[@tag='{tag}']")


# --- explain ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_explain_lists_indexes_schemas_and_limits(gateway, xsd, settings, version, method):
    root = sru(gateway, method, operation="explain", version=version)
    validate(xsd, root)
    assert etree.QName(root).localname == "explainResponse"
    assert ns_of(root) == (SRU2 if version == "2.0" else SRU1)
    (explain,) = root.iter(f"{{{ZEEREX}}}explain")
    server = explain.find(f"{{{ZEEREX}}}serverInfo")
    assert server.get("version") == version and server.findtext(f"{{{ZEEREX}}}database") == "sru"
    names = {(n.get("set"), n.text) for n in explain.iter(f"{{{ZEEREX}}}name")}
    assert {("dc", "title"), ("dc", "creator"), ("dc", "subject"), ("bath", "isbn"), ("bath", "issn"),
            ("dc", "date"), ("dc", "language"), ("cql", "serverChoice")} <= names
    sortable = {i.get("id") for i in explain.iter(f"{{{ZEEREX}}}index") if i.get("sort") == "true"}
    assert {"title", "author", "year"} <= sortable
    assert {s.get("name") for s in explain.iter(f"{{{ZEEREX}}}schema")} == {"marcxml", "dc", "mods"}
    config = {(e.get("type"), e.text) for e in explain.find(f"{{{ZEEREX}}}configInfo")}
    assert ("numberOfRecords", "10") in config and ("retrieveSchema", "marcxml") in config
    assert ("maximumRecords", str(settings.search.max_page_size)) in config
    description = explain.findtext(f"{{{ZEEREX}}}databaseInfo/{{{ZEEREX}}}description")
    assert "x-partners" in description and "x-network" in description


def test_no_parameters_is_an_sru_2_explain(gateway, xsd):
    root = sru(gateway)
    validate(xsd, root)
    assert ns_of(root) == SRU2 and etree.QName(root).localname == "explainResponse"
    assert root.find(f".//{{{ZEEREX}}}searchInfo/{{{ZEEREX}}}queryExample") is not None


# --- searchRetrieve --------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_search_retrieve_returns_merged_marcxml(gateway, xsd, version, method):
    root = search(gateway, version, "dc.title = sejarah", method, maximumRecords="5")
    validate(xsd, root)
    assert ns_of(root) == (SRU2 if version == "2.0" else SRU1)
    assert hits(root) > 5 and text(root, "nextRecordPosition") == "6"
    assert text(root, "resultSetId")
    found = records(root)
    assert len(found) == 5 and all(etree.QName(r) == etree.QName(MARC, "record") for r in found)
    for marc in found:
        assert "sejarah" in " ".join(subfields(marc, "245", "a")).lower()
        assert subfields(marc, "852", "a") and subfields(marc, "986", "a")
    if version == "1.1":  # the strict 1.1 schema (xQuery required in the echo)
        assert xsd["1.1-strict"].validate(root), xsd["1.1-strict"].error_log


def test_merged_record_lists_every_partners_holdings(gateway, xsd):
    """The MARC layout: 001 = merged id, 035 + 986 per member, one 852 per holding of every
    partner, as the JSON API shows the same merged record."""
    root = search(gateway, "1.2", "indonesia sortBy holdings", maximumRecords="3")
    validate(xsd, root)
    body = gateway.client.get("/search", params={"q": "indonesia", "sort": "holdings", "page_size": 3}).json()
    for marc, shown in zip(records(root), body["records"], strict=True):
        assert control(marc, "001") == shown["id"]
        partners = {x.removeprefix("partner ") for x in subfields(marc, "852", "x")}
        assert partners == {h["partner"] for h in shown["holdings"]}
        assert len(subfields(marc, "852", "a")) == len(shown["holdings"])
        assert sorted(subfields(marc, "852", "p")) == sorted(h["item_id"] for h in shown["holdings"] if h["item_id"])
        members = subfields(marc, "986", "a")
        assert set(members) == partners
        assert subfields(marc, "986", "e") == ["base"]
        assert {f"({p})" for p in members} <= {v.partition(")")[0] + ")" for v in subfields(marc, "035", "a")}
    first = records(root)[0]
    assert len({x for x in subfields(first, "852", "x")}) >= 3, "the top record should be held by 3+ partners"
    statuses = subfields(first, "852", "z")
    assert any(s == "Available" or s.startswith(("On loan", "Reference")) for s in statuses)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
@pytest.mark.parametrize(("schema", "root_name"), [
    ("dc", ("info:srw/schema/1/dc-schema", "dc")),
    ("info:srw/schema/1/dc-v1.1", ("info:srw/schema/1/dc-schema", "dc")),
    ("mods", (MODS, "mods")),
    ("info:srw/schema/1/marcxml-v1.1", (MARC, "record")),
])
def test_record_schemas(gateway, xsd, version, schema, root_name):
    root = search(gateway, version, "dc.title = perl", recordSchema=schema, maximumRecords="4")
    validate(xsd, root)
    found = records(root)
    assert found and all(etree.QName(r) == etree.QName(*root_name) for r in found)
    assert {r.text for r in root.iter(f"{{{ns_of(root)}}}recordSchema")} == {schema}
    if root_name[1] == "dc":
        assert all("perl" in r.findtext(f"{{{DC}}}title").lower() for r in found)
        assert all(r.findtext(f"{{{DC}}}identifier").startswith(("isbn-", "lccn-", "rec-", "oclc-", "issn-"))
                   for r in found)
    if root_name[1] == "mods":
        assert all(r.find(f"{{{MODS}}}location/{{{MODS}}}physicalLocation") is not None for r in found)


def test_record_packing_string(gateway, xsd):
    for version, params in (("1.1", {"recordPacking": "string"}), ("1.2", {"recordPacking": "string"}),
                            ("2.0", {"recordXMLEscaping": "string"})):
        root = search(gateway, version, "dc.title = perl", maximumRecords="2", **params)
        validate(xsd, root)
        data = list(root.iter(f"{{{ns_of(root)}}}recordData"))
        assert len(data) == 2 and all(len(d) == 0 for d in data)
        for d in data:
            marc = etree.fromstring(d.text.encode())
            assert xsd["marcxml"].validate(marc), xsd["marcxml"].error_log


def test_result_count_precision(gateway, xsd):
    """numberOfRecords counts merged records of what partners sent: a minimum when a partner
    found more than it sent (SRU 2.0 resultCountPrecision)."""
    root = search(gateway, "2.0", "dc.title = perl", maximumRecords="0")
    validate(xsd, root)
    assert text(root, "resultCountPrecision").endswith("/exact")
    statuses = gateway.client.get("/search", params={"q": "indonesia"}).json()["partners"]
    assert any(s["hits"] > s["fetched"] for s in statuses)
    root = search(gateway, "2.0", "indonesia", maximumRecords="0")
    validate(xsd, root)
    assert text(root, "resultCountPrecision").endswith("/minimum")


@pytest.mark.parametrize("version", VERSIONS)
def test_empty_result_is_not_a_diagnostic(gateway, xsd, version):
    root = search(gateway, version, "dc.title = zzzyzzyxq", startRecord="1")
    validate(xsd, root)
    assert hits(root) == 0 and not diagnostics(root) and not records(root)


# --- paging, sorting, result sets ------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_paging_a_result_set_does_not_search_again(gateway, xsd, version):
    first = search(gateway, version, "dc.title = indonesia", maximumRecords="20")
    validate(xsd, first)
    total, rsid = hits(first), text(first, "resultSetId")
    assert total > 40
    idle = text(first, "resultSetTTL" if version == "2.0" else "resultSetIdleTime")
    assert int(idle) > 0
    before = gateway.federated_searches
    seen = [control(r, "001") for r in records(first)]
    start = 21
    while start:
        root = search(gateway, version, f'cql.resultSetId = "{rsid}"', startRecord=str(start), maximumRecords="20")
        validate(xsd, root)
        assert hits(root) == total and text(root, "resultSetId") == rsid
        positions = [int(p.text) for p in root.iter(f"{{{ns_of(root)}}}recordPosition")]
        assert positions == list(range(start, start + len(positions)))
        seen += [control(r, "001") for r in records(root)]
        start = int(text(root, "nextRecordPosition") or 0)
    assert len(seen) == len(set(seen)) == total
    # the same query again is the same finished search, with the same id
    again = search(gateway, version, "dc.title = indonesia", startRecord="21", maximumRecords="5")
    assert text(again, "resultSetId") == rsid
    assert [control(r, "001") for r in records(again)] == seen[20:25]
    # a result set re-sorted
    resorted = search(gateway, version, f'cql.resultSetId = "{rsid}" sortBy dc.date/sort.descending',
                      maximumRecords="50", recordSchema="mods")
    validate(xsd, resorted)
    years = [int(y.text) for r in records(resorted) for y in r.iter(f"{{{MODS}}}dateIssued")]
    assert years and years == sorted(years, reverse=True)
    assert gateway.federated_searches == before


@pytest.mark.parametrize(("version", "params", "order"), [
    ("1.2", {"query": "dc.title = indonesia sortBy dc.date/sort.ascending"}, "ascending"),
    ("2.0", {"query": "dc.title = indonesia sortBy dc.date/sort.descending"}, "descending"),
    ("1.1", {"query": "dc.title = indonesia", "sortKeys": "dc.date,,0"}, "descending"),
    ("2.0", {"query": "dc.title = indonesia", "sortKeys": "dc.date,,1"}, "ascending"),
    ("1.2", {"query": "dc.title = indonesia sortBy dc.title"}, "title"),
    ("1.1", {"query": "dc.title = indonesia", "sortKeys": "title"}, "title"),
])
def test_sort_by_and_sort_keys(gateway, xsd, version, params, order):
    root = search(gateway, version, params.pop("query"), maximumRecords="30", recordSchema="dc", **params)
    validate(xsd, root)
    if order == "title":
        titles = [r.findtext(f"{{{DC}}}title").lower() for r in records(root)]
        assert titles[0] <= titles[-1]
        return
    years = [int(r.findtext(f"{{{DC}}}date")) for r in records(root) if r.findtext(f"{{{DC}}}date")]
    assert len(years) > 10 and years == sorted(years, reverse=order == "descending")


# --- diagnostics: HTTP 200, numberOfRecords present, schema-valid -------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("params", "number", "details"), [
    ({"query": 'dc.title = "unclosed'}, 10, "12"),
    ({"query": "dc.title = (sejarah"}, 10, None),
    ({"query": "nosuch.index = x"}, 16, "nosuch.index"),
    ({"query": "dc.title encloses sejarah"}, 19, "encloses"),
    ({"query": "dc.title =/frobnicate sejarah"}, 20, "frobnicate"),
    ({"query": "dc.title = sejarah", "startRecord": "100000"}, 61, "100000"),
    ({"query": "dc.title = sejarah", "recordSchema": "info:srw/schema/1/nonesuch"}, 66, "info:srw/schema/1/nonesuch"),
    ({"query": "dc.title = sejarah", "frobnicate": "1"}, 8, "frobnicate"),
    ({"query": "dc.title = sejarah", "maximumRecords": "many"}, 6, "maximumRecords"),
    ({"query": "dc.title = sejarah", "startRecord": "0"}, 6, "startRecord"),
    ({"query": "dc.title = sejarah", "queryType": "pqf"}, 6, "queryType"),
    ({"query": "dc.title = sejarah", "recordPacking": "zip", "recordXMLEscaping": "zip"}, 71, "zip"),
    ({"query": "dc.title = sejarah", "recordXPath": "/record"}, 72, "/record"),
    ({"query": "dc.title = sejarah", "x-partners": "no-such-library"}, 6, "x-partners"),
    ({"query": "dc.title = sejarah", "x-network": "no-such-network"}, 6, "x-network"),
    ({"query": 'cql.resultSetId = "feedfacefeedface"'}, 51, "feedfacefeedface"),
    ({"query": 'cql.resultSetId = "feedfacefeedface" and dc.title = x'}, 55, None),
    ({"query": "dc.title = sejarah sortBy dc.subject"}, 88, "dc.subject"),
    ({"query": "dc.title = sejarah sortBy dc.title/sort.descending"}, 90, None),
    ({"query": "dc.title = sejarah sortBy dc.title dc.date"}, 84, "1"),
    ({"query": "dc.title = sejarah", "sortKeys": "dc.subject,,1"}, 88, None),
    ({"query": "dc.subject = sejarah", "x-partners": "sman-semarang"}, 16, "subject"),
    ({"operation": "update", "query": "x"}, 4, "update"),
])
def test_diagnostics(gateway, xsd, version, params, number, details):
    params = dict(params)
    if version != "2.0":
        params.setdefault("operation", "searchRetrieve")
    root = sru(gateway, version=version, **params)
    validate(xsd, root)
    assert text(root, "numberOfRecords") is not None
    found = diagnostics(root)
    assert found and found[0][0] == f"info:srw/diagnostic/1/{number}", found
    if details is not None:
        assert found[0][1] == details
    assert not records(root)
    if number == 61:
        assert hits(root) > 0
    else:
        assert hits(root) == 0


def test_missing_query_and_unsupported_version(gateway, xsd):
    root = sru(gateway, operation="searchRetrieve", version="1.2")
    validate(xsd, root)
    assert diagnostics(root) == [("info:srw/diagnostic/1/7", "query")]
    for asked, answered in (("3.0", "2.0"), ("1.0", "1.1"), ("1.3", "1.2")):
        root = sru(gateway, operation="searchRetrieve", version=asked, query="dc.title = perl")
        validate(xsd, root)
        assert diagnostics(root) == [("info:srw/diagnostic/1/5", "2.0")]
        assert ns_of(root) == (SRU2 if answered == "2.0" else SRU1)
        if answered != "2.0":
            assert text(root, "version") == answered


def test_non_sru_requests_get_http_errors(gateway):
    response = gateway.client.post("/sru", content=b"<searchRetrieveRequest/>", headers={"content-type": "text/xml"})
    assert response.status_code == 415
    assert gateway.client.put("/sru", params={"query": "x"}).status_code == 405


def test_a_fault_of_the_gateway_is_an_sru_answer_with_http_500(gateway, xsd):
    service = gateway.app.state.service

    async def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    service.search = broken
    try:
        response = gateway.client.get("/sru", params={"version": "1.2", "operation": "searchRetrieve",
                                                      "query": "dc.title = broken"})
    finally:
        del service.search
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    validate(xsd, root)
    assert diagnostics(root)[0][0] == "info:srw/diagnostic/1/1" and hits(root) == 0


# --- partners that fail are reported, never shown as zero hits -------------------------------------

@pytest.fixture(scope="module")
def gateway_with_a_dead_partner(settings):
    dead = Partner(id="dead-library", name="Unreachable library", protocol="sru",
                   endpoint=f"http://127.0.0.1:{free_port()}/sru", timeout=2)
    server, apps = _serve(settings.model_copy(update={"partners": [*settings.partners, dead]}))
    with server as url, httpx.Client(base_url=url, timeout=60) as client:
        yield Gateway(client, url, apps[0])


def test_partial_and_total_partner_failures(gateway_with_a_dead_partner, xsd):
    gw = gateway_with_a_dead_partner
    root = search(gw, "1.2", "dc.title = perl", maximumRecords="3")
    validate(xsd, root)
    assert len(records(root)) == 3
    assert diagnostics(root) == [("info:srw/diagnostic/1/59", "dead-library")]
    root = search(gw, "2.0", "dc.title = perl", x_partners="dead-library")
    validate(xsd, root)
    assert hits(root) == 0 and diagnostics(root)[0][0] == "info:srw/diagnostic/1/2"
    assert "dead-library" in root.findtext(f".//{{{DIAG2}}}message")


# --- scan ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_scan_titles_across_partners(gateway, xsd, version):
    root = sru(gateway, operation="scan", version=version, scanClause="dc.title = sejarah", maximumTerms="8")
    validate(xsd, root)
    ns = SRU2_SCAN if version == "2.0" else SRU1
    assert ns_of(root) == ns and etree.QName(root).localname == "scanResponse"
    terms = [(t.findtext(f"{{{ns}}}value"), int(t.findtext(f"{{{ns}}}numberOfRecords")))
             for t in root.iter(f"{{{ns}}}term")]
    assert 1 < len(terms) <= 8 and all(count >= 1 for _, count in terms)
    assert terms[0][0].lower().startswith("sejarah")
    assert [t.lower() for t, _ in terms] == sorted(t.lower() for t, _ in terms)
    shifted = sru(gateway, operation="scan", version=version, scanClause="dc.title = sejarah",
                  maximumTerms="8", responsePosition="3")
    validate(xsd, shifted)
    values = [t.text for t in shifted.iter(f"{{{ns}}}value")]
    assert values[2] == terms[0][0] and values[0].lower() < "sejarah"


@pytest.mark.parametrize("version", ["1.2", "2.0"])
@pytest.mark.parametrize(("params", "number"), [
    ({"scanClause": "cql.serverChoice = x"}, 16),
    ({"scanClause": "dc.title = a and dc.title = b"}, 10),
    ({"scanClause": "dc.title = ("}, 10),
    ({"scanClause": "dc.title = sejarah", "responsePosition": "50", "maximumTerms": "5"}, 120),
    ({"scanClause": "dc.date = nineteen"}, 36),
    ({}, 7),
])
def test_scan_diagnostics(gateway, xsd, version, params, number):
    root = sru(gateway, operation="scan", version=version, **params)
    validate(xsd, root)
    assert etree.QName(root).localname == "scanResponse"
    assert diagnostics(root)[0][0] == f"info:srw/diagnostic/1/{number}"


# --- independent clients: YAZ's yaz-client and zoomsh ------------------------------------------------

def _yaz_client(url: str, version: str, method: str, commands: list[str]) -> str:
    script = "\n".join([f"sru {method.lower()} {version}", f"open {url}/sru", "querytype cql", *commands, "quit", ""])
    run = subprocess.run(["yaz-client"], input=script, capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


@pytest.mark.parametrize("version", ["1.2", "2.0"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_yaz_client(gateway, version, method):
    expected = hits(search(gateway, version, "dc.title=sejarah", maximumRecords="0"))
    out = _yaz_client(gateway.url, version, method,
                      ["find dc.title=sejarah", "show 1+2", "schema dc", "show 3+1", "find nosuch.index=x"])
    assert f"Number of hits: {expected}" in out, out
    assert out.count("pos=1 schema=marcxml") == 1 and "pos=2 schema=marcxml" in out
    assert '<record xmlns="http://www.loc.gov/MARC21/slim">' in out and 'tag="852"' in out
    assert "pos=3 schema=dc" in out and "<dc:title>" in out
    assert "SRW diagnostic info:srw/diagnostic/1/16" in out and "Details: nosuch.index" in out


def _zoomsh(url: str, version: str, method: str, *commands: str) -> subprocess.CompletedProcess:
    return subprocess.run(["zoomsh", "-e", f"set sru {method.lower()}", f"set sru_version {version}",
                           f"connect {url}/sru", *commands, "quit"], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_zoomsh(gateway, version, method):
    expected = hits(search(gateway, version, "dc.title=perl", maximumRecords="0"))
    run = _zoomsh(gateway.url, version, method, "set schema marcxml", "search cql:dc.title=perl", "show 0 3")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f": {expected} hits" in run.stdout
    shown = run.stdout.count('<record xmlns="http://www.loc.gov/MARC21/slim">')
    assert shown == min(3, expected) and run.stdout.count('tag="852"') >= shown
    assert "Perl" in run.stdout
    run = _zoomsh(gateway.url, version, method, "search cql:dc.title=perl sortby dc.subject")
    assert run.returncode == 1 and "info:srw/diagnostic/1:88" in run.stdout + run.stderr


# --- chaining: a federator whose partner is another federator ---------------------------------------

def _inner_id(outer_id: str) -> str:
    """Standard-number ids stay the same; a record without one gets the outer partner's rec- id
    around the inner id (the inner record's 001)."""
    return split_rec_id(outer_id)[1] if outer_id.startswith("rec-") else outer_id


@pytest.mark.parametrize(("version", "method"), [("1.2", "GET"), ("2.0", "POST")])
def test_a_federator_is_an_sru_partner_of_another(gateway, xsd, version, method):
    inner = Partner(id="java-network", name="Java union catalog (inner federator)", protocol="sru",
                    endpoint=f"{gateway.url}/sru", sru_version=version, http_method=method,
                    record_schema="marcxml", max_records=60, page_size=30, timeout=20)
    outer_settings = Settings(title="National union catalog (outer federator)", partners=[inner],
                              search=SearchSettings(deadline=25))
    server, _ = _serve(outer_settings)
    with server as url, httpx.Client(base_url=url, timeout=60) as outer:
        body = outer.get("/search", params={"cql": "dc.title = perl", "page_size": 50}).json()
        inner_body = gateway.client.get("/search", params={"cql": "dc.title = perl", "page_size": 50}).json()
        (status,) = body["partners"]
        assert status["status"] == "ok" and status["hits"] == inner_body["total"] == body["total"], status
        inner_items = {r["id"]: sorted(h["item_id"] or "" for h in r["holdings"]) for r in inner_body["records"]}
        for record in body["records"]:  # the same merged records, with every holding
            assert {h["partner"] for h in record["holdings"]} == {"java-network"}
            assert sorted(h["item_id"] or "" for h in record["holdings"]) == inner_items[_inner_id(record["id"])]
        # the holding libraries (852 $a) of several inner partners came through, and the outer
        # federator's own SRU endpoint passes them on again
        query = {"version": "1.2", "operation": "searchRetrieve", "query": "dc.title = perl", "maximumRecords": "50"}
        root = etree.fromstring(outer.get("/sru", params=query).content)
        validate(xsd, root)
        inner_marc = {control(m, "001"): m for m in records(sru(gateway, **query))}
        assert len(records(root)) == len(inner_marc)
        for marc in records(root):
            libraries = subfields(marc, "852", "a")
            assert sorted(libraries) == sorted(subfields(inner_marc[_inner_id(control(marc, "001"))], "852", "a"))
            assert set(subfields(marc, "852", "x")) == {"partner java-network"}
        assert max(len(set(subfields(marc, "852", "a"))) for marc in records(root)) >= 3
