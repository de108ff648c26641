"""Clustering real records into merged records and works (records: see dedup_fixtures)."""

from __future__ import annotations

import random
import re

from dedup_fixtures import copy_as, koha_record, loc_record, loc_records
from federator.dedup.cluster import Clusterer, cluster
from federator.dedup.model import parse_id, split_rec_id
from federator.dedup.model import MergedRecord
from federator.records.model import Record

URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")


def strip_ids(rec: Record, partner_id: str) -> Record:
    return copy_as(rec, partner_id, isbns=[], lccn=None, oclc_numbers=[], issns=[])


def by_member(merged: list[MergedRecord]) -> dict[str, MergedRecord]:
    return {r.key: m for m in merged for r in m.members}


def test_same_edition_from_two_partners_is_one_merged_record():
    a = loc_record(76, "loc")  # The sun : the center of the solar system (CIP record, "p. cm")
    b = loc_record(83, "kb")  # the same book catalogued again, with a full physical description
    merged, works = cluster([a, b])
    assert len(merged) == 1
    m = merged[0]
    assert m.id == "isbn-9780766015081"
    assert m.partners == ["kb", "loc"]
    assert sorted(h.partner_id for h in m.holdings) == ["kb", "loc"]
    assert [r.key for r in m.members] == sorted([a.key, b.key])
    # provenance: each display field says where it came from and why
    assert m.physical_description == "48 p. : col. ill. ; 24 cm"
    assert m.provenance["physical_description"].partner_id == "kb"
    assert m.provenance["physical_description"].reason == "longest physical description"
    assert m.provenance["title"].reason.startswith("all 2 members")
    assert m.provenance["subjects"].reason == "union of all members"
    # evidence: why they were merged
    assert len(m.evidence) == 1
    ev = m.evidence[0]
    assert ev.rule == "isbn" and {ev.member, ev.matched_to} == {a.key, b.key}
    assert "ISBN 9780766015081" in ev.explanation and ev.scores["title"] == 100.0
    assert [w.edition_ids for w in works] == [[m.id]] and m.work_id == works[0].id


def test_three_partners_copies_and_a_fuzzy_match():
    a = loc_record(1142, "loc")  # Leibniz in 90 minutes
    copies = [copy_as(a, "ui"), copy_as(a, "itb"), strip_ids(a, "slims")]
    merged, _ = cluster([a, *copies])
    assert len(merged) == 1
    m = merged[0]
    assert m.partners == ["itb", "loc", "slims", "ui"]
    assert len(m.holdings) == 4
    assert {e.rule for e in m.evidence} <= {"isbn", "lccn", "fuzzy"}
    assert "fuzzy" in {e.rule for e in m.evidence}
    assert len(m.evidence) == 3


def test_different_editions_are_one_work_but_separate_merged_records():
    pairs = [(1963, 8590), (2115, 7090), (15, 9840)]  # reissue years apart; 5. vs 6. ed; 1900 vs 2d ed 1902
    records = [loc_record(i, p) for i, j in pairs for i, p in ((i, "a"), (j, "b"))]
    merged, works = cluster(records)
    assert len(merged) == 6
    multi = [w for w in works if len(w.edition_ids) > 1]
    assert len(multi) == 3
    for w in multi:
        assert len(w.edition_ids) == 2
        assert w.evidence and w.evidence[0].rule in ("isbn", "fuzzy")
        for mid in w.edition_ids:
            assert next(m for m in merged if m.id == mid).work_id == w.id


def test_similar_titles_by_different_authors_stay_apart():
    indexes = [722, 1091, 771, 1204, 805, 1911, 1695, 1696, 1697, 1698, 2155, 3956]
    records = [loc_record(i, "a") for i in indexes] + [strip_ids(loc_record(i), "b") for i in indexes]
    merged, works = cluster(records)
    assert len(merged) == len(indexes)  # each book with its own identifier-less copy, nothing more
    for m in merged:
        assert len({r.local_id.removeprefix("b-") for r in m.members}) == 1
    assert all(len(w.edition_ids) == 1 for w in works)


def test_shared_set_isbn_does_not_chain_different_books():
    # the ten Routledge "Japanese economic history" volumes and the set record share ISBN 9780415218153
    records = [loc_record(i) for i in (286, 349, 350, 351, 352, 353, 354)]
    merged, works = cluster(records)
    assert len(merged) == 7
    assert len({m.id for m in merged}) == 7


def test_merge_veto_stops_a_chain_across_years():
    base = loc_record(76)
    a = copy_as(base, "a", year=2000)
    b = copy_as(base, "b", year=2001)
    c = copy_as(base, "c", year=2002)
    merged, works = cluster([a, b, c])
    groups = sorted(sorted(r.partner_id for r in m.members) for m in merged)
    assert groups in ([["a", "b"], ["c"]], [["a"], ["b", "c"]])
    assert len(works) == 1 and len(works[0].edition_ids) == 2
    assert any("kept apart" in e.explanation for e in works[0].evidence)


def test_serials_cluster_by_issn():
    # Acta biológica paranaense, catalogued twice in the Koha sample; here as two partners that
    # kept only the ISSN (the id would otherwise come from the LCCN, which is preferred)
    a = copy_as(koha_record(166), "koha", lccn=None, oclc_numbers=[])
    b = copy_as(koha_record(167), "unpar", lccn=None, oclc_numbers=[])
    other = koha_record(172, "koha")  # Acta amazonica
    merged, _ = cluster([a, b, other])
    assert len(merged) == 2
    m = by_member(merged)[a.key]
    assert m.id == "issn-0301-2123"
    assert parse_id(m.id) == ("issn", "0301-2123", None)
    assert m.partners == ["koha", "unpar"]
    assert m.evidence[0].rule == "issn+title"
    assert cluster([koha_record(166), koha_record(167, "unpar")])[0][0].id.startswith("lccn-")


def test_ids_are_stable_deterministic_and_url_safe():
    records = [loc_record(i) for i in range(0, 400)] + [strip_ids(loc_record(i), "slims") for i in range(0, 400, 3)]
    merged, works = cluster(records)
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    merged2, works2 = cluster(shuffled)
    assert [(m.id, [r.key for r in m.members], m.work_id) for m in merged] == [
        (m.id, [r.key for r in m.members], m.work_id) for m in merged2
    ]
    assert [(w.id, w.edition_ids) for w in works] == [(w.id, w.edition_ids) for w in works2]
    ids = [m.id for m in merged]
    assert len(set(ids)) == len(ids)
    assert all(URL_SAFE.match(i) for i in ids)
    assert {i.split("-")[0] for i in ids} >= {"isbn", "lccn"}
    assert ids == sorted(ids)


def test_id_prefers_isbn_then_lccn_then_record():
    a = loc_record(76)
    assert cluster([a])[0][0].id == "isbn-9780766015081"
    no_isbn = copy_as(a, "x", isbns=[])
    assert cluster([no_isbn])[0][0].id == f"lccn-{a.lccn}"
    bare = strip_ids(a, "my lib")
    bare_id = cluster([bare])[0][0].id
    assert bare_id == "rec-my_20lib~my_20lib-00008729"
    assert split_rec_id(bare_id) == ("my lib", "my lib-00008729")
    assert parse_id(bare_id) == ("rec", "my_20lib~my_20lib-00008729", ("my lib", "my lib-00008729"))
    # a cluster keeps its id when another partner's copy joins it
    assert cluster([a, copy_as(a, "ui")])[0][0].id == "isbn-9780766015081"


def test_colliding_ids_are_disambiguated():
    # "A little princess" and "Little women" both list paperback ISBN 9780141312026
    a, b = loc_record(154), loc_record(155)
    merged, _ = cluster([a, b])
    ids = sorted(m.id for m in merged)
    assert len(set(ids)) == 2
    assert all(i.startswith("isbn-9780141312026-loc~") for i in ids)
    assert {parse_id(i) for i in ids} == {("isbn", "9780141312026", ("loc", r.local_id)) for r in (a, b)}


def test_incremental_add_returns_changed_clusters_and_equals_batch():
    first = [loc_record(i, "loc") for i in range(50, 150)]
    second = [copy_as(loc_record(i), "ui") for i in range(100, 200)]
    c = Clusterer()
    added = c.add(first)
    assert len(added) == len(c.merged())
    changed = c.add(second)
    merged_ids = {m.id for m in changed if len(m.partners) == 2}
    assert len(merged_ids) >= 45  # records 100-149 are held by both partners now
    assert all(m.partners == ["loc", "ui"] for m in changed if len(m.members) > 1)
    batch, works = cluster(first + second)
    assert [(m.id, [r.key for r in m.members]) for m in c.merged()] == [
        (m.id, [r.key for r in m.members]) for m in batch
    ]
    assert [w.id for w in c.works()] == [w.id for w in works]
    assert c.add(second) == []  # the same records again change nothing


def test_update_names_what_add_would_return_and_builds_nothing_twice():
    first = [loc_record(i, "loc") for i in range(50, 150)]
    second = [copy_as(loc_record(i), "ui") for i in range(100, 200)]
    by_add, by_update = Clusterer(), Clusterer()
    assert by_update.update(first) == [m.id for m in by_add.add(first)]
    assert by_update.update(second) == [m.id for m in by_add.add(second)]
    assert [(m.id, [r.key for r in m.members], m.work_id) for m in by_update.merged()] == [
        (m.id, [r.key for r in m.members], m.work_id) for m in by_add.merged()
    ]
    assert by_update.update(second) == []


def test_blocking_is_far_from_all_pairs():
    """5,000 records: 3,000 real LoC records and 2,000 copies of them by other partners, some
    with their identifiers stripped (so only title/author blocking can pair them)."""
    loc = loc_records(3000)
    rng = random.Random(3)
    records: list[Record] = list(loc)
    for i, rec in enumerate(rng.sample(loc, 2000)):
        records.append(strip_ids(rec, "slims") if i % 2 else copy_as(rec, "ui"))
    n = len(records)
    c = Clusterer()
    c.add(records)
    assert c.comparisons < (n * n / 2) / 500  # all pairs would be 12.5 million
    merged = c.merged()
    # every copy found its original (identifier copies surely; stripped ones by title/author)
    together = sum(1 for m in merged if len({r.local_id.split("-", 1)[-1] for r in m.members}) < len(m.members))
    assert together >= 1800


def test_why_says_in_plain_lines_how_members_matched_and_where_fields_came_from():
    a = loc_record(76, "loc")
    b = loc_record(83, "kb")
    c = strip_ids(a, "slims")  # no identifiers: joins by title, author and year
    merged, _ = cluster([a, b, c])
    assert len(merged) == 1
    why = merged[0].why({"loc": "Library of Congress", "slims": "SLiMS demo"})
    assert why[0].startswith("3 records of one edition: ")
    assert f"{a.key} (Library of Congress)" in why[0] and f"{c.key} (SLiMS demo)" in why[0] and b.key in why[0]
    matches = [line for line in why if " matched " in line]
    assert len(matches) == 2
    assert any("by a shared ISBN: same ISBN 9780766015081" in line for line in matches)
    assert any(line.startswith(c.key) and "by title, authors and year" in line for line in matches)
    assert "physical description from kb:" + b.local_id + ": longest physical description" in why
    assert any(line.startswith("isbns") and line.endswith("union of all members") for line in why)
    alone = cluster([a])[0][0].why()
    assert alone[0] == f"one record: {a.key}" and not any(" matched " in line for line in alone)
