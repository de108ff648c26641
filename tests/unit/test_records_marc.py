"""MARC 21 -> Record on real records (tests/fixtures/marc, see PROVENANCE.md there)."""

from __future__ import annotations

import copy
import unicodedata
from functools import cache
from pathlib import Path

import pymarc
import pytest
from pymarc import Field, Indicators, Subfield

from federator.records import (
    Availability,
    MaterialType,
    iter_iso2709,
    normalise_iso2709,
    normalise_marc,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "marc"
LOC = FIXTURES / "loc_booksall2016_slice.mrc"
OPENLIBRARY_BIN = FIXTURES / "openlibrary_test_inputs" / "bin_input"
OPENLIBRARY_ADD_BOOK = FIXTURES / "openlibrary_test_inputs" / "add_book_test_data"
ENCODING = FIXTURES / "pymarc_encoding_cases"
TRAJECT = FIXTURES / "traject_test_data.utf8.mrc"

# pymarc cannot read these either: the leader length disagrees with the bytes, so the directory
# offsets are wrong (the files were re-encoded after they were written).
UNREADABLE_BIN = {
    "dasrmischepriv00rein_meta.mrc",
    "lesabndioeinas00sche_meta.mrc",
    "poganucpeoplethe00stowuoft_meta.mrc",
    "new_poganucpeoplethe00stowuoft_meta.mrc",
}
# A real record with nothing but 001-008 and an 010: there is no title to find.
NO_TITLE_DATA = {"talis_no_title2.mrc"}


@cache
def loc_records():
    return list(iter_iso2709(LOC.read_bytes(), "loc"))


def loc(local_id: str):
    return next(r for r in loc_records() if r.local_id == local_id)


def read_pymarc(path: Path, index: int = 0) -> pymarc.Record:
    return list(pymarc.MARCReader(path.read_bytes(), to_unicode=True, permissive=True))[index]


def ol(name: str):
    return normalise_iso2709((OPENLIBRARY_BIN / name).read_bytes(), "ol")


# --- LoC sample --------------------------------------------------------------------------------


def test_loc_slice_reads_every_record_with_title_and_id():
    records = loc_records()
    assert len(records) == 216
    assert all(r.title and r.local_id for r in records)
    assert len({r.local_id for r in records}) == 216
    assert all(r.source_format == "marc21" and r.partner_id == "loc" for r in records)
    for record in records:
        for isbn in record.isbns:
            assert len(isbn) == 13 and isbn[:3] in ("978", "979")


def test_loc_first_record_all_fields():
    record = loc_records()[0]
    assert record.local_id == "00000234"
    assert record.title == "For the freedom of the sea; a romance of the War of 1812"
    assert record.responsibility == "by Cyrus Townsend Brady ..."
    assert record.authors == ["Brady, Cyrus Townsend"]
    assert record.author_dates == {"Brady, Cyrus Townsend": "1861-1920"}
    assert record.lccn == "00000234"
    assert record.oclc_numbers == ["1190262"]
    assert (record.place, record.publisher, record.year) == ("New York", "Charles Scribner's Sons", 1899)
    assert record.language == "eng"
    assert record.material_type is MaterialType.BOOK
    assert record.subjects == ["United States -- History -- War of 1812 -- Fiction"]
    assert record.physical_description == "xi, 339 p. front., plates. 20 cm"
    assert record.raw is not None and record.raw.startswith(b"00706cam")


def test_loc_indonesian_records():
    indonesian = [r for r in loc_records() if r.language == "ind"]
    assert len(indonesian) >= 8
    record = loc("00271630")
    assert record.title == (
        "Pengetahuan lingkungan dan sosial budaya daerah Nusa Tenggara Timur : muatan lokal Kupang"
    )
    assert record.responsibility == "Djowa Maga, Maria H. Klau"
    assert (record.place, record.publisher, record.year) == ("Kupang", "Pabelan", 1998)
    assert record.language == "ind"


def test_loc_indonesian_meeting_and_isbn_with_qualifier():
    record = loc("00280601")  # 020 $a "9796300036 (set)", 111 main entry
    assert record.isbns == ["9789796300037"]
    assert record.authors == [
        "Rapat Koordinasi Nasional Riset dan Teknologi",
        "Indonesia. Menteri Negara Riset dan Teknologi",
    ]
    assert record.year == 1995


def test_loc_issn_record_is_a_monograph_in_a_serial_series():
    record = loc("00025161")  # 022 is the ISSN of the series; leader/06-07 "am"
    assert record.issns == ["0272-9172"]
    assert record.isbns == ["9781558995093"]
    assert record.material_type is MaterialType.BOOK
    assert record.series == [
        "Materials Research Society symposium proceedings ; v. 601",
        "Materials Research Society symposia proceedings ; 601",
    ]
    assert record.urls == ["http://www.loc.gov/catdir/enhancements/fy1108/00025161-d.html"]


def test_loc_852_holding_and_nfc_text():
    record = loc("00330038")
    assert record.title == "Die Fähre legt sich hin am Strand : ein Lesebuch"
    assert unicodedata.is_normalized("NFC", record.title)
    assert len(record.holdings) == 1
    holding = record.holdings[0]
    assert (holding.library, holding.location, holding.call_number) == (
        "ICU",
        "JRL, Gen",
        "PT2685.A52F33 1999",
    )
    assert holding.partner_id == "loc"
    assert holding.availability is Availability.UNKNOWN


def test_loc_manuscript_and_880_title_fallback():
    record = loc("00696658")
    assert record.material_type is MaterialType.MANUSCRIPT
    assert record.title == "Daijō kishinron"
    assert record.year is None  # 008 date "17uu"
    rec = read_pymarc(LOC, [r.local_id for r in loc_records()].index("00696658"))
    rec.remove_fields("245")
    assert normalise_marc(rec, "loc").title == "大乘起信論"


def test_852_availability_from_public_note():
    rec = read_pymarc(LOC, [r.local_id for r in loc_records()].index("00330038"))
    field = rec.get_fields("852")[0]
    field.add_subfield("p", "39002012345678")
    field.add_subfield("z", "On loan, due 2024-05-01")
    holding = normalise_marc(rec, "loc").holdings[0]
    assert holding.availability is Availability.ON_LOAN
    assert holding.due_date == "2024-05-01"
    assert holding.item_id == "39002012345678"
    assert holding.note == "On loan, due 2024-05-01"
    for text, expected in [
        ("Available", Availability.AVAILABLE),
        ("Reference only - not for loan", Availability.NOT_FOR_LOAN),
        ("Hilang", Availability.LOST),
        ("Tersedia", Availability.AVAILABLE),
    ]:
        field.delete_subfield("z")
        field.add_subfield("z", text)
        assert normalise_marc(rec, "loc").holdings[0].availability is expected, text


# --- Koha items (952) ---------------------------------------------------------------------------


def _koha_items(*subfield_lists):
    """A real LoC record with Koha 952 item fields added (the Koha fixture has no 952)."""
    rec = read_pymarc(LOC, 0)
    for subfields in subfield_lists:
        rec.add_field(
            Field("952", Indicators(" ", " "), [Subfield(c, v) for c, v in subfields])
        )
    return normalise_marc(rec, "koha").holdings


def test_koha_952_items():
    holdings = _koha_items(
        [("0", "0"), ("1", "0"), ("7", "0"), ("a", "CPL"), ("b", "CPL"), ("c", "GEN"),
         ("o", "PZ3.B729 Fo"), ("p", "39999000001"), ("y", "BK")],
        [("0", "0"), ("1", "0"), ("7", "0"), ("a", "MPL"), ("o", "PZ3.B729 Fo c.2"),
         ("p", "39999000002"), ("q", "2015-08-07"), ("y", "BK")],
        [("7", "1"), ("a", "MPL"), ("c", "REF"), ("p", "39999000003")],
        [("1", "1"), ("7", "0"), ("a", "CPL"), ("p", "39999000004")],
        [("0", "1"), ("a", "CPL"), ("p", "39999000005")],
        [("a", "muzerec")],  # LoC's own local 952: not a Koha item
    )
    assert [h.availability for h in holdings] == [
        Availability.AVAILABLE,
        Availability.ON_LOAN,
        Availability.NOT_FOR_LOAN,
        Availability.LOST,
        Availability.NOT_FOR_LOAN,
    ]
    first, on_loan = holdings[0], holdings[1]
    assert (first.library, first.location, first.call_number, first.item_id) == (
        "CPL",
        "GEN",
        "PZ3.B729 Fo",
        "39999000001",
    )
    assert first.partner_id == "koha"
    assert on_loan.due_date == "2015-08-07"
    assert all(h.due_date is None for h in holdings if h is not on_loan)


# --- Open Library edge cases --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(OPENLIBRARY_BIN.glob("*.mrc")) + sorted(OPENLIBRARY_ADD_BOOK.glob("*.mrc")),
    ids=lambda p: p.name,
)
def test_openlibrary_binary_records(path):
    record = normalise_iso2709(path.read_bytes(), "ol")
    if path.name in UNREADABLE_BIN:
        assert record is None
    elif path.name in NO_TITLE_DATA:
        assert record is not None and record.title is None and record.lccn == "b82004255"
    else:
        assert record is not None and record.title, path.name


def test_openlibrary_unreadable_files_are_exactly_the_known_four():
    skipped = {p.name for p in OPENLIBRARY_BIN.glob("*.mrc") if normalise_iso2709(p.read_bytes(), "ol") is None}
    assert skipped == UNREADABLE_BIN


def test_9999_dates():
    assert ol("9999_sd_dates.mrc").year is None  # 008 9999, 260 $c [s.d.]
    assert ol("9999_with_correct_date_in_260.mrc").year == 2003


def test_unknown_place_and_publisher():
    record = ol("test-publish-sn-sl.mrc")  # 260 $a[s.l.] :$b[S.n.],$c[between 1900 and 1909]
    assert (record.place, record.publisher, record.year) == (None, None, 1900)
    record = ol("test-publish-sn-sl-nd.mrc")  # [s.l]:[s.n],[n.d.] and a blank 008 date
    assert (record.place, record.publisher, record.year) == (None, None, None)


def test_title_fallbacks_when_245_is_empty_or_missing():
    assert ol("talis_empty_245.mrc").title == "2 diversions"  # 245 "$." -> 240
    assert ol("talis_740.mrc").title == "Modern Supreme Court"
    assert ol("talis_no_title.mrc").title == "Plays"
    assert ol("scrapbooksofmoun03tupp_meta.mrc").title == (
        "Scrapbooks of mounted views, portraits, etc., relating to Europe and Egypt"
    )  # 245 $k only
    record = ol("talis_245p.mrc")
    assert (record.title, record.part) == ("SMP topic mathematics", "Pattern and design")


def test_broken_008_and_leader():
    record = ol("collingswood_bad_008.mrc")
    assert (record.year, record.language) == (1972, "eng")
    record = ol("collingswood_520aa.mrc")  # leader "nim": nonmusical sound recording
    assert record.material_type is MaterialType.SOUND
    assert record.invalid_isbns == ["087279811"]
    record = ol("upei_short_008.mrc")  # directory garbled: read, never raised
    assert record.title == "Charlottetown Area"


def test_name_without_a_is_not_an_author():
    assert ol("henrywardbeecher00robauoft_meta.mrc").authors == []  # 100 $bROBA$c1


def test_bracketed_name_and_dates():
    record = ol("1733mmoiresdel00vill_meta.mrc")  # 100 $a[Villars, Pierre, marquis de, $d1623-1698]
    assert record.authors == ["Villars, Pierre, marquis de"]
    assert record.author_dates == {"Villars, Pierre, marquis de": "1623-1698"}


def test_oclc_numbers_and_serial():
    record = ol("ocm00400866.mrc")
    assert record.local_id == "ocm00400866"
    assert record.oclc_numbers == ["400866"]
    record = ol("ithaca_two_856u.mrc")
    assert record.material_type is MaterialType.SERIAL
    assert record.issns == ["0068-1075"]
    assert record.urls == [
        "http://bibpurl.oclc.org/web/240",
        "http://www.statistics.gov.uk/statbase/Product.asp?vlnk=5703",
    ]


def test_880_records_use_romanised_fields():
    record = ol("880_alternate_script.mrc")
    assert record.title == "Qiaobusi de mi mi ri ji"
    assert record.authors == ["Lyons, Daniel", "Liu, Ning"]
    assert record.isbns == ["9787508617725"]


# --- Multi-script (traject) ---------------------------------------------------------------------


def test_traject_records():
    records = list(iter_iso2709(TRAJECT.read_bytes(), "traject"))
    assert len(records) == 30
    assert all(r.title for r in records)
    kubo = records[3]
    assert kubo.title == 'Kubo Sakae "Kazanbaichi" o yomu'
    assert kubo.authors == ["Yoshida, Hajime"]  # $6 880-01 is not part of the name
    assert kubo.author_dates == {"Yoshida, Hajime": "1934-"}
    assert kubo.language == "jpn"
    tibetan = records[19]
    assert tibetan.title == "Bon-brgyaʼi lo rgyus lugs gñis gsal baʼi me loṅ źes bya ba bźugs so"
    assert tibetan.language == "tib"


def test_traject_880_fallback_for_title_and_author():
    rec = read_pymarc(TRAJECT, 3)
    rec.remove_fields("245", "100")
    record = normalise_marc(rec, "traject")
    assert record.title == "久保栄 「火山灰地」 を読む"
    assert record.authors == ["吉田一"]
    assert record.author_dates == {"吉田一": "1934-"}


# --- Character sets (pymarc encoding cases) -----------------------------------------------------


def test_marc8_diacritics_become_unicode():
    record = normalise_iso2709((ENCODING / "marc8.dat").read_bytes(), "p")
    assert record.title == "Escape from loneliness"
    assert record.notes[0] == "Translation of De la solitude \u00e0 la communaut\u00e9"
    record = normalise_iso2709((ENCODING / "bad_marc8_escape.dat").read_bytes(), "p")
    assert record.title == "Bulletin de la Soci\u00e9t\u00e9 linnenne de Bordeaux"
    assert record.material_type is MaterialType.SERIAL
    assert record.issns == ["0750-6848"]


def test_marc8_cyrillic_romanisation():
    records = list(iter_iso2709((ENCODING / "regression45.dat").read_bytes(), "p"))
    assert len(records) == 12
    assert records[0].authors == ["Prokudin-Gorski\u012d, Serge\u012d Mikha\u012dlovich"]
    assert records[0].material_type is MaterialType.IMAGE
    assert records[0].holdings[0].library == "Library of Congress"


def test_marc_dat_twenty_records():
    records = list(iter_iso2709((ENCODING / "marc.dat").read_bytes(), "p"))
    assert len(records) == 20
    assert records[0].title == "The pragmatic programmer : from journeyman to master"
    assert records[0].isbns == ["9780201616224"]


def test_cp1251_and_unimarc_do_not_raise():
    records = list(iter_iso2709((ENCODING / "1251.dat").read_bytes(), "p"))
    assert len(records) == 6  # cp1251 read as MARC-8 is garbage, but each record comes back
    assert all(r.local_id for r in records)
    assert len(list(iter_iso2709((ENCODING / "testunimarc.dat").read_bytes(), "p"))) == 1


@pytest.mark.parametrize("path", sorted(ENCODING.glob("*.dat")), ids=lambda p: p.name)
def test_encoding_cases_never_raise(path):
    for record in iter_iso2709(path.read_bytes(), "p"):
        assert record.local_id


def test_utf8_record_with_eacc_880_and_bracketed_title():
    record = normalise_iso2709((ENCODING / "utf8_errors.dat").read_bytes(), "p")
    assert record.title == "Imperial military middle school, \u1e62an\u02bb\u0101\u02be"
    record = normalise_iso2709((ENCODING / "bad_eacc_encoding.dat").read_bytes(), "p")
    assert record.title == "Beikoku no t\u014dchi no shikumi"
    assert record.oclc_numbers == ["503001208"]


def test_multi_isbn():
    record = normalise_iso2709((ENCODING / "multi_isbn.dat").read_bytes(), "p")
    # 020 $a "0914378287 (v. 1)", "0914378295 (lim. ed.) (v. 1)", "0914378260 (pbk.) (v. 1)"
    assert record.isbns == ["9780914378280", "9780914378297", "9780914378266"]


def test_decomposed_utf8_is_composed():
    record = loc_records()[1]  # 700 $a "Bergstro\u0308m" (o + combining diaeresis) in the record
    assert b"Bergstro\xcc\x88m" in record.raw
    assert "Bergstr\u00f6m, John A." in record.authors


def test_invalid_utf8_falls_back_to_cp1252():
    raw = loc_records()[1].raw
    # Same byte length, so the directory offsets still hold; \x93 \x94 are not UTF-8.
    broken = raw.replace(b"Bergstro\xcc\x88m", b"Bergstr\xf6\x93\x94m")
    record = normalise_iso2709(broken, "loc")
    assert "Bergstr\u00f6\u201c\u201dm, John A." in record.authors
    assert record.title == "School hygiene"


def test_garbage_bytes_are_not_a_record():
    assert normalise_iso2709(b"", "p") is None
    assert normalise_iso2709(b"not marc at all", "p") is None
    assert normalise_iso2709(b"00030nam  2200025   4500\x1e\x1d", "p") is None
    raw = loc_records()[0].raw
    assert normalise_iso2709(raw[:-1], "p") is None  # no record terminator
    assert normalise_iso2709(raw + b"\n", "p").title  # trailing bytes after the record are fine


def test_record_without_001_gets_a_stable_id():
    rec = read_pymarc(LOC, 0)
    rec.remove_fields("001")
    first = normalise_marc(copy.deepcopy(rec), "loc").local_id
    assert first.startswith("sha1-")
    assert normalise_marc(rec, "loc").local_id == first
