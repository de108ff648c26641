"""The screen in front of the matcher (federator.dedup.screen) never rejects a pair the matcher
would call the same edition or work.

The screen's bounds are derived from the rules in dedup/match.py; when those rules change, these
checks say which pair the screen now wrongly rejects, why the screen rejected it and which rule
of the matcher accepts it. Pairs checked:

  - every candidate pair the Clusterer generates for the merge benchmark's records
    (bench/merge.py, 3,000 partner records built from the real demo pools);
  - every labelled pair of ../shared/data/dedup/{dblp_acm,dblp_scholar}/train.csv, mapped to
    records as bench/dedup_benchmark.py maps them (its own functions);
  - every pair of the MARC gold set (tests/fixtures/dedup/gold_marc_pairs.csv), as catalogued and
    with one side's identifiers removed (so the fuzzy rules are screened too);
  - every candidate pair the Clusterer generates for the gold set's records.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable

import pytest

from tests.support.bench import load_bench
from tests.unit.test_dedup_gold import PAIRS as GOLD_PAIRS
from tests.unit.test_dedup_gold import _sides

from federator.dedup import Clusterer
from federator.dedup.keys import record_keys
from federator.dedup.match import match_keys
from federator.dedup.screen import ScreenKeys, screen_reason
from federator.records.model import Record

cluster_module = sys.modules["federator.dedup.cluster"]


def _describe(a: ScreenKeys, b: ScreenKeys, reason: str, level_ab, level_ba) -> str:
    result = level_ab if level_ab.level else level_ba
    return (
        f"screen rejected ({reason}) a pair the matcher accepts as {result.level} by rule {result.rule!r}: "
        f"{result.explanation}\n    a: {a.keys.title!r} / {a.keys.author!r} / {a.keys.year}"
        f"\n    b: {b.keys.title!r} / {b.keys.author!r} / {b.keys.year}"
    )


def _violation(a: ScreenKeys, b: ScreenKeys) -> str | None:
    """A message when the screen rejects a pair match_keys accepts (either order), else None."""
    reason = screen_reason(a, b)
    if reason is None:
        return None
    assert screen_reason(b, a) is not None, "the screen must be symmetric"
    ab, ba = match_keys(a.keys, b.keys), match_keys(b.keys, a.keys)
    if ab.level is None and ba.level is None:
        return None
    return _describe(a, b, reason, ab, ba)


def _check_pairs(pairs: Iterable[tuple[Record, Record]], label: str) -> tuple[int, int]:
    """(pairs checked, pairs the screen rejected); fails listing every wrongly rejected pair."""
    problems: list[str] = []
    checked = rejected = 0
    for ra, rb in pairs:
        a, b = ScreenKeys(record_keys(ra)), ScreenKeys(record_keys(rb))
        checked += 1
        if screen_reason(a, b) is not None:
            rejected += 1
        if (msg := _violation(a, b)) is not None:
            problems.append(f"{label} {ra.key} / {rb.key}: {msg}")
    assert not problems, f"{len(problems)} of {checked} pairs wrongly screened out:\n" + "\n".join(problems[:20])
    return checked, rejected


def _clusterer_pairs(records: list[Record], monkeypatch) -> tuple[int, int]:
    """Run the Clusterer over `records`, checking every pair it sends to the screen."""
    problems: list[str] = []
    seen = [0, 0]
    real = cluster_module.screen_reason

    def checked(a: ScreenKeys, b: ScreenKeys) -> str | None:
        seen[0] += 1
        reason = real(a, b)
        if reason is not None:
            seen[1] += 1
            if (msg := _violation(a, b)) is not None:
                problems.append(msg)
        return reason

    monkeypatch.setattr(cluster_module, "screen_reason", checked)
    Clusterer().add(records)
    assert not problems, f"{len(problems)} of {seen[0]} candidate pairs wrongly screened out:\n" + "\n".join(problems[:20])
    return seen[0], seen[1]


def test_clusterer_candidate_pairs_of_the_merge_benchmark(monkeypatch):
    load_bench("_local")  # merge.py's own import of its helpers
    merge = load_bench("merge")
    records = merge.records(merge.pool(), 3000)
    checked, rejected = _clusterer_pairs(records, monkeypatch)
    assert checked >= 1000  # the benchmark's records do reach the screen
    assert rejected > 0  # and the screen does settle some of them


@pytest.mark.parametrize("dataset", ["dblp_acm", "dblp_scholar"])
def test_labelled_benchmark_pairs(dataset):
    bench = load_bench("dedup_benchmark")
    path = bench.dataset_dir(bench.DEFAULT_DATA, dataset) / "train.csv"
    rows = bench.read_pairs(path)
    checked, rejected = _check_pairs(((bench._side(r, "left", "l"), bench._side(r, "right", "r")) for r in rows),
                                     f"{dataset}/train")
    assert checked == len(rows) > 1000
    assert rejected > 0


def test_gold_pairs_with_and_without_identifiers():
    def pairs():
        for row in GOLD_PAIRS:
            a, b = _sides(row)
            yield a, b
            yield a, dataclasses.replace(b, isbns=[], lccn=None, oclc_numbers=[], issns=[])
            yield dataclasses.replace(a, isbns=[], lccn=None, oclc_numbers=[], issns=[]), b
    checked, _ = _check_pairs(pairs(), "gold")
    assert checked == 3 * len(GOLD_PAIRS)


def test_clusterer_candidate_pairs_of_the_gold_records(monkeypatch):
    records: dict[str, Record] = {}
    for row in GOLD_PAIRS:
        for rec in _sides(row):
            records[rec.key] = rec
            bare = dataclasses.replace(rec, partner_id=rec.partner_id + "-bare", isbns=[], lccn=None, oclc_numbers=[])
            records[bare.key] = bare
    checked, _ = _clusterer_pairs(list(records.values()), monkeypatch)
    assert checked > 0
