"""Merged records built lazily: ranking and facets work on compact views of the clusters
(federator.dedup.cluster.MergedView) and must see exactly what the full records say.

Records: the merge benchmark's (bench/merge.py: real MARC records of the demo pools, each book
held by 1-8 partners, a third of the copies altered), so clusters of one record, of identical
copies and of differing variants all occur.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.support.bench import load_bench

from federator.dedup import Clusterer
from federator.dedup.cluster import build_merged
from federator.dedup.model import MergedList
from federator.facets import facets
from federator.query.model import Clause, Query
from federator.rank import SORTS, rank

VIEW_FIELDS = ("id", "title", "part", "responsibility", "authors", "publisher", "year", "language", "material_type",
               "subjects", "series", "partners", "work_id")


@cache
def _records():
    load_bench("_local")
    merge = load_bench("merge")
    return merge.records(merge.pool(), 2500)


def _clustered() -> MergedList:
    c = Clusterer()
    c.update(_records())
    return c.merged()


def test_views_carry_the_full_records_display_values():
    merged = _clustered()
    kinds = set()
    for view in merged.views:
        full = view.full()
        for f in VIEW_FIELDS:
            assert getattr(view, f) == getattr(full, f), (view.id, f)
        kinds.add(min(len(full.members), 2) + (len({m.title for m in full.members}) > 1))
    assert kinds == {1, 2, 3}  # single records, identical copies and differing variants all occur


def test_full_record_is_what_build_merged_makes_from_the_cluster():
    merged = _clustered()
    for view in merged.views[::25]:
        full = view.full()
        again = build_merged(full.id, list(full.members), list(full.evidence), full.work_id)
        assert again == full
        assert view.full() is full  # built once


@pytest.mark.parametrize("sort", SORTS)
def test_ranking_views_orders_and_scores_as_ranking_full_records(sort):
    query = Query(Clause("any", "=", "history"), text='cql.anywhere = "history"')
    lazy = rank(_clustered(), query, sort=sort)
    eager = rank(list(_clustered()), query, sort=sort)
    assert isinstance(lazy, MergedList)
    assert [m.id for m in lazy.views] == [m.id for m in eager]
    assert [v.score for v in lazy.views] == [m.score for m in eager]
    page = lazy[10:20]  # a page builds its records, with their scores
    assert [(m.id, m.score) for m in page] == [(m.id, m.score) for m in eager[10:20]]
    assert lazy[3].score == eager[3].score is not None


def test_facets_of_views_equal_facets_of_full_records():
    networks = {"p1": ["north"], "p2": ["north", "south"], "p7": ["south"]}
    assert facets(_clustered(), partner_networks=networks) == facets(list(_clustered()), partner_networks=networks)


def test_a_merged_list_is_a_snapshot():
    c = Clusterer()
    records = _records()
    c.add(records[:300])
    before = c.merged()
    ids = [m.id for m in before]
    members = [[r.key for r in m.members] for m in before]
    c.add(records[300:600])  # changes some of those clusters
    assert [m.id for m in before] == ids
    assert [[r.key for r in m.members] for m in before] == members
