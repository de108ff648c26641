"""OPAC records (Z39.50 with holdings): each answer's holdings stay its own, also when the
record cache gives the same normalised MARC record to several answers."""

from __future__ import annotations

from lxml import etree

from federator.records.model import Availability
from federator.records.normalise import record_cache
from federator_connectors.z3950 import _opac_record

MARC = ('<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">b1</controlfield><datafield tag="245" ind1="1" ind2="0">'
        '<subfield code="a">Sejarah Jakarta</subfield></datafield></record>')


def opac(available: str) -> etree._Element:
    return etree.fromstring(
        f"<opacRecord><bibliographicRecord>{MARC}</bibliographicRecord><holdings><holding>"
        f"<localLocation>Main</localLocation><callNumber>959.8 SEJ</callNumber><circulations><circulation>"
        f'<availableNow value="{available}"/><availabilityDate>2030-01-15</availabilityDate><itemId>i1</itemId>'
        f"</circulation></circulations></holding></holdings></opacRecord>")


def test_each_opac_answer_keeps_its_own_holdings_with_the_record_cache_on():
    size = record_cache.size
    record_cache.resize(100)
    try:
        first = _opac_record(opac("1"), "p")
        second = _opac_record(opac("0"), "p")
        third = _opac_record(opac("1"), "p")
    finally:
        record_cache.resize(size)
    assert first.title == second.title == "Sejarah Jakarta"
    assert [h.availability for h in first.holdings] == [Availability.AVAILABLE]
    assert [(h.availability, h.due_date) for h in second.holdings] == [(Availability.ON_LOAN, "2030-01-15")]
    assert [h.availability for h in third.holdings] == [Availability.AVAILABLE]
    assert b"<availableNow value=\"0\"/>" in second.raw and b"value=\"0\"" not in first.raw
