"""The bundled demo catalogs: selection, DEMO holdings, index and CQL evaluation on the real
demo data (src/federator/demo/data, built by scripts/build_demo_data.py from LoC and Koha MARC)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from federator.config import PROJECT_CONFIG, load_settings
from federator.demo.catalog import DemoCatalog, call_number, fold, load_pool
from federator.errors import QueryError
from federator.query.cql import parse_cql
from federator.records.model import Availability, MaterialType


@pytest.fixture(scope="module")
def settings():
    return load_settings(PROJECT_CONFIG)


@pytest.fixture(scope="module")
def catalogs(settings):
    return {p.id: DemoCatalog(p).load() for p in settings.partners if p.demo is not None}


def search(catalog: DemoCatalog, cql: str) -> list[int]:
    return catalog.search(parse_cql(cql))


def titles(catalog: DemoCatalog, cql: str) -> list[str]:
    return [catalog.get(pos).record.title or "" for pos in search(catalog, cql)]


def diagnostic(catalog: DemoCatalog, cql: str) -> int:
    with pytest.raises(QueryError) as info:
        search(catalog, cql)
    return info.value.diagnostic


# --- the default configuration ------------------------------------------------------------------

def test_default_config_is_five_demo_partners_of_different_kinds(settings):
    demo = [p for p in settings.partners if p.demo is not None]
    assert len(demo) == 5
    assert all("(demo)" in p.name for p in demo)
    assert {p.kind for p in demo} == {"university", "national", "public", "school", "special"}
    assert {p.record_schema for p in demo} == {"marcxml", "dc", "mods"}
    assert {p.sru_version for p in demo} == {"1.1", "1.2", "2.0"}
    assert all(p.endpoint == f"{{gateway}}/demo/{p.id}/sru" for p in demo)
    networks = {n.id for n in settings.networks}
    assert all(p.networks and set(p.networks) <= networks for p in demo)
    assert any(len(p.networks) > 1 for p in demo)


def test_partners_hold_different_overlapping_subsets(catalogs):
    sizes = {pid: len(c) for pid, c in catalogs.items()}
    assert all(size >= 300 for size in sizes.values()), sizes
    assert len(set(sizes.values())) == len(sizes)
    held = Counter(c.source(pos) for c in catalogs.values() for pos in range(len(c)))
    shared = sum(1 for n in held.values() if n >= 2)
    assert shared >= 1500  # many records are held by 2-3 partners
    assert sum(1 for n in held.values() if n in (2, 3)) >= 1500
    assert sum(1 for n in held.values() if n == 1) >= 1000


def test_every_indonesian_record_and_every_serial_is_held(catalogs):
    held = {c.source(pos) for c in catalogs.values() for pos in range(len(c))}
    pool = load_pool("loc.mrc") + load_pool("koha.mrc")
    indonesian = [r for r in pool if r.language == "ind"]
    serials = [r for r in pool if r.serial or r.issn]
    assert len(indonesian) >= 1000
    assert len(serials) >= 60
    assert all(r.source in held for r in indonesian + serials)


def test_selection_is_deterministic(settings, catalogs):
    partner = settings.partner("dpad-diy")
    again = DemoCatalog(partner).load()
    first = catalogs["dpad-diy"]
    assert [again.source(i) for i in range(len(again))] == [first.source(i) for i in range(len(first))]
    for pos in (0, 17, len(first) - 1):
        assert again.get(pos).marc.as_marc() == first.get(pos).marc.as_marc()


# --- partner copies and DEMO holdings -----------------------------------------------------------

def test_records_get_partner_ids_and_keep_the_pool_id_in_035(catalogs):
    c = catalogs["unr-jakarta"]
    demo = c.get(0)
    assert demo.marc["001"].data == "unr-jakarta-1" == demo.record.local_id
    assert demo.marc["003"].data == "UNR"
    pool_001 = demo.source.split(":", 1)[1]
    assert f"(DLC){pool_001}" in [f.get("a") for f in demo.marc.get_fields("035")]
    assert search(c, 'rec.id = "unr-jakarta-1"') == [0]


def test_holdings_are_plausible_852_fields(catalogs):
    c = catalogs["pusnas-demo"]
    copies = Counter()
    states = Counter()
    for pos in range(0, len(c), 7):
        demo = c.get(pos)
        fields = demo.marc.get_fields("852")
        assert 1 <= len(fields) <= 3
        copies[len(fields)] += 1
        for f in fields:
            assert f.get("a") == "PNN"
            assert f.get("b") in c.settings.locations
            assert f.get("h")
            assert re.fullmatch(r"PNN\d{7}", f.get("p"))
            status = f.get_subfields("z")[0]
            assert re.fullmatch(r"Available|Reference only - not for loan|On loan, due 2026-\d\d-\d\d", status)
        for h in demo.record.holdings:  # the normaliser reads them back
            assert h.availability in (Availability.AVAILABLE, Availability.ON_LOAN, Availability.NOT_FOR_LOAN)
            assert h.call_number and h.item_id and h.location
            states[h.availability] += 1
    assert set(copies) == {1, 2, 3}
    assert copies[1] > copies[2] > copies[3]
    assert all(states[a] > 0 for a in (Availability.AVAILABLE, Availability.ON_LOAN, Availability.NOT_FOR_LOAN))
    assert any(h.due_date for pos in range(30) for h in c.get(pos).record.holdings)


def test_serials_get_a_holdings_statement(catalogs):
    c = catalogs["prih-bogor"]
    serials = search(c, "format = serial")
    assert len(serials) >= 15
    for pos in serials:
        (field,) = c.get(pos).marc.get_fields("852")
        assert field.get("b") == "Koleksi Jurnal"
        assert re.fullmatch(r"Vol\. \d+ \(\d{4}\)-(v\. \d+ \(\d{4}\))?", field.get_subfields("z")[1])


def test_call_numbers_follow_the_partner_scheme(catalogs):
    lcc = catalogs["unr-jakarta"]
    ddc = catalogs["pusnas-demo"]
    # a record with a full LC call number in 050 ($a class, $b item number) keeps it
    pos = search(lcc, 'title adj "cgi programming with perl"')[0]
    assert lcc.get(pos).marc["852"]["h"] == "QA76.73.P22 G84 2000"
    # DDC libraries: class (082, else derived from the LC class: DS632 -> 959.8), three letters
    # of the main entry (here the title: an edited work), first letter of the title
    pos = search(ddc, 'title adj "sumbangsih siauw giok tjhan"')[0]
    assert ddc.get(pos).marc["852"]["h"] == "959.8 SUM s"
    for pos in range(0, len(ddc), 50):
        assert call_number(ddc.get(pos).marc, "ddc")


# --- searching -----------------------------------------------------------------------------------

def test_indonesian_title_word_finds_the_indonesian_record(catalogs):
    c = catalogs["pusnas-demo"]
    found = titles(c, "dc.title = sumbangsih")
    assert found == ["Sumbangsih Siauw Giok Tjhan dan Baperki dalam sejarah Indonesia : dengan pidato "
                     "Bung Karno pada HUT-Baperki (Maret 1963) sebagai kata pengantar"]
    assert len(search(c, "kebudayaan")) > len(search(c, "title = kebudayaan and title = jawa")) >= 2


def test_words_are_case_and_diacritics_insensitive(catalogs):
    c = catalogs["pusnas-demo"]
    hits = search(c, "author = nuri")
    assert hits == search(c, 'author = "NŪRĪ"') == search(c, "dc.creator = Nūrī")
    assert hits and "Nūrī" in c.get(hits[0]).record.authors[0]
    assert fold("Ṭribelsḳi") == "tribelski"


def test_relations_all_any_adj_exact(catalogs):
    c = catalogs["pusnas-demo"]
    both = set(search(c, 'title all "kebudayaan jawa"'))
    either = set(search(c, 'title any "kebudayaan jawa"'))
    phrase = set(search(c, 'title adj "kebudayaan jawa"'))
    assert phrase <= both < either
    assert len(phrase) >= 2
    assert not search(c, 'title adj "jawa kebudayaan"')
    assert set(search(c, 'title = "kebudayaan jawa"')) == both  # '=' on words means all of them
    exact = search(c, 'title == "Citra Bima dalam kebudayaan Jawa"')
    assert titles(c, 'title == "citra bima dalam kebudayaan jawa"') == ["Citra Bima dalam kebudayaan Jawa"]
    assert len(exact) == 1
    assert not search(c, 'title == "Citra Bima dalam kebudayaan"')


def test_truncation_and_masking(catalogs):
    c = catalogs["pusnas-demo"]
    islam = set(search(c, "title = islam"))
    truncated = set(search(c, "title = islam*"))
    assert islam < truncated  # also "islami", "islamisasi", "islamiyah"
    assert any("Islamisasi" in t for t in titles(c, "title = islamis*"))
    assert set(search(c, "title = kebud?yaan")) == set(search(c, "title = kebudayaan"))
    assert set(search(c, "title = *budayaan")) > set(search(c, "title = kebudayaan"))  # also "budayaan"
    assert set(search(c, 'title adj "kebudayaan jaw*"')) >= set(search(c, 'title adj "kebudayaan jawa"'))
    assert len(search(c, "title = *")) == len(c)  # every record has a title
    assert len(search(c, "dc.subject = *")) < len(c)


def test_terms_split_like_indexed_text(catalogs):
    c = catalogs["pusnas-demo"]
    assert search(c, 'title adj "HUT-Baperki"') == search(c, "title = sumbangsih")
    assert search(c, 'title = "(Maret 1963)"') == search(c, "title = sumbangsih")


def test_booleans(catalogs):
    c = catalogs["pusnas-demo"]
    a, b = set(search(c, "kebudayaan")), set(search(c, "jawa"))
    assert set(search(c, "kebudayaan and jawa")) == a & b
    assert set(search(c, "kebudayaan or jawa")) == a | b
    assert set(search(c, "kebudayaan not jawa")) == a - b
    assert set(search(c, "(kebudayaan or jawa) and language = ind")) <= a | b


def test_identifiers_isbn_issn_lccn(catalogs):
    c = catalogs["unr-jakarta"]
    pos = search(c, 'title adj "cgi programming with perl"')[0]
    assert search(c, "bath.isbn = 1565924193") == [pos]
    assert search(c, "isbn = 978-1-56592-419-2") == [pos]
    assert search(c, "isbn = 97815659241*") == [pos]
    bogor = catalogs["prih-bogor"]
    assert titles(bogor, "bath.issn = 0016-3929") == titles(bogor, "issn = 00163929") == ["Gairm"]
    p = catalogs["pusnas-demo"]
    lccn_hit = search(p, "lccn = 00369557")
    assert titles(p, "bath.lccn = 00369557") and lccn_hit == search(p, 'title adj "sumbangsih siauw"')


def test_year_ranges(catalogs):
    c = catalogs["unr-jakarta"]
    years = {pos: c.get(pos).record.year for pos in range(len(c))}
    expect = {pos for pos, y in years.items() if y is not None and 1990 <= y <= 1995}
    assert expect
    assert set(search(c, "year >= 1990 and year <= 1995")) == expect
    assert set(search(c, 'dc.date within "1990 1995"')) == expect
    assert set(search(c, "year > 1989 and year < 1996")) == expect
    assert set(search(c, "year = 2000")) == {pos for pos, y in years.items() if y == 2000}
    assert set(search(c, "year <> 2000")) == {pos for pos, y in years.items() if y is not None and y != 2000}
    assert set(search(c, "year = 199*")) == {pos for pos, y in years.items() if y is not None and 1990 <= y <= 1999}


def test_language_and_format(catalogs):
    c = catalogs["prih-bogor"]
    for pos in search(c, "format = video"):
        assert c.get(pos).record.material_type is MaterialType.VIDEO
    assert len(search(c, "dc.type = music")) >= 20
    p = catalogs["pusnas-demo"]
    assert len(search(p, "dc.language = ind")) >= 1000


def test_results_are_in_stable_catalog_order_unless_sorted(catalogs):
    c = catalogs["pusnas-demo"]
    hits = search(c, "indonesia")
    assert hits == sorted(hits) == search(c, "indonesia")
    by_year = search(c, "indonesia sortBy dc.date/sort.descending")
    assert sorted(by_year) == hits
    years = [c.get(pos).record.year or 0 for pos in by_year]
    assert years == sorted(years, reverse=True)


# --- what a partner cannot do: diagnostics ----------------------------------------------------------

def test_unsupported_index_is_diagnostic_16(catalogs):
    school = catalogs["sman-semarang"]
    assert "subject" not in school.indexes and "isbn" not in school.indexes
    assert diagnostic(school, "dc.subject = sejarah") == 16
    assert diagnostic(school, "bath.isbn = 9789794612345") == 16
    assert diagnostic(school, "title = sejarah and bath.isbn = 1") == 16
    assert search(school, "title = sejarah")
    # a partner with every index runs the same clauses
    national = catalogs["pusnas-demo"]
    assert search(national, "dc.subject = sejarah or bath.isbn = 1") is not None
    assert search(national, "dc.subject = history")


def test_other_diagnostics(catalogs):
    c = catalogs["pusnas-demo"]
    assert diagnostic(c, "title < sejarah") == 19
    assert diagnostic(c, "title within \"a b\"") == 19
    assert diagnostic(c, "kebudayaan prox jawa") == 37
    assert diagnostic(c, 'title = ""') == 27
    assert diagnostic(c, "year = nineteen") == 36
    assert diagnostic(c, "title =/stem sejarah") == 20
    assert search(c, "title =/relevant sejarah") == search(c, "title = sejarah")
