"""connectors/sru.py (federator_connectors.sru): paging, normalisation and errors against yaz-ztest
(fixture `sru_ztest` in conftest.py), and hand-made faults via httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from federator.config import Partner
from federator.connector import Fetch, connector_class
from federator.errors import ConfigError, PartnerError, PartnerUnsupported
from federator.query.cql import parse_cql
import federator_connectors.sru as sru_module
from federator_connectors.sru import SRUConnector


def make_partner(endpoint: str, **kwargs) -> Partner:
    return Partner(id="ztest", name="yaz-ztest", protocol="sru", endpoint=endpoint, **kwargs)


class Recorder:
    """Counts the searchRetrieve requests a client sends."""

    def __init__(self):
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def params(self, name: str) -> list[str]:
        return [r.url.params.get(name) for r in self.requests]


@pytest.fixture
async def recorded():
    recorder = Recorder()
    async with httpx.AsyncClient(timeout=10, event_hooks={"request": [recorder]}) as client:
        yield client, recorder


def test_registered_as_entry_point():
    assert connector_class("sru") is SRUConnector
    assert SRUConnector.protocol == "sru"
    assert SRUConnector.schemas == ("marcxml", "dc", "mods")


async def test_gateway_placeholder_resolved():
    async with httpx.AsyncClient() as http:
        c = SRUConnector(make_partner("{gateway}/demo/unr/sru"), http=http, gateway_url="http://127.0.0.1:8000/")
    assert c.endpoint == "http://127.0.0.1:8000/demo/unr/sru"


async def test_translate_with_overrides_and_unsupported():
    async with httpx.AsyncClient() as http:
        c = SRUConnector(make_partner("http://x/sru", indexes={"any": "cql.anywhere", "isbn": None},
                                      relations=["=", "all"]), http=http, gateway_url="")
    assert c.translate(parse_cql("dinosaur and dc.title all bones")) == "cql.anywhere = dinosaur and dc.title all bones"
    with pytest.raises(PartnerUnsupported, match="index 'isbn'"):
        c.translate(parse_cql("isbn = 9780306406157"))
    with pytest.raises(PartnerUnsupported, match="relation 'any'"):
        c.translate(parse_cql("title any x"))


async def test_bad_record_schema_is_a_config_error():
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError, match="onix"):
            SRUConnector(make_partner("http://x/sru", record_schema="onix"), http=http, gateway_url="")


@pytest.mark.parametrize(("version", "method"), [("1.1", "GET"), ("1.2", "POST"), ("2.0", "GET")])
async def test_pages_through_results(sru_ztest, recorded, version, method):
    http, recorder = recorded
    partner = make_partner(sru_ztest, sru_version=version, http_method=method, page_size=2)
    fetch = await SRUConnector(partner, http=http, gateway_url="").search(parse_cql("dc.title = 7"), limit=5)
    assert isinstance(fetch, Fetch)
    assert fetch.native_query == "dc.title = 7"
    assert fetch.hits == 7
    assert len(fetch.records) == 5 and fetch.skipped == 0 and fetch.warnings == []
    assert {r.partner_id for r in fetch.records} == {"ztest"}
    assert fetch.records[0].title == "How to program a computer"
    assert len(recorder.requests) == 3  # 2 + 2 + 1
    if method == "GET":
        assert recorder.params("startRecord") == ["1", "3", "5"]
        assert recorder.params("maximumRecords") == ["2", "2", "1"]


async def test_stops_at_number_of_records(sru_ztest, recorded):
    http, recorder = recorded
    fetch = await SRUConnector(make_partner(sru_ztest, page_size=2), http=http, gateway_url="").search(
        parse_cql("dc.title = 3"), limit=100)
    assert (fetch.hits, len(fetch.records)) == (3, 3)
    assert recorder.params("startRecord") == ["1", "3"]  # never asks past the end (that is diagnostic 61)


async def test_limit_and_max_records(sru_ztest, recorded):
    http, recorder = recorded
    connector = SRUConnector(make_partner(sru_ztest, page_size=50, max_records=4), http=http, gateway_url="")
    fetch = await connector.search(parse_cql("dc.title = 20"), limit=10)
    assert (fetch.hits, len(fetch.records)) == (20, 4)
    assert recorder.params("maximumRecords") == ["4"]
    fetch = await connector.search(parse_cql("dc.title = 20"), limit=0)
    assert (fetch.hits, fetch.records) == (20, [])
    assert recorder.params("maximumRecords")[-1] == "0"


async def test_zero_hits(sru_ztest, recorded):
    http, recorder = recorded
    fetch = await SRUConnector(make_partner(sru_ztest), http=http, gateway_url="").search(
        parse_cql("dc.title = 0"), limit=20)
    assert (fetch.hits, fetch.records, fetch.skipped) == (0, [], 0)
    assert len(recorder.requests) == 1


async def test_dc_records_and_surrogate_diagnostics(sru_ztest, recorded):
    http, _ = recorded
    partner = make_partner(sru_ztest, record_schema="dc")
    fetch = await SRUConnector(partner, http=http, gateway_url="").search(parse_cql("dc.title = 3"), limit=10)
    assert fetch.hits == 3
    assert [r.title for r in fetch.records] == ["Laskar pelangi", "Laskar pelangi"]
    assert fetch.records[0].source_format == "dc"
    assert fetch.skipped == 1  # position 3: the server's surrogate diagnostic 1/63
    assert len(fetch.warnings) == 1 and "info:srw/diagnostic/1/63" in fetch.warnings[0]


async def test_partner_errors_raise(sru_ztest):
    async with httpx.AsyncClient(timeout=10) as http:
        connector = SRUConnector(make_partner(sru_ztest), http=http, gateway_url="")
        with pytest.raises(PartnerUnsupported) as info:  # the server has no bath.isbn index
            await connector.search(parse_cql("isbn = 978-0-306-40615-7"), limit=10)
        assert info.value.native_query == "bath.isbn = 9780306406157"
        assert "info:srw/diagnostic/1/16" in info.value.message
        with pytest.raises(PartnerUnsupported, match="info:srw/diagnostic/1/19"):
            await connector.search(parse_cql("title adj 5"), limit=10)
        missing = SRUConnector(make_partner(sru_ztest.rsplit("/", 1)[0] + "/NoSuchDatabase"), http=http,
                               gateway_url="")
        with pytest.raises(PartnerError, match="HTTP 404"):
            await missing.search(parse_cql("dinosaur"), limit=10)


# --- hand-made faults -------------------------------------------------------------------------


async def real_marcxml(sru_ztest: str) -> bytes:
    """One of yaz-ztest's MARC test records as MARCXML bytes."""
    async with httpx.AsyncClient(timeout=10) as http:
        body = (await http.get(sru_ztest, params={"version": "1.2", "operation": "searchRetrieve", "query": "1",
                                                   "maximumRecords": "1"})).content
    root = etree.fromstring(body)
    record = root.find(".//{http://www.loc.gov/MARC21/slim}record")
    return etree.tostring(record)


def sru_page(hits: int, payloads: list[tuple[str, bytes]], start: int = 1) -> bytes:
    records = b"".join(
        b"<record><recordSchema>" + schema.encode() + b"</recordSchema><recordPacking>xml</recordPacking>"
        b"<recordData>" + payload + b"</recordData><recordPosition>" + str(start + i).encode() +
        b"</recordPosition></record>"
        for i, (schema, payload) in enumerate(payloads)
    )
    return (b'<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version>'
            b"<numberOfRecords>" + str(hits).encode() + b"</numberOfRecords><records>" + records +
            b"</records></searchRetrieveResponse>")


async def test_bad_records_are_skipped_not_fatal(sru_ztest, monkeypatch):
    good = await real_marcxml(sru_ztest)
    body = sru_page(4, [
        ("marcxml", good),
        ("info:example/onix", b'<Product xmlns="http://ns.editeur.org/onix/3.0/reference"/>'),  # unknown schema
        ("marcxml", good.replace(b"How to program a computer", b"CRASH")),
        ("marcxml", good),
    ])
    real_normalise = sru_module.normalise_xml

    def flaky_normalise(elem, schema, partner_id):
        if b"CRASH" in etree.tostring(elem):
            raise RuntimeError("normaliser bug")
        return real_normalise(elem, schema, partner_id)

    monkeypatch.setattr(sru_module, "normalise_xml", flaky_normalise)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body))) as http:
        fetch = await SRUConnector(make_partner("http://sru.example/db"), http=http, gateway_url="").search(
            parse_cql("dinosaur"), limit=10)
    assert fetch.hits == 4
    assert len(fetch.records) == 2
    assert fetch.skipped == 2


async def test_more_records_than_asked_for_are_cut(sru_ztest):
    good = await real_marcxml(sru_ztest)
    body = sru_page(10, [("marcxml", good)] * 5)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body))) as http:
        fetch = await SRUConnector(make_partner("http://sru.example/db", page_size=2), http=http,
                                   gateway_url="").search(parse_cql("dinosaur"), limit=3)
    assert len(fetch.records) == 3


async def test_empty_page_stops_paging():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, content=sru_page(100, []))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        fetch = await SRUConnector(make_partner("http://sru.example/db", page_size=10), http=http,
                                   gateway_url="").search(parse_cql("dinosaur"), limit=50)
    assert (fetch.hits, fetch.records, len(calls)) == (100, [], 1)


async def test_credentials_as_basic_auth(monkeypatch):
    seen = []

    def handler(request):
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, content=sru_page(0, []))

    partner = make_partner("http://sru.example/db",
                           credentials={"user_env": "ZT_SRU_USER", "password_env": "ZT_SRU_PASSWORD"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        connector = SRUConnector(partner, http=http, gateway_url="")
        monkeypatch.delenv("ZT_SRU_USER", raising=False)
        monkeypatch.delenv("ZT_SRU_PASSWORD", raising=False)
        await connector.search(parse_cql("x"), limit=1)
        monkeypatch.setenv("ZT_SRU_USER", "perpus")
        monkeypatch.setenv("ZT_SRU_PASSWORD", "s3cret")
        fetch = await connector.search(parse_cql("x"), limit=1)
    assert seen == [None, httpx.BasicAuth("perpus", "s3cret")._auth_header]
    assert "s3cret" not in repr(fetch)


async def test_close():
    async with httpx.AsyncClient() as http:
        await SRUConnector(make_partner("http://x/sru"), http=http, gateway_url="").close()
        assert not http.is_closed  # the client belongs to the gateway
