"""Real records for the dedup, rank and facet tests.

Read from tests/fixtures/dedup (see its README.md for source and licence): the records of the
shared LoC sample (../shared/data/marc/loc_booksall2016_p01_sample10k.mrc, Library of Congress
BooksAll 2016 part 01, public domain) and Koha sample that the tests use, with their 0-based
index in the shared file kept beside them, so `loc_record(76)` is record 76 of the shared file.
Records are normalised with federator.records.marc.normalise_marc, the gateway's own normaliser.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
from functools import cache
from pathlib import Path

import pymarc

from federator.records.marc import normalise_marc
from federator.records.model import Holding, Record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"
# 4,080 of the 10,000 LoC sample records: indexes 0-2999, every record of a LoC-LoC silver pair,
# and a few more the tests name (the index of each is in the .indexes file, one a line)
LOC_SAMPLE = FIXTURES / "loc_sample_subset.mrc.gz"
KOHA_SAMPLE = FIXTURES / "koha_sample_subset.marcxml.xml"  # Koha dev sample DB (GPL-3.0), 3 of 435 records
SILVER = FIXTURES / "silver_isbn_links_loc.csv"  # the LoC-LoC rows of silver_isbn_links.csv


@cache
def _indexes(name: str) -> dict[int, int]:
    """{index in the shared file: position in the fixture file} from FIXTURES/<name>.indexes."""
    return {int(line): pos for pos, line in enumerate((FIXTURES / f"{name}.indexes").read_text().split())}


def normalise(rec: pymarc.Record, partner_id: str) -> Record:
    """The record as partner `partner_id` would send it, with one holding of that partner."""
    out = normalise_marc(rec, partner_id)
    if not out.holdings:
        out.holdings = [Holding(partner_id=partner_id)]
    return out


@cache
def _loc_marc() -> tuple[pymarc.Record, ...]:
    with gzip.open(LOC_SAMPLE, "rb") as fh:
        reader = pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True)
        return tuple(r for r in reader)


def loc_record(index: int, partner_id: str = "loc") -> Record:
    """The record at `index` (0-based) of the shared LoC sample, as partner `partner_id` holds it."""
    return normalise(_loc_marc()[_indexes("loc_sample_subset")[index]], partner_id)


@cache
def _koha_marc() -> tuple[pymarc.Record, ...]:
    return tuple(pymarc.parse_xml_to_array(str(KOHA_SAMPLE)))


def koha_record(index: int, partner_id: str = "koha") -> Record:
    """The record at `index` (0-based) of the shared Koha sample."""
    return normalise(_koha_marc()[_indexes("koha_sample_subset")[index]], partner_id)


def loc_records(count: int, partner_id: str = "loc") -> list[Record]:
    """The first `count` records of the shared LoC sample (at most 3,000 are in the fixture)."""
    assert count <= 3000, "the fixture holds the first 3,000 records of the sample"
    return [loc_record(i, partner_id) for i in range(count)]


def copy_as(rec: Record, partner_id: str, **changes) -> Record:
    """The same record as another partner holds it (copy cataloguing), with its own holding."""
    return dataclasses.replace(
        rec,
        partner_id=partner_id,
        local_id=changes.pop("local_id", f"{partner_id}-{rec.local_id}"),
        holdings=[Holding(partner_id=partner_id, call_number=rec.holdings[0].call_number if rec.holdings else None)],
        **changes,
    )


@cache
def silver_pairs() -> list[dict[str, str]]:
    with SILVER.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["source_a"] == r["source_b"] == "loc_sample"]


# -- benchmark rows (bench/dedup_benchmark.py's mapping) for the rule tests ---------------------

def benchmark_pair(row: tuple[str, ...]) -> tuple[Record, Record]:
    """A DBLP-Scholar pair row (id, left title/authors/venue/year, right title/authors/venue/year,
    what the explanation must name) as the benchmark maps it to two records."""
    from tests.support.bench import load_bench

    bench = load_bench("dedup_benchmark")
    rid, lt, la, lv, ly, rt, ra, rv, ry, _ = row
    return bench.to_record("l", rid, lt, la, lv, ly), bench.to_record("r", rid, rt, ra, rv, ry)


def benchmark_book(title: str, authors: str, year: str, series: str = "") -> Record:
    """A library-style record built through the benchmark's mapping."""
    from tests.support.bench import load_bench

    return load_bench("dedup_benchmark").to_record("p", title[:8], title, authors, series, year)


def assert_same_edition(row: tuple[str, ...]) -> None:
    """The pair of `row` merges at edition level, both ways, by the rule its last field names."""
    from federator.dedup.match import match

    a, b = benchmark_pair(row)
    result = match(a, b)
    assert result.level == "edition", result.explanation
    assert row[-1] in result.explanation
    assert match(b, a).level == "edition"  # symmetric


def assert_apart(a: Record, b: Record, why: str) -> None:
    """`a` and `b` are not the same edition, either way round."""
    from federator.dedup.match import match

    assert match(a, b).level != "edition", (why, match(a, b).explanation)
    assert match(b, a).level != "edition", why
