"""The pairwise matcher and its keys, on real LoC records (see dedup_fixtures for the source).

Record indexes are 0-based positions in loc_booksall2016_p01_sample10k.mrc; most pairs come from
../shared/data/marc/silver_isbn_links.csv (records sharing an ISBN-13).
"""

from __future__ import annotations

import dataclasses

import pytest

from dedup_fixtures import copy_as, koha_record, loc_record, silver_pairs
from federator.dedup.keys import (
    edition_number,
    fold,
    record_keys,
    title_key,
    title_proper_key,
    volume_key,
)
from federator.dedup.match import match
from federator.records.model import MaterialType, Record


def strip_ids(rec: Record, partner_id: str) -> Record:
    """The record as a partner with no identifiers in its copy would send it."""
    return copy_as(rec, partner_id, isbns=[], lccn=None, oclc_numbers=[], issns=[])


# -- keys --------------------------------------------------------------------------------------


def test_fold_strips_diacritics_punctuation_and_apostrophes():
    assert fold("Bari︠a︡tinskiĭ, M.") == "bariatinskii m"
    assert fold("Yŏnʼgu") == fold("Yŏn'gu") == "yongu"
    assert fold("  Les Misérables ; tome 1 ") == "les miserables tome 1"


def test_title_key_drops_one_leading_article_in_several_languages():
    assert title_key("The sun : the center of the solar system") == "sun the center of the solar system"
    assert title_key("Les misérables") == "miserables"
    assert title_key("Die Welt") == "welt"
    assert title_key("El laberinto") == "laberinto"
    assert title_key("A") == "a"  # a whole title is never dropped
    assert title_key("Sosialisasi gender") == "sosialisasi gender"  # Indonesian has no articles
    assert title_proper_key("The sun : the center of the solar system") == "sun"


@pytest.mark.parametrize(
    "statement, number",
    [("2nd ed.", 2), ("3rd ed", 3), ("Cet. 1", 1), ("Cet. ke-2", 2), ("Edisi ke-3", 3), ("2. Aufl.", 2),
     ("2e éd.", 2), ("Ed. 2a", 2), ("First edition", 1), ("Edisi kedua", 2), ("Di 1 ban", 1), ("Rev. ed.", None)],
)
def test_edition_numbers(statement, number):
    assert edition_number(statement) == number


def test_volume_keys():
    assert volume_key("v. 2", None) == "v2"
    assert volume_key("Jilid 3", None) == "v3"
    assert volume_key(None, "History of Java. Vol. 2") == "v2"
    assert volume_key(None, "Part II") == "v2"
    assert volume_key(None, "Henry V") == ""
    assert volume_key("From origins to 1700", None) == "from origins to 1700"


def test_blocking_keys_hold_identifiers_and_title_author_keys():
    from federator.dedup.keys import blocking_keys

    keys = blocking_keys(loc_record(76))  # The sun : the center of the solar system / Cole
    assert "i:9780766015081" in keys
    assert any(k.startswith("l:") for k in keys)
    assert "t:sun" in keys
    assert "a:cole:sun" in keys


# -- same edition ------------------------------------------------------------------------------


def test_same_isbn_recatalogued_is_the_same_edition():
    a, b = loc_record(76), loc_record(83, "kb")  # "The sun :" / "The sun- :" by Cole, 2001, one ISBN
    result = match(a, b)
    assert (result.level, result.rule) == ("edition", "isbn")
    assert "9780766015081" in result.explanation
    assert result.scores["title"] == 100.0


def test_copy_without_identifiers_matches_by_title_author_year():
    a = loc_record(76)
    result = match(a, strip_ids(a, "slims"))
    assert (result.level, result.rule) == ("edition", "fuzzy")
    assert result.scores["author"] == 100.0


def test_missing_subtitle_still_matches():
    a = loc_record(76)
    b = strip_ids(a, "slims")
    b.title = "The sun"
    assert match(a, b).level == "edition"


def test_serials_merge_by_issn_and_title():
    a, b = koha_record(166), koha_record(167, "unpar")  # Acta biológica paranaense, ISSN 0301-2123
    assert a.material_type is MaterialType.SERIAL
    result = match(a, b)
    assert (result.level, result.rule) == ("edition", "issn+title")


def test_serial_issn_with_another_title_does_not_merge():
    a = koha_record(166)
    b = copy_as(koha_record(172), "unpar", issns=list(a.issns))  # Acta amazonica, given a's ISSN
    assert match(a, b).level is None


# -- traps: shared identifiers that are not the same book ---------------------------------------


@pytest.mark.parametrize(
    "i, j",
    [
        (286, 349),  # "Japanese economic history" set record vs volume 1 "Japan's economic recovery"
        (60, 73),  # two books in "Parables in action" under one ISBN
        (1222, 1223),  # "Classroom manual" vs "Shop manual for ... truck diesel engines", set ISBN
        (7826, 7828),  # "Red book of threatened fishes/birds of Bangladesh"
        (154, 155),  # "A little princess" vs "Little women": a paperback ISBN repeated by mistake
        (1015, 1016),  # "Spanish literature" parts: "Current debates ..." vs "From origins to 1700"
        (2963, 2959),  # Chinese law series: same surname Liu, different forenames and titles
    ],
)
def test_shared_isbn_of_different_books_never_merges(i, j):
    result = match(loc_record(i), loc_record(j, "other"))
    assert result.level is None, result.explanation


def test_volumes_of_one_set_are_not_one_edition():
    a = loc_record(76)
    v1 = copy_as(a, "p1", part="v. 1")
    v2 = copy_as(a, "p2", part="v. 2")
    assert match(v1, v2).level is None
    assert match(a, v1).level is None  # the set record is not volume 1


def test_reissue_years_apart_is_the_same_work_not_edition():
    result = match(loc_record(1963), loc_record(8590, "b"))  # Stone crusade, 1994 and 1999, one ISBN
    assert (result.level, result.rule) == ("work", "isbn")
    assert "1994" in result.explanation


def test_different_edition_numbers_are_the_same_work():
    result = match(loc_record(2115), loc_record(7090, "b"))  # Ley agraria comentada, 5. ed / 6. ed
    assert result.level == "work"
    assert "edition 5 vs 6" in result.explanation


def test_indonesian_printing_numbers_differ():
    a = loc_record(2209)  # Sosialisasi gender, Cet. 1
    assert a.language == "ind"
    b = strip_ids(a, "perpusnas")
    b.edition = "Cet. 2"
    assert match(a, b).level == "work"
    b.edition = "Cet. 1"
    assert match(a, b).level == "edition"


def test_print_and_electronic_are_the_same_work_only():
    a = loc_record(76)
    e = copy_as(a, "digital", material_type=MaterialType.COMPUTER, physical_description="1 online resource")
    result = match(a, e)
    assert result.level == "work"
    assert "computer" in result.explanation


def test_same_generic_title_by_different_authors_never_merges():
    # real LoC records with identical title keys and different authors
    for i, j in [(722, 1091), (771, 1204), (805, 1911), (1695, 1696), (2155, 3956), (6847, 7135)]:
        a, b = loc_record(i), loc_record(j, "other")
        assert title_key(a.title) == title_key(b.title)
        assert match(a, b).level is None, (a.title, a.authors, b.authors)
        assert match(strip_ids(a, "x"), strip_ids(b, "y")).level is None


def test_editions_of_one_work_by_title_and_author():
    a, b = loc_record(15), loc_record(9840, "b")  # A short history of monks and monasteries, 1900 / 2d ed 1902
    result = match(a, b)
    assert (result.level, result.rule) == ("work", "fuzzy")


def test_silver_pairs_with_unrelated_titles_never_match():
    """Smoke test over all 2,331 LoC-LoC same-ISBN pairs: when the titles share no significant
    word the pair is never even the same work (sets, series, mistaken ISBNs)."""
    checked = 0
    for row in silver_pairs():
        a, b = loc_record(int(row["index_a"])), loc_record(int(row["index_b"]), "b")
        ka, kb = record_keys(a), record_keys(b)
        if set(ka.title_words).isdisjoint(kb.title_words):
            checked += 1
            assert match(a, b).level is None, (a.title, b.title)
    assert checked > 1000


def test_match_works_on_title_author_year_publisher_records():
    """What the DBLP-ACM benchmark has: lower-cased title, "forename surname" authors, venue, year."""

    def paper(pid, title, authors, year, venue):
        return Record(partner_id=pid, local_id="1", source_format="json", title=title,
                      authors=authors, year=year, publisher=venue)

    a = paper("dblp", "efficient mining of association rules", ["rakesh agrawal", "ramakrishnan srikant"], 1994, "vldb")
    b = paper("acm", "efficient mining of association rules", ["r. agrawal", "r. srikant"], 1994, "vldb")
    c = paper("acm", "efficient mining of sequential patterns", ["rakesh agrawal", "ramakrishnan srikant"], 1995, "icde")
    assert match(a, b).level == "edition"
    assert match(a, c).level is None


def test_match_is_symmetric_on_real_pairs():
    for i, j in [(76, 83), (286, 349), (1963, 8590), (2115, 7090), (1222, 1223)]:
        a, b = loc_record(i), loc_record(j, "b")
        assert match(a, b).level == match(b, a).level


def test_records_without_title_do_not_match():
    a = loc_record(76)
    b = strip_ids(a, "x")
    b = dataclasses.replace(b, title=None)
    assert match(a, b).level is None


def test_named_editions_of_one_number_are_the_same_work_only():
    # Politics in America, 4th ed. (2001): the Texas edition, the plain one, the basic version
    texas, plain, basic = loc_record(451), loc_record(462, "b"), loc_record(1108, "c")
    assert match(texas, plain).level == "work"
    assert match(plain, basic).level == "work"
    assert "texas" in match(texas, plain).explanation


def test_edition_statements_that_say_the_same():
    a = loc_record(76)
    for x, y in [("2nd ed.", "2nd edition"), ("Louisiana paperback ed.", "Louisiana pbk. ed."), ("Cet. 1", "Cet. ke-1")]:
        b = strip_ids(a, "x")
        a2 = copy_as(a, "y", edition=x)
        b.edition = y
        assert match(a2, b).level == "edition", (x, y)


def test_corporate_authors_are_compared_whole():
    # the same census report title from two prefectures: "Toyama-ken (Japan)" / "Shiga-ken (Japan)"
    a, b = loc_record(8971), loc_record(9099, "b")
    assert title_key(a.title) == title_key(b.title)
    assert match(a, b).level is None


# -- author lists, missing years, looser titles (issue 4) ---------------------------------------


def test_author_lists_are_compared_as_people():
    from federator.dedup.keys import name_keys
    from federator.dedup.match import author_agreement, names_match

    assert names_match(name_keys("Dvorak, Thomas L."), name_keys("Thomas Dvorak"))
    assert names_match(name_keys("Dvorak, Thomas L."), name_keys("T. L. Dvorak"))
    assert names_match(name_keys("García-Molina, Héctor"), name_keys("H. Molina"))  # part of a compound surname
    assert names_match(name_keys("Shanmugasundaram, J."), name_keys("J. Shnmugasundram"))  # a typo
    assert names_match(name_keys("William Meira Jr."), name_keys("Meira, W."))  # the suffix is no surname
    assert not names_match(name_keys("Liu, Jinhua"), name_keys("Liu, Dan"))  # another person
    assert not names_match(name_keys("Chen, Li"), name_keys("Chan, Li"))  # short surnames: one letter matters

    band = loc_record(104)  # Dvorak, Floyd; edited by Margolis
    reordered = strip_ids(band, "x")
    reordered.authors = ["Richard Floyd", "Bob Margolis", "Thomas L. Dvorak"]
    assert author_agreement(record_keys(band), record_keys(reordered)).level == "strong"
    truncated = strip_ids(band, "y")
    truncated.authors = ["T. Dvorak", "R. Floyd"]  # a partner that transcribes two names only
    ag = author_agreement(record_keys(band), record_keys(truncated))
    assert (ag.level, ag.matched, ag.of) == ("strong", 2, 2)
    other = strip_ids(band, "z")
    other.authors = ["Sousa, John Philip"]
    other.responsibility = None
    assert author_agreement(record_keys(band), record_keys(other)).level == "conflict"


def test_reordered_and_abbreviated_authors_still_the_same_edition():
    band = loc_record(104)
    b = strip_ids(band, "slims")
    b.authors = ["R. L. Floyd", "T. L. Dvorak"]
    b.responsibility = None
    result = match(band, b)
    assert (result.level, result.rule) == ("edition", "fuzzy"), result.explanation
    assert "2 of 2 authors agree" in result.explanation


def test_a_year_known_on_one_side_only_is_no_conflict_but_a_different_year_is():
    a = loc_record(76)
    b = strip_ids(a, "slims")
    b.year = None
    result = match(a, b)
    assert result.level == "edition", result.explanation
    assert "year known on one side only" in result.explanation
    b.year = 2003
    assert match(a, b).level == "work"


def test_words_added_around_a_title_with_two_authors_agreeing():
    band = loc_record(104)
    b = strip_ids(band, "x")
    b.title = ("Manhattan Beach Music handbooks. Best music for beginning band"
               " : a selective repertoire guide to music and methods for beginning band")
    b.year = None
    result = match(band, b)
    assert result.level == "edition", result.explanation
    assert "contains" in result.explanation or "close" in result.explanation


def test_a_contained_title_is_not_enough_when_both_records_carry_other_isbns():
    # a companion volume by the same people: its title contains the book's, its ISBN differs
    band = loc_record(104)
    guide = copy_as(band, "x", isbns=["9780306406157"], lccn=None,
                    title="Teacher's guide to Best music for beginning band : a selective repertoire guide to music and methods")
    result = match(band, guide)
    assert result.level != "edition", result.explanation


def test_a_short_title_inside_a_longer_one_is_another_book():
    a = strip_ids(loc_record(76), "x")  # The sun / Cole
    b = strip_ids(loc_record(76), "y")
    b.title = "Exploring the sun and the planets of the solar system"
    b.year = None
    assert match(a, b).level is None
    assert match(b, a).level is None


def test_with_one_author_a_contained_title_may_only_add_names_numbers_or_series_words():
    a = strip_ids(loc_record(104), "x")
    a.title = "Best music for beginning band : a selective repertoire guide"
    a.authors, a.responsibility = ["Dvorak, Thomas L."], None
    b = strip_ids(a, "y")
    b.title = ("Performance notes and rehearsal plans for conductors using Best music for beginning band"
               " : a selective repertoire guide")
    result = match(a, b)
    assert result.scores["contained"] == 100.0
    assert result.level != "edition", result.explanation  # another book about the first one
    b.title = "Dvorak 2000. Best music for beginning band : a selective repertoire guide, Manhattan Beach Music"
    b.year = None
    result = match(a, b)
    assert result.level == "edition", result.explanation  # a citation's leftovers around the title
    assert "contains" in result.explanation


def test_blocking_brings_together_reordered_authors_and_a_reworded_title_start():
    from federator.dedup import Clusterer

    band = loc_record(104)
    b = strip_ids(band, "slims")
    b.title = "The best music for beginning band"
    b.authors = ["Floyd, Richard L.", "Dvorak, Thomas L."]
    c = Clusterer()
    merged = c.add([band, b])
    assert c.comparisons == 1
    assert [len(m.members) for m in merged] == [2]


# -- extents, partly shared ISBNs, accompanying material (found building the gold set) ----------


def test_extent_and_height_keys():
    from federator.dedup.keys import extent, height_cm

    assert extent("xvi, 655 p. : ill. ; 23 cm") == (655, "p")
    assert extent("xlvi, 115p., [40]p. of plates : ill., ports. ; 23 cm") == (115, "p")  # plates unnumbered
    assert extent("82, 22 p. ; 21 cm") == (104, "p")
    assert extent("3 v. ; 21 cm") == (3, "v")
    assert extent("124 leaves ; 28 cm") == (124, "leaves")
    assert extent("p. cm") is None and extent("v. <1-2   > ; 22 cm") is None and extent(None) is None
    assert height_cm("xii, 270 p. ; 24 cm. + 1 computer laser optical disc (4 3/4 in.)") == 24


def test_one_isbn_but_other_extents_is_another_edition():
    # "The best American short stories of the century": c1999, 775 p. and the Expanded ed.
    # c2000, 835 p.; the expanded edition's record lists the first one's ISBN too
    a, b = loc_record(1889), loc_record(1948, "b")
    result = match(a, b)
    assert result.level == "work", result.explanation
    assert "775 vs 835" in result.explanation


def test_a_partly_shared_isbn_list_decides_nothing_alone():
    # a 3-volume catalogue and its 3-volume index: one set ISBN in common, each with its own
    # volume ISBNs; the titles differ by one word ("saegin", index)
    a, b = loc_record(7559), loc_record(7560, "b")
    assert set(a.isbns) & set(b.isbns) and set(a.isbns) ^ set(b.isbns)
    result = match(a, b)
    assert result.level != "edition", result.explanation
    assert "each has ISBNs the other lacks" in result.explanation


def test_accompanying_disc_and_edition_responsibility_do_not_split_an_edition():
    # Precalculus, 5th ed.: one record notes "+ 1 CD-ROM" and puts the authors after "5th ed. /"
    a, b = loc_record(579), loc_record(8726, "b")
    result = match(a, b)
    assert result.level == "edition", result.explanation
