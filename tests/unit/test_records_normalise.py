"""The connectors' entry point: schema dispatch, ISO 2709 streams, the package's public surface."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import federator.records as records
from federator.records import (
    UnknownSchema,
    iter_iso2709,
    normalise_iso2709,
    normalise_xml,
    record_to_dc,
    record_to_mods,
)
from federator.records.normalise import schema_name
from federator.safexml import PARSER

FIXTURES = Path(__file__).parent.parent / "fixtures" / "marc"


def first_loc():
    return next(iter_iso2709((FIXTURES / "loc_booksall2016_slice.mrc").read_bytes(), "loc"))


@pytest.mark.parametrize(
    ("schema", "name"),
    [
        ("marcxml", "marcxml"),
        ("MARCXML", "marcxml"),
        ("marc21", "marcxml"),
        ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
        ("http://www.loc.gov/MARC21/slim", "marcxml"),
        ("info:lc/xmlns/marcxchange-v2", "marcxml"),
        ("dc", "dc"),
        ("info:srw/schema/1/dc-v1.1", "dc"),
        ("info:srw/schema/1/dc-schema", "dc"),
        ("http://purl.org/dc/elements/1.1/", "dc"),
        ("oai_dc", "dc"),
        ("mods", "mods"),
        ("info:srw/schema/1/mods-v3.x", "mods"),
        ("info:srw/schema/1/mods-v3.4", "mods"),
        ("info:srw/schema/1/mods-v3.7", "mods"),
        ("http://www.loc.gov/mods/v3", "mods"),
    ],
)
def test_schema_names_and_uris(schema, name):
    assert schema_name(schema) == name


@pytest.mark.parametrize("schema", ["", "opacxml", "info:srw/schema/1/onix-v2.0", "pica", None])
def test_unknown_schema(schema):
    with pytest.raises(UnknownSchema):
        normalise_xml(etree.Element("record"), schema, "p")
    assert issubclass(UnknownSchema, ValueError)


def test_normalise_xml_dispatches_and_keeps_raw_xml():
    loc = first_loc()
    dc = normalise_xml(record_to_dc(loc), "info:srw/schema/1/dc-v1.1", "p")
    mods = normalise_xml(record_to_mods(loc), "info:srw/schema/1/mods-v3.7", "p")
    koha = etree.parse(str(FIXTURES / "koha_misc4dev_biblios_slice.marcxml.xml"), PARSER)
    marc = normalise_xml(koha.getroot()[0], "info:srw/schema/1/marcxml-v1.1", "koha")
    assert (dc.source_format, mods.source_format, marc.source_format) == ("dc", "mods", "marcxml")
    assert dc.title == mods.title == loc.title
    assert marc.title.startswith("E Street shuffle")
    assert dc.raw.startswith(b"<srw_dc:dc") and mods.raw.startswith(b"<mods")
    assert etree.fromstring(marc.raw, PARSER).get("type") is None


def test_normalise_iso2709_reads_only_the_first_record():
    data = (FIXTURES / "pymarc_encoding_cases" / "marc.dat").read_bytes()
    record = normalise_iso2709(data, "p")
    assert record.title == "The pragmatic programmer : from journeyman to master"
    assert record.raw == data[: int(data[:5])]
    assert len(list(iter_iso2709(data, "p"))) == 20


def test_iter_iso2709_skips_unreadable_records_between_good_ones():
    good = (FIXTURES / "pymarc_encoding_cases" / "marc8.dat").read_bytes()
    bad = (FIXTURES / "openlibrary_test_inputs" / "bin_input" / "dasrmischepriv00rein_meta.mrc").read_bytes()
    titles = [r.title for r in iter_iso2709(good + bad + b"\n" + good, "p")]
    assert titles == ["Escape from loneliness", "Escape from loneliness"]


def test_public_surface():
    assert set(records.__all__) >= {
        "Availability", "Holding", "MaterialType", "Record", "UnknownSchema", "dc_to_record",
        "element_to_marc", "marc_to_element", "mods_to_record", "normalise_iso2709",
        "normalise_marc", "normalise_xml", "record_to_dc", "record_to_mods",
    }
    for name in records.__all__:
        assert getattr(records, name) is not None


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_record_normalised_again_comes_from_the_record_cache(monkeypatch):
    from federator.records import normalise

    cache = normalise.RecordCache(size=10)
    monkeypatch.setattr(normalise, "record_cache", cache)
    elem = etree.fromstring(etree.tostring(record_to_dc(first_loc())), PARSER)
    first = normalise_xml(elem, "dc", "loc")
    assert normalise_xml(elem, "dc", "loc") is first  # same partner, same bytes
    assert normalise_xml(elem, "dc", "ui") is not first  # another partner's copy is its own record
    assert normalise_xml(elem, "dc", "ui").partner_id == "ui"
    assert (cache.hits, cache.misses, len(cache)) == (2, 2, 2)


def test_record_cache_is_bounded_expires_and_can_be_off():
    from federator.records.normalise import RecordCache

    clock = Clock()
    cache = RecordCache(size=2, clock=clock)
    rec = first_loc()
    for n in range(3):
        cache.put(("dc", "p", b"%d" % n), rec)
        clock.now += 10
    assert cache.get(("dc", "p", b"0")) is None and len(cache) == 2  # least recently used out
    assert cache.get(("dc", "p", b"1")) is rec  # used at t=30
    clock.now = 45
    assert cache.expire(ttl=20) == 1 and cache.get(("dc", "p", b"1")) is rec  # b"2" last used at 20
    cache.resize(0)
    cache.put(("dc", "p", b"3"), rec)
    assert len(cache) == 0
