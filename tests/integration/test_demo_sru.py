"""The demo partners' SRU servers over real HTTP (uvicorn on a free loopback port), responses
validated against the official SRU 1.x / 2.0 and MARCXML schemas (tests/fixtures/schemas)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.routing import Mount

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # tests.support is a plain package beside the tests
    sys.path.insert(0, str(ROOT))

from federator.config import PROJECT_CONFIG, load_settings  # noqa: E402
from federator.demo.sru_app import create_demo_app  # noqa: E402
from tests.support.servers import serve_app  # noqa: E402
from tests.support.sru_checks import (  # noqa: E402
    DC, MARC, MODS, SRU1, SRU2, ZEEREX, diagnostics, hits, load_schemas, ns_of, records, text, validate)


@pytest.fixture(scope="module")
def xsd():
    return load_schemas()


@pytest.fixture(scope="module")
def server():
    settings = load_settings(PROJECT_CONFIG)
    demo = create_demo_app([p for p in settings.partners if p.demo is not None], preload=False)
    demo.state.sru.warm()
    # mounted under /demo, exactly as the gateway does
    app = Starlette(routes=[Mount("/demo", app=demo)])
    with serve_app(app) as base_url:
        with httpx.Client(base_url=f"{base_url}/demo", timeout=20) as client:
            yield client


def sru(client: httpx.Client, partner: str, method: str = "GET", **params) -> etree._Element:
    if method == "GET":
        response = client.get(f"/{partner}/sru", params=params)
    else:
        response = client.post(f"/{partner}/sru", data=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return etree.fromstring(response.content)


# --- explain --------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_explain_lists_indexes_and_schemas(server, xsd, version):
    root = sru(server, "pusnas-demo", operation="explain", version=version)
    validate(xsd, root)
    assert etree.QName(root).localname == "explainResponse"
    assert ns_of(root) == (SRU2 if version == "2.0" else SRU1)
    (explain,) = root.iter(f"{{{ZEEREX}}}explain")
    assert explain.find(f"{{{ZEEREX}}}serverInfo").get("version") == version
    assert explain.findtext(f"{{{ZEEREX}}}serverInfo/{{{ZEEREX}}}database") == "demo/pusnas-demo/sru"
    names = {(n.get("set"), n.text) for n in explain.iter(f"{{{ZEEREX}}}name")}
    assert {("dc", "title"), ("dc", "creator"), ("dc", "subject"), ("bath", "isbn"), ("bath", "issn"),
            ("dc", "date"), ("cql", "serverChoice")} <= names
    schemas = {s.get("name") for s in explain.iter(f"{{{ZEEREX}}}schema")}
    assert schemas == {"marcxml", "dc", "mods"}
    assert "(demo)" in explain.findtext(f"{{{ZEEREX}}}databaseInfo/{{{ZEEREX}}}title")


def test_explain_of_the_restricted_partner_omits_its_missing_indexes(server, xsd):
    root = sru(server, "sman-semarang", operation="explain")
    validate(xsd, root)
    ids = {i.get("id") for i in root.iter(f"{{{ZEEREX}}}index")}
    assert "title" in ids and "subject" not in ids and "isbn" not in ids


def test_no_parameters_is_explain_in_the_configured_version(server, xsd):
    root = sru(server, "unr-jakarta")
    validate(xsd, root)
    assert ns_of(root) == SRU2 and etree.QName(root).localname == "explainResponse"


# --- searchRetrieve -----------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_search_retrieve_each_version(server, xsd, version):
    root = sru(server, "pusnas-demo", operation="searchRetrieve", version=version,
               query='dc.title = sumbangsih', recordSchema="marcxml")
    validate(xsd, root)
    assert ns_of(root) == (SRU2 if version == "2.0" else SRU1)
    if version != "2.0":
        assert text(root, "version") == version
    assert hits(root) == 1
    (marc,) = records(root)
    assert etree.QName(marc) == etree.QName(MARC, "record")
    assert marc.findtext(f"{{{MARC}}}controlfield[@tag='001']").startswith("pusnas-demo-")
    title = marc.find(f"{{{MARC}}}datafield[@tag='245']/{{{MARC}}}subfield[@code='a']").text
    assert title.startswith("Sumbangsih Siauw Giok Tjhan")
    holding = marc.find(f"{{{MARC}}}datafield[@tag='852']")
    assert holding.findtext(f"{{{MARC}}}subfield[@code='a']") == "PNN"
    echo = root.find(f"{{{ns_of(root)}}}echoedSearchRetrieveRequest")
    assert echo.findtext(f"{{{ns_of(root)}}}query") == "dc.title = sumbangsih"


def test_sru_1_1_answers_are_valid_under_the_strict_1_1_schema(server, xsd):
    root = sru(server, "dpad-diy", version="1.1", operation="searchRetrieve",
               query="title = sejarah and (year >= 1990 or language = ind)", maximumRecords="3")
    assert xsd["1.1-strict"].validate(root), xsd["1.1-strict"].error_log
    assert root.find(f".//{{{SRU1}}}xQuery/{{http://www.loc.gov/zing/cql/xcql/}}triple") is not None


def test_version_defaults_to_the_partners_configured_version(server, xsd):
    assert ns_of(sru(server, "unr-jakarta", query="indonesia")) == SRU2  # configured 2.0
    root = sru(server, "pusnas-demo", query="indonesia")  # configured 1.2
    assert ns_of(root) == SRU1 and text(root, "version") == "1.2"
    assert text(sru(server, "prih-bogor", query="perl"), "version") == "1.1"


@pytest.mark.parametrize(("schema", "root_name"), [
    ("marcxml", (MARC, "record")),
    ("info:srw/schema/1/marcxml-v1.1", (MARC, "record")),
    ("dc", ("info:srw/schema/1/dc-schema", "dc")),
    ("info:srw/schema/1/dc-v1.1", ("info:srw/schema/1/dc-schema", "dc")),
    ("mods", (MODS, "mods")),
    ("info:srw/schema/1/mods-v3.7", (MODS, "mods")),
])
@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_each_record_schema(server, xsd, schema, root_name, version):
    root = sru(server, "unr-jakarta", version=version, query="title = perl", recordSchema=schema,
               maximumRecords="5")
    validate(xsd, root)
    found = records(root)
    assert 1 <= len(found) <= 5
    assert all(etree.QName(r) == etree.QName(*root_name) for r in found)
    assert {r.text for r in root.iter(f"{{{ns_of(root)}}}recordSchema")} == {schema}
    if schema == "dc":
        assert any("Perl" in (t.text or "") for r in found for t in r.iter(f"{{{DC}}}title"))


def test_partner_default_schema(server, xsd):
    root = sru(server, "dpad-diy", query="sejarah", maximumRecords="2")
    assert all(etree.QName(r).localname == "dc" for r in records(root))
    root = sru(server, "sman-semarang", query="sejarah", maximumRecords="2")
    assert all(etree.QName(r) == etree.QName(MODS, "mods") for r in records(root))


def test_record_packing_string(server, xsd):
    for version, params in (("1.2", {"recordPacking": "string"}), ("2.0", {"recordXMLEscaping": "string"})):
        root = sru(server, "pusnas-demo", version=version, query="dc.title = sumbangsih", **params)
        validate(xsd, root)
        (data,) = root.iter(f"{{{ns_of(root)}}}recordData")
        assert len(data) == 0
        marc = etree.fromstring(data.text.encode())
        assert etree.QName(marc) == etree.QName(MARC, "record")
        assert xsd["marcxml"].validate(marc)


def test_post_form(server, xsd):
    root = sru(server, "prih-bogor", method="POST", operation="searchRetrieve", version="1.1",
               query="bath.issn = 0016-3929", maximumRecords="10")
    validate(xsd, root)
    assert hits(root) == 1
    (marc,) = records(root)
    assert marc.findtext(f".//{{{MARC}}}datafield[@tag='022']/{{{MARC}}}subfield[@code='a']") == "0016-3929"
    statement = marc.findall(f"{{{MARC}}}datafield[@tag='852']/{{{MARC}}}subfield[@code='z']")[1].text
    assert statement.startswith("Vol. ")


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_paging(server, xsd, version):
    query = "title = indonesia"
    first = sru(server, "pusnas-demo", version=version, query=query, maximumRecords="0")
    validate(xsd, first)
    total = hits(first)
    assert total > 100 and not records(first)
    seen: list[str] = []
    start, pages = 1, 0
    while start:
        root = sru(server, "pusnas-demo", version=version, query=query, startRecord=str(start),
                   maximumRecords="50")
        validate(xsd, root)
        ns = ns_of(root)
        positions = [int(p.text) for p in root.iter(f"{{{ns}}}recordPosition")]
        assert positions == list(range(start, start + len(positions)))
        seen += [r.findtext(f"{{{MARC}}}controlfield[@tag='001']") for r in records(root)]
        nxt = text(root, "nextRecordPosition")
        start = int(nxt) if nxt else 0
        pages += 1
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 50)


def test_boolean_year_and_sort(server, xsd):
    root = sru(server, "unr-jakarta", version="1.2",
               query='dc.date within "1990 1995" and dc.language = eng sortBy dc.date/sort.ascending',
               maximumRecords="20", recordSchema="mods")
    validate(xsd, root)
    years = [int(d.text) for r in records(root) for d in r.iter(f"{{{MODS}}}dateIssued") if d.text.isdigit()]
    assert years and years == sorted(years) and all(1990 <= y <= 1995 for y in years)


# --- diagnostics: HTTP 200, numberOfRecords present, valid -------------------------------------------

@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
@pytest.mark.parametrize(("partner", "params", "number", "details"), [
    ("pusnas-demo", {"query": 'title = "unclosed'}, 10, None),
    ("pusnas-demo", {"query": "title = (sejarah"}, 10, None),
    ("sman-semarang", {"query": "dc.subject = sejarah"}, 16, "subject"),
    ("sman-semarang", {"query": "title = sejarah and bath.isbn = 9789795300229"}, 16, "isbn"),
    ("pusnas-demo", {"query": "nosuch.index = x"}, 16, None),
    ("pusnas-demo", {"query": "title < sejarah"}, 19, None),
    ("pusnas-demo", {"query": "title = sejarah", "startRecord": "100000"}, 61, "100000"),
    ("pusnas-demo", {"query": "title = sejarah", "recordSchema": "info:srw/schema/1/nonesuch"}, 66, None),
    ("pusnas-demo", {"query": "title = sejarah", "frobnicate": "1"}, 8, "frobnicate"),
    ("pusnas-demo", {"query": "title = sejarah", "maximumRecords": "many"}, 6, "maximumRecords"),
    ("pusnas-demo", {"query": "kebudayaan prox jawa"}, 37, None),
    ("pusnas-demo", {"operation": "scan", "scanClause": "title=a"}, 4, None),
])
def test_diagnostics(server, xsd, version, partner, params, number, details):
    params = dict(params)
    if version != "2.0":
        params.setdefault("operation", "searchRetrieve")
    root = sru(server, partner, version=version, **params)
    validate(xsd, root)
    assert text(root, "numberOfRecords") is not None
    found = diagnostics(root)
    assert found and found[0][0] == f"info:srw/diagnostic/1/{number}"
    if details is not None:
        assert found[0][1] == details
    assert not records(root)
    if number == 61:
        assert hits(root) > 0


def test_unsupported_version_is_diagnostic_5(server, xsd):
    root = sru(server, "pusnas-demo", operation="searchRetrieve", version="3.0", query="x")
    validate(xsd, root)
    assert diagnostics(root)[0][0] == "info:srw/diagnostic/1/5"


def test_missing_query_is_diagnostic_7(server, xsd):
    root = sru(server, "pusnas-demo", operation="searchRetrieve", version="1.2")
    validate(xsd, root)
    assert diagnostics(root) == [("info:srw/diagnostic/1/7", "query")]


def test_zero_hits_is_not_a_diagnostic(server, xsd):
    for version in ("1.2", "2.0"):
        root = sru(server, "pusnas-demo", version=version, query="title = zzzyzzyxq", startRecord="1")
        validate(xsd, root)
        assert hits(root) == 0 and not diagnostics(root) and not records(root)


def test_unknown_partner_is_404(server):
    assert server.get("/no-such-library/sru", params={"query": "x"}).status_code == 404


def test_simulated_latency(server):
    started = time.perf_counter()
    sru(server, "sman-semarang", query="title = sejarah")  # latency_ms: 150 in the demo config
    slow = time.perf_counter() - started
    started = time.perf_counter()
    sru(server, "pusnas-demo", query="title = sejarah")
    assert slow >= 0.15
    assert time.perf_counter() - started < slow


def test_responses_are_fast(server):
    params = {"query": "indonesia", "maximumRecords": "50", "recordSchema": "marcxml"}
    sru(server, "pusnas-demo", **params)  # builds and caches the records' XML
    started = time.perf_counter()
    for _ in range(5):
        sru(server, "pusnas-demo", **params)
    assert (time.perf_counter() - started) / 5 < 0.1


# --- an independent client: YAZ's zoomsh -----------------------------------------------------------

@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_yaz_zoomsh_can_search_and_read_diagnostics(server, version):
    url = f"{server.base_url}".rstrip("/")
    run = subprocess.run(
        ["zoomsh", "-e", "set sru get", f"set sru_version {version}", f"connect {url}/pusnas-demo/sru",
         "search cql:dc.title=sumbangsih", "show 0 1", "quit"],
        capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": 1 hits" in run.stdout and "Sumbangsih Siauw Giok Tjhan" in run.stdout
    run = subprocess.run(
        ["zoomsh", "-e", "set sru get", f"set sru_version {version}", f"connect {url}/sman-semarang/sru",
         "search cql:dc.subject=sejarah", "quit"],
        capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert "info:srw/diagnostic/1:16" in run.stdout + run.stderr
