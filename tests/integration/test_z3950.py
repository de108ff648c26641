"""The Z39.50 connector and the ZOOM binding against real servers: three Zebra partner libraries
and yaz-ztest on loopback ports (tests/integration/conftest.py, tests/support/zebra.py)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import unicodedata

import pytest

from federator.errors import PartnerDiagnostic, PartnerError, PartnerTimeout, PartnerUnsupported
from federator.protocols.zoom import ZoomConnection, ZoomDiagnostic
from federator.query.cql import parse_cql
from federator.records.model import Availability
from federator_connectors.z3950 import Z3950Connector


def connector(zebra_partner, name: str, **settings) -> Z3950Connector:
    return Z3950Connector(zebra_partner(name, **settings))


def by_title(records) -> dict[str, object]:
    return {r.title: r for r in records}


# --- searching and records ----------------------------------------------------------------------


async def test_title_search_returns_normalised_marc21_records(zebra_partner):
    fetch = await connector(zebra_partner, "north").search(parse_cql("dc.title=perl"), limit=20)
    assert fetch.native_query == '@attr 1=4 @attr 2=3 @attr 4=2 "perl"'
    assert fetch.hits == 5 and len(fetch.records) == 5 and fetch.skipped == 0
    assert {r.local_id for r in fetch.records} == {"00022023", "00041664", "14207979", "12011929", "11902871"}
    dbi = next(r for r in fetch.records if r.local_id == "00022023")  # LoC; 11902871 is its Koha twin
    assert dbi.partner_id == "north" and dbi.source_format == "marc21"
    assert dbi.title == "Programming the Perl DBI"
    assert dbi.authors[0] == "Descartes, Alligator"
    assert "9781565926998" in dbi.isbns
    assert dbi.year == 2000
    assert [(h.partner_id, h.library, h.call_number) for h in dbi.holdings] == [
        ("north", "NORTH", "QA76.73.P22 D47 2000")]
    assert dbi.raw.startswith(b"0") and dbi.raw.endswith(b"\x1d")  # ISO 2709 as received


async def test_author_search_and_the_koha_twin_on_another_partner(zebra_partner):
    fetch = await connector(zebra_partner, "south").search(parse_cql('dc.creator all "descartes alligator"'), limit=10)
    assert fetch.hits == 2  # the LoC record and the Koha record of the same book
    assert {r.title for r in fetch.records} == {"Programming the Perl DBI"}
    assert {h.library for r in fetch.records for h in r.holdings} == {"SOUTH"}


@pytest.mark.parametrize("settings", [{}, {"record_schema": "marcxml"}, {"options": {"opac": True}}],
                         ids=["marc21", "marcxml", "opac"])
async def test_marc8_record_comes_out_as_unicode(zebra_partner, settings):
    fetch = await connector(zebra_partner, "north", **settings).search(
        parse_cql('dc.title all "histoire religieuse" or dc.creator=tournier'), limit=10)
    records = by_title(fetch.records)
    histoire = next(r for t, r in records.items() if t.startswith("Histoire"))
    title = unicodedata.normalize("NFC", histoire.title)
    assert title.startswith("Histoire religieuse, politique et litt\u00e9raire de la Compagnie de J\u00e9sus")
    assert [unicodedata.normalize("NFC", a) for a in histoire.authors] == ["Cr\u00e9tineau-Joly, J."]
    assert "\ufffd" not in histoire.title and "\u00c3" not in histoire.title  # no mojibake
    escape = records["Escape from loneliness"]
    assert any("De la solitude \u00e0 la communaut\u00e9" in unicodedata.normalize("NFC", n) for n in escape.notes)


async def test_opac_syntax_fills_holdings_and_availability(zebra_partner):
    query = parse_cql("cql.serverChoice=the")
    fetch = await connector(zebra_partner, "north", options={"opac": True}).search(query, limit=40)
    assert fetch.hits > 40 and len(fetch.records) == 40
    holdings = [h for r in fetch.records for h in r.holdings]
    assert len(holdings) == 40 and {h.library for h in holdings} == {"NORTH"}
    assert all(h.item_id and h.item_id.startswith("NORTH") and h.call_number for h in holdings)
    states = {h.availability for h in holdings}
    assert states == {Availability.AVAILABLE, Availability.ON_LOAN, Availability.UNKNOWN}
    assert all(h.due_date == "2031-01-15" for h in holdings if h.availability is Availability.ON_LOAN)
    # the same copies read from the 952 item fields of the MARC records agree on the items
    marc = await connector(zebra_partner, "north").search(query, limit=40)
    assert [h.item_id for r in marc.records for h in r.holdings] == [h.item_id for h in holdings]


async def test_opac_holdings_from_yaz_ztest(zebra_partner):
    fetch = await connector(zebra_partner, "ztest", options={"opac": True}).search(
        parse_cql("dc.title=computer"), limit=3)
    assert fetch.records
    holding = fetch.records[0].holdings[0]
    assert holding.call_number == "MLCM 89/00602 (N)"
    assert holding.availability is Availability.AVAILABLE and holding.item_id == "1226176"


async def test_paging_through_present(zebra_cluster, zebra_partner):
    query = parse_cql("cql.serverChoice=the")
    whole = await connector(zebra_partner, "north", page_size=100).search(query, limit=30)
    log = zebra_cluster["north"].log
    presents_before = log.read_text(errors="replace").count("Present OK")
    paged = await connector(zebra_partner, "north", page_size=7, max_records=30).search(query, limit=100)
    presents = log.read_text(errors="replace").count("Present OK") - presents_before
    assert whole.hits == paged.hits > 30
    assert [r.local_id for r in paged.records] == [r.local_id for r in whole.records]
    assert len({r.local_id for r in paged.records}) == 30
    assert presents >= 4  # 7 piggybacked with the search, then 7 + 7 + 7 + 2 by present


# --- what partners cannot do, and failures ----------------------------------------------------------


async def test_isbn_search_on_stock_zebra_is_unsupported_with_bib1_114(zebra_partner):
    conn = connector(zebra_partner, "north")
    with pytest.raises(PartnerUnsupported) as info:
        await conn.search(parse_cql("bath.isbn=9781565926998"), limit=5)
    assert info.value.status == "unsupported"
    assert "Bib-1 diagnostic 114" in info.value.message
    assert "use attribute 7" in info.value.message and "isbn" in info.value.message
    assert info.value.native_query == '@attr 1=7 @attr 2=3 @attr 4=2 "9781565926998"'
    started = time.perf_counter()  # remembered: the second ISBN search does not ask again
    with pytest.raises(PartnerUnsupported, match="114"):
        await conn.search(parse_cql("bath.isbn=0415782654"), limit=5)
    assert time.perf_counter() - started < 0.05


async def test_isbn_search_where_the_library_indexes_isbn(zebra_partner):
    fetch = await connector(zebra_partner, "east").search(parse_cql("bath.isbn=1-56592-699-4"), limit=5)
    assert fetch.native_query == '@attr 1=7 @attr 2=3 @attr 4=2 "1565926994"'
    assert [r.title for r in fetch.records] == ["Programming the Perl DBI"]
    assert fetch.records[0].isbns == ["9781565926998"]


async def test_date_search_on_stock_zebra_is_unsupported(zebra_partner):
    conn = connector(zebra_partner, "south", indexes={"year": "1=30"})  # Bib-1 "date", not indexed
    with pytest.raises(PartnerUnsupported, match=r"114.*use attribute 30"):
        await conn.search(parse_cql("dc.date=2000"), limit=5)
    conn = connector(zebra_partner, "south")  # date of publication (31) is indexed, <> is not
    fetch = await conn.search(parse_cql("dc.date >= 2000 and dc.title=perl"), limit=5)
    assert fetch.hits >= 1
    with pytest.raises(PartnerUnsupported, match="117"):
        await conn.search(parse_cql("dc.date <> 2000"), limit=5)


async def test_index_the_partner_map_lacks_is_unsupported_without_asking(zebra_partner):
    conn = connector(zebra_partner, "north", indexes={"subject": None})
    with pytest.raises(PartnerUnsupported, match="'subject'"):
        conn.translate(parse_cql("dc.subject=perl"))


async def test_other_bib1_diagnostics_are_partner_diagnostics(zebra_partner):
    conn = connector(zebra_partner, "ztest", database="nosuchdb")
    with pytest.raises(PartnerDiagnostic, match="109") as info:
        await conn.search(parse_cql("dc.title=computer"), limit=5)
    assert info.value.status == "error" and "nosuchdb" in info.value.message


async def test_stopped_server_is_an_error_quickly(zebra_cluster, zebra_partner):
    conn = connector(zebra_partner, "east", timeout=5)
    zebra_cluster.stop("east")
    try:
        started = time.perf_counter()
        with pytest.raises(PartnerError) as info:
            await conn.search(parse_cql("dc.title=perl"), limit=5)
        assert time.perf_counter() - started < 1.0
        assert info.value.status in ("error", "timeout") and "10000" in info.value.message
    finally:
        zebra_cluster.start("east")
    assert (await conn.search(parse_cql("dc.title=perl"), limit=5)).hits == 4


async def test_slow_server_times_out_at_the_partner_timeout(zebra_partner):
    conn = connector(zebra_partner, "ztest", database="Default?search-delay=5", timeout=1)
    started = time.perf_counter()
    with pytest.raises(PartnerTimeout) as info:
        await conn.search(parse_cql("dc.title=computer"), limit=5)
    assert 0.9 < time.perf_counter() - started < 1.6
    assert info.value.status == "timeout"


async def test_slow_partner_does_not_delay_the_others(zebra_cluster, zebra_partner):
    slow = zebra_cluster.delay_proxy("south", 1.0)  # +1 s per round trip: init, search
    fast_conns = [connector(zebra_partner, name) for name in ("north", "east")]
    slow_conn = connector(zebra_partner, slow.name)
    finished: dict[str, float] = {}
    started = time.perf_counter()

    async def timed(name, conn):
        fetch = await conn.search(parse_cql("dc.title=perl"), limit=10)
        finished[name] = time.perf_counter() - started
        return fetch

    results = await asyncio.gather(timed("slow", slow_conn), *(timed(n, c) for n, c in zip(("north", "east"), fast_conns)))
    assert all(r.hits >= 4 for r in results)
    assert finished["slow"] >= 1.9
    assert finished["north"] < 0.5 and finished["east"] < 0.5


async def test_credentials_from_the_environment(zebra_partner, monkeypatch):
    monkeypatch.setenv("TEST_Z_USER", "reader")
    monkeypatch.setenv("TEST_Z_PASSWORD", "s3cret")
    conn = connector(zebra_partner, "ztest", credentials={"user_env": "TEST_Z_USER", "password_env": "TEST_Z_PASSWORD"})
    assert (conn.zoom_options["user"], conn.zoom_options["password"], conn.zoom_options["group"]) == (
        "reader", "s3cret", None)
    assert (await conn.search(parse_cql("dc.title=computer"), limit=1)).records  # yaz-ztest accepts any


# --- the binding itself -------------------------------------------------------------------------------


async def test_zoom_binding_ranges_and_surrogate_free_records(zebra_cluster):
    async with ZoomConnection(f"tcp:{zebra_cluster['south'].address}", timeout=5,
                              options={"databaseName": "Default", "preferredRecordSyntax": "usmarc"}) as conn:
        results = await conn.search('@attr 1=1016 "the"')
        assert results.size > 20
        middle = await results.records(10, 5)
        assert [r.position for r in middle] == [10, 11, 12, 13, 14]
        assert all(r.syntax == "USmarc" and r.data.endswith(b"\x1d") and r.error is None for r in middle)
        assert await results.records(results.size, 5) == []
        xml = await results.records(0, 1, record_type="xml")
        assert xml[0].data.lstrip().startswith(b"<record")
        with pytest.raises(ZoomDiagnostic) as info:
            await conn.search('@attr 1=7 "123"')
        assert (info.value.code, info.value.diagset, info.value.addinfo) == (114, "Bib-1", "7")
    assert conn.closed


async def test_zoom_connection_refuses_other_threads(zebra_cluster):
    conn = ZoomConnection(f"tcp:{zebra_cluster['north'].address}", timeout=2)
    try:
        with pytest.raises(RuntimeError, match="thread"):
            await asyncio.to_thread(lambda: conn._handle())
    finally:
        conn.close()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_fifty_concurrent_searches_leak_no_threads_or_fds(zebra_cluster, zebra_partner):
    conns = [connector(zebra_partner, name) for name in ("north", "south", "east")]
    conns.append(connector(zebra_partner, "ztest", database="Default?search-delay=0.1"))
    queries = ["dc.title=perl", "cql.serverChoice=the", 'dc.title all "histoire religieuse"', "dc.subject=history"]
    await conns[0].search(parse_cql(queries[0]), limit=5)  # warm up (library loaded, lazy imports)
    threads, fds = threading.active_count(), _fds()
    started = time.perf_counter()
    results = await asyncio.gather(*(conns[i % 4].search(parse_cql(queries[i % 4]), limit=20) for i in range(50)))
    elapsed = time.perf_counter() - started
    assert len(results) == 50 and all(r.records for r in results[:3])
    assert elapsed < 5
    await asyncio.sleep(0)
    assert threading.active_count() == threads  # ZOOM runs in the event loop: no threads at all
    assert _fds() <= fds  # every connection's socket closed


# --- configuration and parsing (no server) ---------------------------------------------------------


def test_endpoint_forms():
    from federator_connectors.z3950 import parse_endpoint

    assert parse_endpoint("z3950.example.org:2100") == ("tcp:z3950.example.org:2100", None)
    assert parse_endpoint("z3950://lib.example:210/biblios") == ("tcp:lib.example:210", "biblios")
    assert parse_endpoint("tcp:127.0.0.1:9999") == ("tcp:127.0.0.1:9999", None)
    assert parse_endpoint("lib.example") == ("tcp:lib.example:210", None)
    assert parse_endpoint("z3950s://lib.example:211/db") == ("ssl:lib.example:211", "db")


def test_record_syntax_and_options_from_the_partner(zebra_partner):
    from federator.errors import ConfigError

    plain = connector(zebra_partner, "north")
    assert (plain.zoom_options["preferredRecordSyntax"], plain.zoom_options["elementSetName"],
            plain.record_type) == ("usmarc", "F", "raw")  # Partner's SRU default (marcxml) not taken
    xml = connector(zebra_partner, "north", record_schema="marcxml")
    assert (xml.zoom_options["preferredRecordSyntax"], xml.zoom_options["elementSetName"]) == ("xml", "marcxml")
    opac = connector(zebra_partner, "north", database="biblios", page_size=25,
                     options={"opac": True, "charset": "UTF-8"})
    assert opac.zoom_options["preferredRecordSyntax"] == "opac" and opac.zoom_options["charset"] == "UTF-8"
    assert opac.zoom_options["databaseName"] == "biblios" and opac.zoom_options["presentChunk"] == 25
    with pytest.raises(ConfigError, match="record_schema"):
        connector(zebra_partner, "north", record_schema="mods")


def test_opac_holdings_parsing():
    from lxml import etree

    from federator_connectors.z3950 import opac_holdings

    root = etree.fromstring(b"""<opacRecord><bibliographicRecord/><holdings>
      <holding><localLocation>Perpustakaan Pusat</localLocation><shelvingLocation>Referensi</shelvingLocation>
        <callNumber>025.3 SUL k</callNumber><publicNote>Tidak dipinjamkan</publicNote>
        <circulations>
          <circulation><availableNow value="1"/><itemId>B001</itemId></circulation>
          <circulation><availableNow value="0"/><availabilityDate>20310115</availabilityDate><itemId>B002</itemId></circulation>
          <circulation><availableNow value="0"/><itemId>B003</itemId></circulation>
        </circulations></holding>
      <holding><nucCode>ID-JKPN</nucCode><callNumber>Serial 050</callNumber><enumAndChron>Vol. 1 (1990)-</enumAndChron></holding>
    </holdings></opacRecord>""")
    holdings = opac_holdings(root, "pusat")
    assert [(h.item_id, h.availability, h.due_date) for h in holdings] == [
        ("B001", Availability.AVAILABLE, None), ("B002", Availability.ON_LOAN, "2031-01-15"),
        ("B003", Availability.UNKNOWN, None), (None, Availability.UNKNOWN, None)]
    assert {(h.library, h.location, h.call_number) for h in holdings[:3]} == {
        ("Perpustakaan Pusat", "Referensi", "025.3 SUL k")}
    assert holdings[0].note == "Tidak dipinjamkan"
    assert (holdings[3].library, holdings[3].note, holdings[3].partner_id) == ("ID-JKPN", "Vol. 1 (1990)-", "pusat")
