"""Merged records out as MARCXML, Dublin Core and MODS (federator.formats): the MARC layout
(base record, 001, identifiers, 035/986 provenance, one 852 per holding of every partner),
schema validity, and that federator's own MARC reader reads the holdings back (chaining).

Fixture: one real LoC record (tests/fixtures/marc/loc_booksall2016_slice.mrc, index 59, public
domain) held by three partners in the forms partners send: ISO 2709 with an 852 added in memory,
MARCXML with a Koha 952 item and 999 added in memory, and Dublin Core written from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from pymarc import Field, Indicators, Subfield

from federator.dedup.cluster import cluster
from federator.formats import FORMATS, merged_as_record, merged_marc, serialise
from federator.records.dc import record_to_dc
from federator.records.marc import normalise_marc
from federator.records.marcxml import marc_to_element
from federator.records.model import Availability, Holding
from federator.records.mods import record_to_mods
from federator.records.normalise import iter_iso2709, normalise_iso2709, normalise_xml, read_marc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARC_NS = "http://www.loc.gov/MARC21/slim"


@pytest.fixture(scope="module")
def marc_xsd():
    return etree.XMLSchema(etree.parse(str(FIXTURES / "schemas" / "marcxml" / "MARC21slim.xsd")))


@pytest.fixture(scope="module")
def source():
    data = (FIXTURES / "marc" / "loc_booksall2016_slice.mrc").read_bytes()
    record = list(iter_iso2709(data, "source"))[59]
    assert record.isbns == ["9780761921820"]
    return read_marc(record.raw)


def _iso2709(source, partner: str):
    rec = read_marc(source.as_marc())
    rec.add_field(Field("852", Indicators(" ", " "), [
        Subfield("a", "ALPHA"), Subfield("b", "Stacks"), Subfield("h", "KF9323 .P74"), Subfield("p", "A0001"),
        Subfield("z", "On loan, due 2026-03-01")]))
    return normalise_iso2709(rec.as_marc(), partner)


def _marcxml_koha(source, partner: str):
    rec = read_marc(source.as_marc())
    rec.add_field(Field("500", Indicators(" ", " "), [Subfield("a", "Copy from the Koha catalogue.")]))
    rec.add_field(Field("952", Indicators(" ", " "), [
        Subfield("a", "BETA-MAIN"), Subfield("c", "REF"), Subfield("o", "345.73 PRE"), Subfield("p", "B0002"),
        Subfield("y", "BK")]))
    rec.add_field(Field("999", Indicators(" ", " "), [Subfield("c", "77"), Subfield("d", "77")]))
    return normalise_xml(marc_to_element(rec), "marcxml", partner)


def _dc(record, partner: str):
    elem = record_to_dc(record)
    out = normalise_xml(elem, "dc", partner)
    out.holdings = [Holding(partner)]  # a DC partner tells no items: the fan-out lists it holding
    return out


@pytest.fixture(scope="module")
def merged(source):
    alpha = _iso2709(source, "alpha")
    beta = _marcxml_koha(source, "beta")
    gamma = _dc(alpha, "gamma")
    found, _ = cluster([alpha, beta, gamma])
    (one,) = found
    assert one.partners == ["alpha", "beta", "gamma"]
    return one


def _subfields(element, tag: str, code: str) -> list[str]:
    return [sf.text for df in element.findall(f"{{{MARC_NS}}}datafield[@tag='{tag}']")
            for sf in df.findall(f"{{{MARC_NS}}}subfield[@code='{code}']")]


def test_marcxml_layout(merged, marc_xsd):
    element = FORMATS["marcxml"](merged)
    assert marc_xsd.validate(etree.ElementTree(element)), marc_xsd.error_log
    assert element.findtext(f"{{{MARC_NS}}}controlfield[@tag='001']") == merged.id
    assert element.find(f"{{{MARC_NS}}}controlfield[@tag='003']") is None
    assert element.findtext(f"{{{MARC_NS}}}leader")[9] == "a"
    # the base is the richest member (the Koha copy has an extra 500), without its own items
    assert "Copy from the Koha catalogue." in _subfields(element, "500", "a")
    assert not _subfields(element, "952", "p") and not _subfields(element, "999", "c")
    assert _subfields(element, "986", "a") == ["alpha", "beta", "gamma"]
    assert _subfields(element, "986", "c") == ["marc21", "marcxml", "dc"]
    assert _subfields(element, "986", "e") == ["base"]
    assert _subfields(element, "986", "d")[0] == "first"
    assert {f"({m.partner_id}){m.local_id}" for m in merged.members} <= set(_subfields(element, "035", "a"))
    # every holding of every partner, one 852 each
    assert _subfields(element, "852", "a") == ["ALPHA", "BETA-MAIN", "gamma"]
    assert _subfields(element, "852", "x") == ["partner alpha", "partner beta", "partner gamma"]
    assert _subfields(element, "852", "h") == ["KF9323 .P74", "345.73 PRE"]
    assert _subfields(element, "852", "p") == ["A0001", "B0002"]
    assert _subfields(element, "852", "z") == ["On loan, due 2026-03-01", "Available"]


def test_holdings_and_identifiers_read_back(merged):
    """What a federator that has this one as a partner sees: the same holdings and ids."""
    again = normalise_marc(merged_marc(merged), "inner-network")
    assert again.local_id == merged.id
    assert again.isbns == merged.isbns and again.lccn == merged.lccn
    assert [(h.library, h.location, h.call_number, h.item_id, h.availability, h.due_date) for h in again.holdings] == [
        (h.library or h.partner_id, h.location, h.call_number, h.item_id, h.availability, h.due_date)
        for h in merged.holdings]
    assert again.holdings[0].availability is Availability.ON_LOAN
    assert {h.partner_id for h in again.holdings} == {"inner-network"}


def test_merged_identifiers_missing_from_the_base_are_added(merged):
    merged.isbns.append("9780306406157")
    merged.oclc_numbers.append("12345")
    try:
        rec = merged_marc(merged)
    finally:
        merged.isbns.pop()
        merged.oclc_numbers.pop()
    isbns = [v for f in rec.get_fields("020") for v in f.get_subfields("a")]
    assert "9780306406157" in isbns and len(isbns) == 2
    assert "(OCoLC)12345" in [v for f in rec.get_fields("035") for v in f.get_subfields("a")]


def test_without_marc_members_the_marc_is_built_from_the_merged_fields(source, marc_xsd):
    alpha = _iso2709(source, "alpha")
    dc = _dc(alpha, "gamma")
    mods = normalise_xml(record_to_mods(alpha), "mods", "delta")
    found, _ = cluster([dc, mods])
    (merged,) = found
    element = marc_to_element(merged_marc(merged))
    assert marc_xsd.validate(etree.ElementTree(element)), marc_xsd.error_log
    again = normalise_marc(merged_marc(merged), "outer")
    assert again.title == merged.title and again.year == merged.year and again.isbns == merged.isbns
    assert again.language == merged.language and again.material_type is merged.material_type
    assert again.authors[0] == merged.authors[0]
    assert [h.library for h in again.holdings] == [h.library or h.partner_id for h in merged.holdings]
    assert _subfields(element, "986", "e") == []


def test_dc_and_mods(merged):
    dc = etree.fromstring(serialise(merged, "dc"))
    assert dc.findtext("{http://purl.org/dc/elements/1.1/}identifier") == merged.id
    assert dc.findtext("{http://purl.org/dc/elements/1.1/}title") == merged.title
    mods = etree.fromstring(serialise(merged, "mods"))
    ns = "{http://www.loc.gov/mods/v3}"
    assert [p.text for p in mods.iter(f"{ns}physicalLocation")] == ["ALPHA", "BETA-MAIN", "gamma"]
    assert mods.findtext(f"{ns}recordInfo/{ns}recordIdentifier") == merged.id
    record = merged_as_record(merged)
    assert record.local_id == merged.id and len(record.holdings) == len(merged.holdings)
    # a note that only repeats the availability is not written twice
    assert all(h.note is None for h in record.holdings[1:])
