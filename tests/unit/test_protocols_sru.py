"""federator.protocols.sru against a real SRU server (YAZ's yaz-ztest, fixture `sru_ztest` in
conftest.py, which describes what it answers), and faults via httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from federator.errors import PartnerDiagnostic, PartnerError, PartnerTimeout, PartnerUnsupported
from federator.protocols.sru import (
    Diagnostic,
    build_request,
    parse_response,
    schema_name,
    search_retrieve,
    searchretrieve_params,
)

MARC_NS = "{http://www.loc.gov/MARC21/slim}"


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def raw(http: httpx.AsyncClient, url: str, **params) -> bytes:
    """A real server's response body for hand-picked parameters (e.g. recordPacking=string)."""
    response = await http.get(url, params=params)
    assert response.status_code == 200
    return response.content


def mock_client(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


# --- requests ---------------------------------------------------------------------------------


def test_params_per_version():
    p12 = searchretrieve_params("dc.title = x", version="1.2", start_record=11, maximum_records=10)
    assert p12 == {"operation": "searchRetrieve", "version": "1.2", "query": "dc.title = x",
                   "recordPacking": "xml", "startRecord": "11", "maximumRecords": "10", "recordSchema": "marcxml"}
    assert searchretrieve_params("x", version="1.1")["version"] == "1.1"
    p20 = searchretrieve_params("x", version="2.0", record_schema="mods")
    assert p20["queryType"] == "cql" and p20["recordXMLEscaping"] == "xml" and p20["recordSchema"] == "mods"
    assert "operation" not in p20 and "recordPacking" not in p20
    with pytest.raises(ValueError):
        searchretrieve_params("x", version="3.0")


def test_get_and_post_requests():
    get = build_request("http://sru.example/opac?x-info-1=a", 'dc.title = "a b"', version="1.2")
    assert get.method == "GET"
    assert get.url.params["query"] == 'dc.title = "a b"'
    assert get.url.params["x-info-1"] == "a"  # the endpoint's own parameters are kept
    post = build_request("http://sru.example/opac", 'dc.title = "a b"', method="POST", version="2.0")
    assert post.method == "POST"
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"query=dc.title+%3D+%22a+b%22" in post.read()
    assert not post.url.query


# --- real responses from yaz-ztest ------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
async def test_search_retrieve_versions(sru_ztest, http, version):
    result = await search_retrieve(http, sru_ztest, "dc.title = 5", version=version, maximum_records=3)
    assert result.version == version
    assert result.number_of_records == 5
    assert [r.position for r in result.records] == [1, 2, 3]
    assert all(r.schema == "marcxml" for r in result.records)
    assert all(r.data.tag == f"{MARC_NS}record" for r in result.records)
    titles = [r.data.findtext(f"{MARC_NS}datafield[@tag='245']/{MARC_NS}subfield[@code='a']") for r in result.records]
    assert titles[0] == "How to program a computer"
    assert result.diagnostics == [] and result.record_errors == []


async def test_post(sru_ztest, http):
    result = await search_retrieve(http, sru_ztest, "dc.creator all \"2 smith\"", method="POST", maximum_records=5)
    assert result.number_of_records == 2
    assert len(result.records) == 2


async def test_paging(sru_ztest, http):
    result = await search_retrieve(http, sru_ztest, "5", start_record=4, maximum_records=10)
    assert result.number_of_records == 5
    assert [r.position for r in result.records] == [4, 5]


async def test_count_only_and_zero_hits(sru_ztest, http):
    counted = await search_retrieve(http, sru_ztest, "dc.title = 7", maximum_records=0)
    assert (counted.number_of_records, counted.records) == (7, [])
    none = await search_retrieve(http, sru_ztest, "dc.title = 0")
    assert (none.number_of_records, none.records, none.diagnostics) == (0, [], [])


@pytest.mark.parametrize("version", ["1.1", "1.2"])
async def test_record_packing_string(sru_ztest, http, version):
    body = await raw(http, sru_ztest, version=version, operation="searchRetrieve", query="3", maximumRecords="2",
                     recordPacking="string")
    assert b"&lt;record" in body  # the record really is escaped text
    result = parse_response(body)
    assert len(result.records) == 2
    assert result.records[0].schema == "marcxml"
    assert result.records[0].data.tag == f"{MARC_NS}record"
    assert result.records[0].data.find(f"{MARC_NS}leader").text.startswith("00366nam")


async def test_record_xml_escaping_string_sru2(sru_ztest, http):
    body = await raw(http, sru_ztest, version="2.0", queryType="cql", query="3", maximumRecords="1",
                     recordXMLEscaping="string")
    assert b"search-ws/sruResponse" in body and b"&lt;record" in body
    result = parse_response(body)
    assert result.records[0].data.tag == f"{MARC_NS}record"


async def test_schema_from_payload_namespace(sru_ztest, http):
    # yaz-ztest labels every record marcxml-1.1; the payload's namespace says what it is
    result = await search_retrieve(http, sru_ztest, "3", record_schema="dc", maximum_records=3)
    assert [r.schema for r in result.records] == ["dc", "dc"]
    assert result.records[0].data.findtext("{http://purl.org/dc/elements/1.1/}title") == "Laskar pelangi"
    # position 3 has no file: a surrogate diagnostic, reported per record, not fatal
    assert len(result.record_errors) == 1
    assert result.record_errors[0].position == 3
    assert "info:srw/diagnostic/1/63" in result.record_errors[0].message


async def test_surrogate_diagnostics_only(sru_ztest, http):
    result = await search_retrieve(http, sru_ztest, "5", record_schema="nope", maximum_records=2)
    assert result.number_of_records == 5
    assert result.records == []
    assert [e.position for e in result.record_errors] == [1, 2]


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
@pytest.mark.parametrize(
    ("query", "number", "meaning"),
    [
        ("bath.isbn = 9780306406157", 16, "Unsupported index"),
        ("dc.title adj 5", 19, "Unsupported relation"),
        ("dc.title =/fuzzy 5", 20, "Unsupported relation modifier"),
        ("3 and/x 4", 46, "Unsupported boolean modifier"),
    ],
)
async def test_unsupported_diagnostics(sru_ztest, http, version, query, number, meaning):
    with pytest.raises(PartnerUnsupported) as info:
        await search_retrieve(http, sru_ztest, query, version=version)
    err = info.value
    assert err.status == "unsupported"
    assert err.uri == f"info:srw/diagnostic/1/{number}"
    assert f"info:srw/diagnostic/1/{number}" in err.message and meaning in err.message
    assert err.native_query == query


async def test_syntax_error_diagnostic(sru_ztest, http):
    with pytest.raises(PartnerDiagnostic) as info:
        await search_retrieve(http, sru_ztest, "dc.title = (foo")
    assert not isinstance(info.value, PartnerUnsupported)
    assert info.value.uri == "info:srw/diagnostic/1/10"
    assert "Query syntax error" in info.value.message
    assert info.value.status == "error"


@pytest.mark.parametrize("version", ["1.2", "2.0"])
async def test_first_record_out_of_range_is_fatal(sru_ztest, http, version):
    with pytest.raises(PartnerDiagnostic) as info:
        await search_retrieve(http, sru_ztest, "3", version=version, start_record=10)
    assert info.value.uri == "info:srw/diagnostic/1/61"
    assert "First record position out of range" in info.value.message


async def test_http_error_status_from_real_server(sru_ztest, http):
    with pytest.raises(PartnerError) as info:
        await search_retrieve(http, sru_ztest.rsplit("/", 1)[0] + "/NoSuchDatabase", "3")
    assert "404" in info.value.message
    assert info.value.http_status == 404


# --- faults (MockTransport) -------------------------------------------------------------------


SRU12_DIAGNOSTIC = b"""<?xml version="1.0"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.2</zs:version>
<zs:numberOfRecords>0</zs:numberOfRecords>
<zs:diagnostics><diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">
<diag:uri>info:srw/diagnostic/1/3</diag:uri><diag:details>bad password</diag:details></diag:diagnostic>
</zs:diagnostics></zs:searchRetrieveResponse>"""


async def test_http_500():
    async with mock_client(lambda request: httpx.Response(500, text="Internal Server Error")) as client:
        with pytest.raises(PartnerError) as info:
            await search_retrieve(client, "http://sru.example/db", "x")
    assert type(info.value) is PartnerError
    assert "HTTP 500" in info.value.message
    assert info.value.native_query == "x"


async def test_http_error_with_sru_diagnostic_body():
    async with mock_client(lambda request: httpx.Response(401, content=SRU12_DIAGNOSTIC)) as client:
        with pytest.raises(PartnerDiagnostic) as info:
            await search_retrieve(client, "http://sru.example/db", "x")
    assert info.value.message.startswith("HTTP 401")
    assert "Authentication error" in info.value.message and "bad password" in info.value.message


async def test_diagnostic_in_http_200_without_records_is_fatal_not_zero_hits():
    async with mock_client(lambda request: httpx.Response(200, content=SRU12_DIAGNOSTIC)) as client:
        with pytest.raises(PartnerDiagnostic) as info:
            await search_retrieve(client, "http://sru.example/db", "x")
    assert info.value.uri == "info:srw/diagnostic/1/3"
    assert info.value.message == "SRU diagnostic info:srw/diagnostic/1/3 (Authentication error): bad password"


async def test_truncated_response(sru_ztest, http):
    body = await raw(http, sru_ztest, version="1.2", operation="searchRetrieve", query="3", maximumRecords="3")
    async with mock_client(lambda request: httpx.Response(200, content=body[: len(body) // 2])) as client:
        with pytest.raises(PartnerError, match="malformed SRU response"):
            await search_retrieve(client, "http://sru.example/db", "x")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe garbage \x89PNG",
        b"<html><body><h1>Welcome to our OPAC</h1></body></html>",
        b"<?xml version='1.0'?><explainResponse/>",
        b"<searchRetrieveResponse><numberOfRecords>many</numberOfRecords></searchRetrieveResponse>",
    ],
)
async def test_garbage(body):
    async with mock_client(lambda request: httpx.Response(200, content=body)) as client:
        with pytest.raises(PartnerError, match="malformed SRU response") as info:
            await search_retrieve(client, "http://sru.example/db", "x")
    assert type(info.value) is PartnerError


async def test_oversized_response():
    body = b"<searchRetrieveResponse>" + b" " * 5000 + b"</searchRetrieveResponse>"
    async with mock_client(lambda request: httpx.Response(200, content=body)) as client:
        with pytest.raises(PartnerError, match="larger than 1000 bytes"):
            await search_retrieve(client, "http://sru.example/db", "x", max_bytes=1000)


async def test_transport_failures():
    def timeout(request):
        raise httpx.ReadTimeout("read timed out", request=request)

    def refused(request):
        raise httpx.ConnectError("connection refused", request=request)

    async with mock_client(timeout) as client:
        with pytest.raises(PartnerTimeout):
            await search_retrieve(client, "http://sru.example/db", "x")
    async with mock_client(refused) as client:
        with pytest.raises(PartnerError, match="connection refused"):
            await search_retrieve(client, "http://sru.example/db", "x")


async def test_basic_auth_is_sent():
    seen = {}

    def handler(request):
        seen["auth"] = request.headers.get("authorization")
        return httpx.Response(200, content=b"<searchRetrieveResponse><numberOfRecords>0</numberOfRecords>"
                                           b"</searchRetrieveResponse>")

    async with mock_client(handler) as client:
        await search_retrieve(client, "http://sru.example/db", "x", auth=httpx.BasicAuth("perpus", "s3cret"))
    assert seen["auth"] == httpx.BasicAuth("perpus", "s3cret")._auth_header


# --- parsing details --------------------------------------------------------------------------


def test_diagnostics_alongside_records_are_warnings():
    body = b"""<searchRetrieveResponse xmlns="http://docs.oasis-open.org/ns/search-ws/sruResponse">
      <numberOfRecords>40</numberOfRecords>
      <records><record><recordSchema>info:srw/schema/1/mods-v3.5</recordSchema>
        <recordXMLEscaping>xml</recordXMLEscaping>
        <recordData><mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>T</title></titleInfo></mods></recordData>
        <recordPosition>1</recordPosition></record></records>
      <nextRecordPosition>2</nextRecordPosition>
      <diagnostics><diagnostic xmlns="http://docs.oasis-open.org/ns/search-ws/diagnostic">
        <uri>info:srw/diagnostic/1/35</uri><details>the</details></diagnostic></diagnostics>
    </searchRetrieveResponse>"""
    result = parse_response(body)
    assert result.number_of_records == 40
    assert result.next_record_position == 2
    assert result.version == "2.0"
    assert [r.schema for r in result.records] == ["mods"]
    assert result.diagnostics == [Diagnostic("info:srw/diagnostic/1/35", None, "the")]
    assert str(result.diagnostics[0]) == "SRU diagnostic info:srw/diagnostic/1/35 (Term contains only stopwords): the"


def test_namespace_less_response():
    body = b"""<searchRetrieveResponse><version>1.2</version><numberOfRecords>1</numberOfRecords>
      <records><record><recordSchema>marcxml</recordSchema><recordPacking>xml</recordPacking>
      <recordData><record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader></record>
      </recordData></record></records></searchRetrieveResponse>"""
    result = parse_response(body)
    assert result.number_of_records == 1
    assert result.records[0].schema == "marcxml"
    assert result.records[0].position is None


def test_bad_string_packed_record_is_a_record_error():
    body = b"""<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>2</zs:numberOfRecords>
      <zs:records>
      <zs:record><zs:recordSchema>dc</zs:recordSchema><zs:recordPacking>string</zs:recordPacking>
        <zs:recordData>&lt;dc xmlns="http://purl.org/dc/elements/1.1/"&gt;&lt;title&gt;ok</zs:recordData>
        <zs:recordPosition>1</zs:recordPosition></zs:record>
      <zs:record><zs:recordSchema>dc</zs:recordSchema><zs:recordPacking>string</zs:recordPacking>
        <zs:recordData>&lt;?xml version="1.0" encoding="ISO-8859-1"?&gt;&lt;dc xmlns="http://purl.org/dc/elements/1.1/"&gt;&lt;title&gt;B\xc3\xa9b\xc3\xa9&lt;/title&gt;&lt;/dc&gt;</zs:recordData>
        <zs:recordPosition>2</zs:recordPosition></zs:record>
      </zs:records></zs:searchRetrieveResponse>"""
    result = parse_response(body)
    assert [e.position for e in result.record_errors] == [1]
    assert "malformed record XML" in result.record_errors[0].message
    assert result.records[0].data.findtext("{http://purl.org/dc/elements/1.1/}title") == "B\u00e9b\u00e9"


def test_entities_are_not_resolved():
    body = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>
      <searchRetrieveResponse><numberOfRecords>1</numberOfRecords><records><record>
      <recordData><dc xmlns="http://purl.org/dc/elements/1.1/"><title>&e;</title></dc></recordData>
      </record></records></searchRetrieveResponse>"""
    result = parse_response(body)
    assert "root:" not in (result.records[0].data.findtext("{http://purl.org/dc/elements/1.1/}title") or "")


def test_diagnostic_numbers():
    d = Diagnostic("info:srw/diagnostic/1/16", "Unsupported index", "1=7")
    assert (d.number, d.meaning, d.unsupported) == (16, "Unsupported index", True)
    assert str(d) == "SRU diagnostic info:srw/diagnostic/1/16 (Unsupported index): 1=7"
    other = Diagnostic("info:srw/diagnostic/12/1", "local trouble")
    assert (other.number, other.meaning, other.unsupported) == (None, "local trouble", False)
    server_words = Diagnostic("info:srw/diagnostic/1/1", "Zebra index corrupt")
    assert str(server_words) == "SRU diagnostic info:srw/diagnostic/1/1 (General system error): Zebra index corrupt"


@pytest.mark.parametrize(
    ("schema", "name"),
    [
        ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
        ("info:srw/schema/1/marcxml-1.1", "marcxml"),
        ("MARC21-xml", "marcxml"),
        ("info:srw/schema/1/mods-v3.6", "mods"),
        ("info:srw/schema/1/dc-v1.1", "dc"),
        ("dc", "dc"),
        ("http://purl.org/dc/elements/1.1/", "dc"),
        ("info:srw/schema/1/onix-v2.0", "info:srw/schema/1/onix-v2.0"),
    ],
)
def test_schema_names(schema, name):
    assert schema_name(schema) == name


# --- bounded reads, failure kinds, charsets -------------------------------------------------------


class Chunks(httpx.AsyncByteStream):
    """A body that arrives in pieces, as over a socket (MockTransport bodies built from bytes
    are read whole before the client sees them)."""

    def __init__(self, *chunks: bytes):
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self):
        for chunk in self.chunks:
            self.sent += len(chunk)
            yield chunk


def record_page(n: int) -> bytes:
    one = (b'<record><recordSchema>dc</recordSchema><recordData><dc xmlns="http://purl.org/dc/elements/1.1/">'
           b"<title>t</title></dc></recordData></record>")
    return (b"<searchRetrieveResponse><numberOfRecords>%d</numberOfRecords><records>" % n + one * n +
            b"</records></searchRetrieveResponse>")


async def test_record_count_is_bounded_while_streaming():
    body = record_page(50)
    stream = Chunks(*(body[i:i + 7] for i in range(0, len(body), 7)))  # tags split across chunks
    async with mock_client(lambda request: httpx.Response(200, stream=stream)) as client:
        with pytest.raises(PartnerError, match="more than 20 records") as info:
            await search_retrieve(client, "http://sru.example/db", "x", maximum_records=10, max_records=20)
    assert info.value.kind == "too_large"
    assert stream.sent < len(body)  # stopped reading early
    async with mock_client(lambda request: httpx.Response(200, content=record_page(20))) as client:
        result = await search_retrieve(client, "http://sru.example/db", "x", maximum_records=10, max_records=20)
    assert len(result.records) == 20


async def test_size_is_bounded_while_streaming_and_by_content_length():
    stream = Chunks(*[b"<searchRetrieveResponse>" + b" " * 1000] * 100)
    async with mock_client(lambda request: httpx.Response(200, stream=stream)) as client:
        with pytest.raises(PartnerError, match="larger than 5000 bytes") as info:
            await search_retrieve(client, "http://sru.example/db", "x", max_bytes=5000)
    assert info.value.kind == "too_large" and stream.sent <= 6100
    declared = Chunks(b"x")
    headers = {"content-length": "99999999"}
    async with mock_client(lambda request: httpx.Response(200, headers=headers, stream=declared)) as client:
        with pytest.raises(PartnerError, match="Content-Length 99999999"):
            await search_retrieve(client, "http://sru.example/db", "x", max_bytes=5000)
    assert declared.sent == 0


async def test_gzip_bomb_stops_at_the_bound():
    import zlib

    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = squeeze.compress(b"<searchRetrieveResponse>" + b" " * 50_000_000) + squeeze.flush()
    assert len(bomb) < 100_000
    headers = {"content-encoding": "gzip"}
    async with mock_client(lambda request: httpx.Response(200, headers=headers, stream=Chunks(bomb))) as client:
        with pytest.raises(PartnerError, match="larger than 100000 bytes"):
            await search_retrieve(client, "http://sru.example/db", "x", max_bytes=100_000)
    small = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    gz = small.compress(record_page(2)) + small.flush()
    async with mock_client(lambda request: httpx.Response(200, headers=headers, stream=Chunks(gz))) as client:
        assert len((await search_retrieve(client, "http://sru.example/db", "x")).records) == 2


@pytest.mark.parametrize("status, kind", [(500, "http"), (502, "unavailable"), (503, "unavailable"),
                                          (504, "unavailable"), (401, "auth"), (404, "http"), (302, "http")])
async def test_http_status_kinds(status, kind):
    headers = {"location": "http://127.0.0.1:1/elsewhere"} if status == 302 else {}
    async with mock_client(lambda request: httpx.Response(status, headers=headers, text="no")) as client:
        with pytest.raises(PartnerError) as info:
            await search_retrieve(client, "http://sru.example/db", "x")
    assert info.value.kind == kind and info.value.http_status == status


async def test_transport_failure_kinds():
    def fail(exc_type):
        def handler(request):
            raise exc_type("boom", request=request)
        return handler

    for exc_type, kind in [(httpx.ConnectError, "connect"), (httpx.RemoteProtocolError, "reset"),
                           (httpx.ReadError, "reset"), (httpx.ReadTimeout, "timeout")]:
        async with mock_client(fail(exc_type)) as client:
            with pytest.raises(PartnerError) as info:
                await search_retrieve(client, "http://sru.example/db", "x")
        assert info.value.kind == kind, exc_type


def test_diagnostic_kinds():
    from federator.protocols.sru import diagnostic_error

    assert diagnostic_error([Diagnostic("info:srw/diagnostic/1/3")]).kind == "auth"
    assert diagnostic_error([Diagnostic("info:srw/diagnostic/1/2")]).kind == "unavailable"
    assert diagnostic_error([Diagnostic("info:srw/diagnostic/1/1")]).kind == "diagnostic"
    assert diagnostic_error([Diagnostic("info:srw/diagnostic/1/16")]).kind == "unsupported"


@pytest.mark.parametrize("declaration", [b'<?xml version="1.0" encoding="UTF-8"?>', b"",
                                         b'<?xml version="1.0" encoding="x-unknown-charset"?>'])
def test_wrong_charset_is_read_as_windows_1252(declaration):
    body = (declaration + b'<searchRetrieveResponse><numberOfRecords>1</numberOfRecords><records><record>'
            b'<recordData><dc xmlns="http://purl.org/dc/elements/1.1/"><title>Caf\xe9 \xe2\x80\x94 '
            b'\x93quoted\x94</title></dc></recordData></record></records></searchRetrieveResponse>')
    result = parse_response(body)
    title = result.records[0].data.findtext("{http://purl.org/dc/elements/1.1/}title")
    assert title == "Caf\u00e9 \u2014 \u201cquoted\u201d"  # valid UTF-8 kept, stray bytes as cp1252
    assert result.notes and "character set" in result.notes[0]


def test_entity_expansion_bomb_is_refused_quickly():
    import time

    lol = b'<!ENTITY l0 "lol">' + b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    body = (b'<?xml version="1.0"?><!DOCTYPE r [' + lol + b']><searchRetrieveResponse><numberOfRecords>&l9;'
            b"</numberOfRecords></searchRetrieveResponse>")
    started = time.perf_counter()
    with pytest.raises(PartnerError) as info:
        parse_response(body)
    assert time.perf_counter() - started < 0.5
    assert info.value.kind == "malformed"


@pytest.mark.parametrize("timeout", [None, 0.3])
@pytest.mark.parametrize("fault", ["hang", "stall", "drip"])
async def test_cancellations_leak_no_pooled_connection(fault, timeout):
    """A partner's own budget ends and the search deadline cuts it off right after: two
    cancellations. httpcore must still get to close the connection (encode/httpcore#1093):
    with a timeout the exchange ends by itself, without one it is cancelled once."""
    import asyncio

    from tests.support.hostile import HostileServer

    with HostileServer() as server:
        async with httpx.AsyncClient() as client:
            for between in range(4):
                task = asyncio.ensure_future(search_retrieve(client, server.url(fault), "x", timeout=timeout))
                await asyncio.sleep(0.15)
                task.cancel()
                for _ in range(between):
                    await asyncio.sleep(0)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            await asyncio.sleep(0.1 + (timeout or 0))
            assert client._transport._pool.connections == []  # noqa: SLF001 - the pool is what leaked


def test_record_count_while_streaming_finds_exactly_the_opening_record_data_tags():
    import re

    from federator.protocols.sru import _record_opens

    reference = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?recordData[\s/>]")
    body = (b'<zs:records><zs:record><zs:recordData>x</zs:recordData></zs:record><recordData/>'
            b'<sru:recordData\n a="1"><r>recordData and <b>recordData</b></r></sru:recordData>'
            b"<a:b:recordData><1x:recordData><" + b"p" * 41 + b":recordData>"
            b"<" + b"p" * 42 + b":recordData><recordDataX></recordData>")
    assert _record_opens(body, 0) == len(reference.findall(body)) == 4
    for after in range(len(body)):  # a tag split between two chunks is counted once, in the later one
        assert _record_opens(body, after) == sum(1 for m in reference.finditer(body) if m.end() > after)
