"""Facet counts over merged records built from real LoC records (see dedup_fixtures)."""

from __future__ import annotations

from dedup_fixtures import copy_as, loc_record
from federator.dedup.cluster import cluster
from federator.facets import FACETS, facets

NETWORKS = {
    "ui": ["jakarta", "universities"],
    "itb": ["bandung", "universities"],
    "perpusnas": ["jakarta"],
    "loc": [],
}


def shelf():
    sun = loc_record(76, "loc")  # eng, 2001, Cole; held by loc, ui and itb
    japan = loc_record(286, "ui")  # eng, 2000, held by ui and perpusnas
    gender = loc_record(2209, "perpusnas")  # ind, Sosialisasi gender
    kioku = loc_record(1999, "itb")  # jpn, 1999
    records = [sun, copy_as(sun, "ui"), copy_as(sun, "itb"), japan, copy_as(japan, "perpusnas"), gender, kioku]
    merged, _ = cluster(records)
    assert len(merged) == 4
    return merged


def test_partner_and_network_counts_are_of_merged_records():
    result = facets(shelf(), partner_networks=NETWORKS)
    assert set(result) == set(FACETS)
    # the sun is held by three partners and counts once under each of them
    assert result["partner"] == [("itb", 2), ("perpusnas", 2), ("ui", 2), ("loc", 1)]
    # ... and once under "universities", though two of its partners are universities
    assert result["network"] == [("jakarta", 3), ("universities", 3), ("bandung", 2)]


def test_year_language_material_type_counts():
    result = facets(shelf(), partner_networks=NETWORKS)
    assert result["year"] == [("1999", 2), ("2000", 1), ("2001", 1)]
    assert result["language"] == [("eng", 2), ("ind", 1), ("jpn", 1)]
    assert result["material_type"] == [("book", 4)]


def test_authors_and_subjects_count_once_per_record():
    merged = shelf()
    result = facets(merged, partner_networks=NETWORKS)
    authors = dict(result["author"])
    assert authors["Cole, Michael D."] == 1  # held three times, one merged record
    subjects = dict(result["subject"])
    assert all(count == 1 for count in subjects.values())
    expected = {s for m in merged for s in m.subjects}
    assert set(subjects) == expected


def test_sorted_by_count_then_value_and_limited():
    merged = shelf()
    result = facets(merged, partner_networks=NETWORKS, limit=2)
    assert all(len(values) <= 2 for values in result.values())
    for values in facets(merged, partner_networks=NETWORKS).values():
        assert values == sorted(values, key=lambda kv: (-kv[1], kv[0]))


def test_unknown_partner_network_and_empty_list():
    merged = shelf()
    assert facets(merged, partner_networks={})["network"] == []
    assert facets([], partner_networks=NETWORKS) == {name: [] for name in FACETS}
