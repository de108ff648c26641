"""Named result sets (federator.resultsets): ids, idle time, bounds."""

from __future__ import annotations

from federator.query.model import Clause, Query
from federator.resultsets import ResultSets
from federator.service import SearchResult


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def result(text: str, created: float = 0.0) -> SearchResult:
    query = Query(Clause("title", "=", text), text=f"title = {text}")
    return SearchResult((query.text, ("a", "b")), query, [], [], [], elapsed_ms=1.0, created=created)


def test_one_id_per_finished_search():
    sets = ResultSets(300, clock=Clock())
    first = result("x")
    rsid, ttl = sets.name(first)
    assert ttl == 300 and len(rsid) == 16
    assert sets.name(first) == (rsid, 300)
    assert sets.get(rsid) is first
    other, _ = sets.name(result("y"))
    assert other != rsid
    assert sets.name(result("x", created=5.0))[0] not in (rsid, other)  # the same query run again later


def test_idle_time_counts_from_the_last_use():
    clock = Clock()
    sets = ResultSets(300, clock=clock)
    rsid, _ = sets.name(result("x"))
    clock.now += 299
    assert sets.get(rsid) is not None
    clock.now += 299
    assert sets.get(rsid) is not None
    clock.now += 301
    assert sets.get(rsid) is None and len(sets) == 0


def test_a_shorter_ttl_asked_for_is_honoured_a_longer_one_capped():
    clock = Clock()
    sets = ResultSets(300, clock=clock)
    rsid, ttl = sets.name(result("x"), ttl=10)
    assert ttl == 10
    clock.now += 11
    assert sets.get(rsid) is None
    assert sets.name(result("y"), ttl=100000)[1] == 300


def test_bounded_least_recently_used_first():
    sets = ResultSets(300, max_sets=3, clock=Clock())
    ids = [sets.name(result(str(i)))[0] for i in range(3)]
    assert sets.get(ids[0]) is not None  # used: now the most recent
    sets.name(result("new"))
    assert len(sets) == 3
    assert sets.get(ids[1]) is None and sets.get(ids[0]) is not None and sets.get(ids[2]) is not None
