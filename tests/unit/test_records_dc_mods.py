"""Dublin Core and MODS <-> Record: real MARC records carried through DC and MODS and back, and
MODS/DC features read from records written the way catalogues write them."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from federator.records import (
    Availability,
    Holding,
    MaterialType,
    dc_to_record,
    iter_iso2709,
    mods_to_record,
    normalise_xml,
    record_to_dc,
    record_to_mods,
)
from federator.records.dc import DC_NS, SRW_DC_NS
from federator.records.mods import MODS_NS
from federator.safexml import PARSER

FIXTURES = Path(__file__).parent.parent / "fixtures" / "marc"

DC_FIELDS = ("title", "authors", "author_dates", "isbns", "issns", "lccn", "oclc_numbers", "year",
             "language", "subjects", "publisher", "material_type", "physical_description", "urls")
MODS_FIELDS = DC_FIELDS + ("local_id", "part", "responsibility", "invalid_isbns", "edition",
                           "place", "series", "notes", "holdings")


@cache
def real_records():
    records = list(iter_iso2709((FIXTURES / "loc_booksall2016_slice.mrc").read_bytes(), "loc"))
    records += list(iter_iso2709((FIXTURES / "traject_test_data.utf8.mrc").read_bytes(), "traject"))
    koha = etree.parse(str(FIXTURES / "koha_misc4dev_biblios_slice.marcxml.xml"), PARSER)
    records += [normalise_xml(e, "marcxml", "koha") for e in koha.getroot()]
    return records


def loc(local_id: str):
    return next(r for r in real_records() if r.local_id == local_id)


def reparse(elem):
    """Serialise and parse again, as a partner's response would arrive."""
    return etree.fromstring(etree.tostring(elem), PARSER)


# --- Round trips ------------------------------------------------------------------------------


def test_dc_round_trip_keeps_what_dc_can_carry():
    records = real_records()
    assert len(records) == 350
    for record in records:
        back = dc_to_record(reparse(record_to_dc(record)), record.partner_id)
        for name in DC_FIELDS:
            assert getattr(back, name) == getattr(record, name), (record.local_id, name)
        assert back.source_format == "dc"


def test_mods_round_trip_keeps_everything_including_holdings():
    for record in real_records():
        back = mods_to_record(reparse(record_to_mods(record)), record.partner_id)
        for name in MODS_FIELDS:
            assert getattr(back, name) == getattr(record, name), (record.local_id, name)
        assert back.source_format == "mods"


def test_mods_round_trip_of_koha_style_holdings():
    record = replace(
        loc("00330038"),
        holdings=[
            Holding("loc", location="GEN", call_number="PT2685.A52 F33 1999",
                    availability=Availability.AVAILABLE, item_id="39999000001", library="CPL"),
            Holding("loc", location="REF", availability=Availability.ON_LOAN,
                    due_date="2015-08-07", item_id="39999000002", library="MPL",
                    note="Vol. 1 (1990)-"),
            Holding("loc", availability=Availability.NOT_FOR_LOAN, library="MPL"),
            Holding("loc", availability=Availability.LOST, library="MPL"),
            Holding("loc", call_number="PT2685", library="MPL"),
        ],
    )
    back = mods_to_record(reparse(record_to_mods(record)), "loc")
    assert back.holdings == record.holdings


def test_dc_and_mods_output_namespaces():
    record = loc("00271630")
    dc = record_to_dc(record)
    assert dc.tag == f"{{{SRW_DC_NS}}}dc" and dc.prefix == "srw_dc"
    assert {child.tag.rpartition("}")[0] + "}" for child in dc} == {f"{{{DC_NS}}}"}
    assert dc.nsmap == {"srw_dc": SRW_DC_NS, "dc": DC_NS}
    values = {(c.tag.rpartition("}")[2], c.text) for c in dc}
    assert ("title", record.title) in values
    assert ("language", "ind") in values
    assert ("date", "1998") in values
    mods = record_to_mods(record)
    assert mods.tag == f"{{{MODS_NS}}}mods" and mods.get("version").startswith("3.")


def test_material_types_survive_both_formats():
    base = loc("00271630")
    for material in MaterialType:
        record = replace(base, material_type=material)
        assert mods_to_record(reparse(record_to_mods(record)), "p").material_type is material
        dc_material = dc_to_record(reparse(record_to_dc(record)), "p").material_type
        assert dc_material is material, material


# --- Reading DC as partners send it -------------------------------------------------------------


def _as_oai_dc(elem):
    """The same record in the oai_dc wrapper OAI-PMH and many SRU servers use."""
    text = etree.tostring(elem).replace(SRW_DC_NS.encode(), b"http://www.openarchives.org/OAI/2.0/oai_dc/")
    return etree.fromstring(text.replace(b"srw_dc:", b"oai_dc:").replace(b"xmlns:srw_dc", b"xmlns:oai_dc"), PARSER)


def test_oai_dc_and_bare_dc_read_like_srw_dc():
    record = loc("00330038")
    srw = record_to_dc(record)
    oai = _as_oai_dc(srw)
    assert oai.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    bare = etree.Element("record")  # DC element names without any namespace
    for child in srw:
        etree.SubElement(bare, child.tag.rpartition("}")[2]).text = child.text
    for elem in (srw, oai, bare):
        back = dc_to_record(elem, "p")
        assert (back.title, back.authors, back.isbns, back.year, back.language) == (
            record.title, record.authors, record.isbns, record.year, record.language
        )


def _dc(*pairs):
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, text in pairs:
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = text
    return root


def test_dc_identifiers_are_recognised():
    # Values of the Koha record "The C programming language" (001 1491800) as a DC server gives them.
    record = dc_to_record(
        _dc(
            ("title", "The C programming language /"),
            ("creator", "Kernighan, Brian W."),
            ("contributor", "Ritchie, Dennis M."),
            ("identifier", "ISBN 0131103628 (pbk.)"),
            ("identifier", "urn:isbn:0131103709"),
            ("identifier", "9780131103627"),
            ("identifier", "ISSN 0016-3929"),
            ("identifier", "http://www.loc.gov/catdir/toc/fy0610/88005934.html"),
            ("identifier", "koha:biblionumber:1491800"),
            ("identifier", "ISBN 0131103620"),
            ("identifier", "info:lccn/88005934"),
            ("identifier", "(OCoLC)ocm17650642"),
            ("date", "c1988."),
            ("language", "English"),
            ("type", "Text"),
            ("format", "text/html"),
            ("format", "xii, 272 p. ; 25 cm."),
            ("publisher", "Prentice Hall,"),
            ("coverage", "United States"),
        ),
        "koha",
    )
    assert record.title == "The C programming language"
    assert record.authors == ["Kernighan, Brian W.", "Ritchie, Dennis M."]
    assert record.isbns == ["9780131103627", "9780131103702"]
    assert record.invalid_isbns == ["ISBN 0131103620"]
    assert record.issns == ["0016-3929"]
    assert record.urls == ["http://www.loc.gov/catdir/toc/fy0610/88005934.html"]
    assert record.local_id == "koha:biblionumber:1491800"  # a plain id is preferred to URLs
    assert record.lccn == "88005934"
    assert record.oclc_numbers == ["17650642"]
    assert (record.year, record.language, record.publisher) == (1988, "eng", "Prentice Hall")
    assert record.material_type is MaterialType.BOOK
    assert record.physical_description == "xii, 272 p. ; 25 cm"
    assert record.subjects == ["United States"]


def test_dc_local_id_falls_back_to_a_stable_hash():
    elem = _dc(("title", "Gairm"), ("identifier", "0016-3929"), ("language", "gd"))
    record = dc_to_record(elem, "p")
    assert record.local_id.startswith("sha1-")
    assert record.local_id == dc_to_record(reparse(elem), "p").local_id
    assert record.issns == ["0016-3929"]
    assert record.material_type is MaterialType.SERIAL  # ISSN and no ISBN, no dc:type
    assert record.language == "gla"  # ISO 639-1 "gd" -> 639-2/B


@pytest.mark.parametrize(
    ("text", "code"),
    [("ind", "ind"), ("id", "ind"), ("Indonesian", "ind"), ("en-US", "eng"), ("deu", "ger"),
     ("fre", "fre"), ("Bahasa Indonesia", "ind"), ("", None), ("xx", None), ("Klingonese", None)],
)
def test_dc_language_forms(text, code):
    assert dc_to_record(_dc(("title", "x"), ("language", text)), "p").language == code


# --- Reading MODS as catalogues write it --------------------------------------------------------

# LoC record 00330038 (loc_booksall2016_slice.mrc) written the way LoC's MARC21slim2MODS3
# stylesheet writes it, with its 852 as a MODS location and a copy-level status note.
MODS_00330038 = f"""<modsCollection xmlns="{MODS_NS}"><mods version="3.5">
  <titleInfo><nonSort xml:space="preserve">Die </nonSort><title>Fähre legt sich hin am Strand</title>
    <subTitle>ein Lesebuch</subTitle></titleInfo>
  <titleInfo type="alternative"><title>Fähre</title></titleInfo>
  <name type="personal" usage="primary"><namePart>Walter, Silja</namePart>
    <namePart type="date">1919-2011</namePart>
    <role><roleTerm authority="marcrelator" type="text">creator</roleTerm></role></name>
  <name type="personal"><namePart type="family">Obermüller</namePart>
    <namePart type="given">Klara</namePart><namePart type="date">1940-</namePart></name>
  <typeOfResource>text</typeOfResource>
  <genre authority="marcgt">bibliography</genre>
  <originInfo><place><placeTerm type="code" authority="marccountry">sz</placeTerm></place>
    <place><placeTerm type="text">Zürich</placeTerm></place><publisher>Arche</publisher>
    <dateIssued>c1999</dateIssued><dateIssued encoding="marc">1999</dateIssued>
    <issuance>monographic</issuance></originInfo>
  <language><languageTerm authority="iso639-2b" type="code">ger</languageTerm></language>
  <physicalDescription><form authority="marcform">print</form><extent>238 p. : ill. ; 20 cm.</extent></physicalDescription>
  <note type="statement of responsibility">Silja Walter ; herausgegeben von Klara Obermüller.</note>
  <subject authority="lcsh"><topic>Swiss literature</topic><temporal>20th century</temporal></subject>
  <subject><name type="personal"><namePart>Walter, Silja</namePart><namePart type="date">1919-2011</namePart></name></subject>
  <subject><hierarchicalGeographic><country>Switzerland</country><city>Zürich</city></hierarchicalGeographic></subject>
  <classification authority="lcc">PT2685.A52 F34 1999b</classification>
  <relatedItem type="series"><titleInfo><title>Werkausgabe</title><partNumber>Bd. 3</partNumber></titleInfo></relatedItem>
  <identifier type="isbn">3716022543</identifier>
  <identifier type="isbn" invalid="yes">3716022542</identifier>
  <identifier type="lccn">00330038</identifier>
  <identifier type="oclc">(OCoLC)ocm43040467</identifier>
  <location><physicalLocation>ICU</physicalLocation><holdingSimple><copyInformation>
    <subLocation>JRL, Gen</subLocation><shelfLocator>PT2685.A52F33 1999</shelfLocator>
    <note>Checked out, due 2024-05-01</note></copyInformation></holdingSimple></location>
  <location><url usage="primary display">http://www.loc.gov/catdir/toc/00330038.html</url></location>
  <recordInfo><recordContentSource authority="marcorg">DLC</recordContentSource>
    <recordIdentifier>00330038</recordIdentifier></recordInfo>
</mods></modsCollection>"""


def test_mods_record_as_catalogues_write_it():
    record = mods_to_record(etree.fromstring(MODS_00330038.encode(), PARSER), "loc")
    real = loc("00330038")
    assert record.title == real.title == "Die Fähre legt sich hin am Strand : ein Lesebuch"
    assert record.authors == real.authors == ["Walter, Silja", "Obermüller, Klara"]
    assert record.author_dates == real.author_dates
    assert record.responsibility == real.responsibility
    assert (record.place, record.publisher, record.year, record.language) == (
        real.place, real.publisher, real.year, real.language)
    assert record.isbns == real.isbns == ["9783716022542"]
    assert record.invalid_isbns == ["3716022542"]
    assert (record.lccn, record.oclc_numbers) == ("00330038", ["43040467"])
    assert record.physical_description == real.physical_description
    assert record.material_type is MaterialType.BOOK
    assert record.subjects == [
        "Swiss literature -- 20th century",
        "Walter, Silja, 1919-2011",
        "Switzerland -- Zürich",
    ]
    assert record.series == ["Werkausgabe ; Bd. 3"]
    assert record.urls == ["http://www.loc.gov/catdir/toc/00330038.html"]
    assert record.local_id == "00330038"
    [holding] = record.holdings
    assert (holding.library, holding.location, holding.call_number) == (
        real.holdings[0].library, real.holdings[0].location, real.holdings[0].call_number)
    assert holding.availability is Availability.ON_LOAN
    assert holding.due_date == "2024-05-01"


def test_mods_serial_part_and_manuscript():
    # The Koha serial "Gairm" (ISSN 0016-3929) and LoC manuscript 00696658, in MODS.
    gairm = mods_to_record(etree.fromstring(f"""<mods xmlns="{MODS_NS}">
      <titleInfo><title>Gairm</title><partNumber>Àireamh 1</partNumber><partName>Foghar</partName></titleInfo>
      <typeOfResource>text</typeOfResource>
      <originInfo eventType="publication"><place><placeTerm type="text">Glaschu</placeTerm></place>
        <dateIssued point="start" encoding="marc" keyDate="yes">1952</dateIssued>
        <dateIssued point="end" encoding="marc">2002</dateIssued><issuance>serial</issuance></originInfo>
      <language><languageTerm type="text">Scottish Gaelic</languageTerm><languageTerm type="code" authority="iso639-2b">gla</languageTerm></language>
      <identifier type="issn">0016-3929</identifier></mods>""".encode(), PARSER), "koha")
    assert (gairm.title, gairm.part) == ("Gairm", "Àireamh 1, Foghar")
    assert gairm.material_type is MaterialType.SERIAL
    assert (gairm.year, gairm.place, gairm.language, gairm.issns) == (1952, "Glaschu", "gla", ["0016-3929"])
    assert gairm.local_id.startswith("sha1-")
    manuscript = mods_to_record(etree.fromstring(f"""<mods xmlns="{MODS_NS}">
      <titleInfo><title>Daijō kishinron</title></titleInfo>
      <titleInfo type="alternative" altRepGroup="01"><title>大乘起信論</title></titleInfo>
      <typeOfResource manuscript="yes">text</typeOfResource>
      <originInfo><place><placeTerm type="text">[Japan</placeTerm></place><dateIssued>17--?]</dateIssued></originInfo>
      <recordInfo><recordIdentifier source="DLC">00696658</recordIdentifier></recordInfo></mods>""".encode(), PARSER), "loc")
    assert (manuscript.title, manuscript.place, manuscript.year) == ("Daijō kishinron", "Japan", None)
    assert manuscript.material_type is MaterialType.MANUSCRIPT
    assert manuscript.local_id == "00696658"
