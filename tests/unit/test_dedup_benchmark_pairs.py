"""Real labelled pairs from the DBLP-ACM and DBLP-Scholar benchmarks, through the mapping the
benchmark script uses (bench/dedup_benchmark.py) and the project's matcher.

The rows in tests/fixtures/dedup/benchmark_pairs.csv are copied unchanged from the train splits
(see tests/fixtures/dedup/README.md): duplicates the looser rules must find and near-misses
(journal versions, recurring columns, other papers of the same people) that must stay apart.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.support.bench import load_bench

from federator.dedup import match
from federator.records.model import MaterialType

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "fixtures" / "dedup" / "benchmark_pairs.csv"


bench = load_bench("dedup_benchmark")


def _rows() -> list[dict[str, str]]:
    with PAIRS.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: f"{r['dataset']}-{r['id']}")
def test_benchmark_pair(row):
    a = bench.to_record("l", row["id"], row["left_title"], row["left_authors"], row["left_venue"], row["left_year"])
    b = bench.to_record("r", row["id"], row["right_title"], row["right_authors"], row["right_venue"], row["right_year"])
    result = match(a, b)
    if row["expect"] == "edition":
        assert row["label"] == "1"
        assert result.level == "edition", f"{row['why']}: {result.explanation}"
    else:
        assert result.level != "edition", f"{row['why']}: {result.explanation}"
    assert match(b, a).level == result.level  # symmetric


def test_fixture_holds_both_kinds():
    rows = _rows()
    assert sum(r["expect"] == "edition" for r in rows) >= 10
    assert sum(r["expect"] == "not-edition" for r in rows) >= 10


def test_row_mapping():
    rec = bench.to_record("acm", "7", "storhouse metanoia - new applications for database , storage & data warehousing",
                          "felipe cari &#241; o , pekka kostamaa", "proc . vldb &#39; 00 & hellip ; ,", "2001.0")
    assert rec.authors == ["felipe cariño", "pekka kostamaa"]
    assert rec.year == 2001
    assert rec.series == ["proc . vldb ' 00 … ,"]  # the venue names the container, like a series
    assert rec.publisher is None and not rec.isbns
    assert rec.material_type is MaterialType.ARTICLE
    assert bench.to_record("s", "1", "t", "", "", "").year is None


def test_table_key_finds_a_table_row_from_its_tokenised_copy():
    assert bench.table_key("Editor's Notes", "Jennifer Widom", "1996") == bench.table_key("editor 's notes", "jennifer widom", "1996")
    assert bench.table_key("Lud&#228;scher", "", "2000") == bench.table_key("lud &#228; scher", "", "2000.0")
