"""Real records for the dedup, rank and facet tests.

Source: ../shared/data/marc/loc_booksall2016_p01_sample10k.mrc (Library of Congress BooksAll
2016 part 01, public domain; see ../shared/data/README.md). Records are normalised with
federator.records.marc.normalise_marc, the gateway's own normaliser.
"""

from __future__ import annotations

import csv
import dataclasses
from functools import cache
from pathlib import Path

import pymarc

from federator.records.marc import normalise_marc
from federator.records.model import Holding, Record

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "marc"
LOC_SAMPLE = DATA / "loc_booksall2016_p01_sample10k.mrc"
KOHA_SAMPLE = DATA / "koha_misc4dev_biblios.marcxml.xml"  # Koha dev sample DB (GPL-3.0), 435 records
SILVER = DATA / "silver_isbn_links.csv"

def normalise(rec: pymarc.Record, partner_id: str) -> Record:
    """The record as partner `partner_id` would send it, with one holding of that partner."""
    out = normalise_marc(rec, partner_id)
    if not out.holdings:
        out.holdings = [Holding(partner_id=partner_id)]
    return out


@cache
def _loc_marc() -> tuple[pymarc.Record, ...]:
    with LOC_SAMPLE.open("rb") as fh:
        reader = pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True)
        return tuple(r for r in reader)


def loc_record(index: int, partner_id: str = "loc") -> Record:
    """The record at `index` (0-based) of the LoC sample, as partner `partner_id` holds it."""
    return normalise(_loc_marc()[index], partner_id)


@cache
def _koha_marc() -> tuple[pymarc.Record, ...]:
    return tuple(pymarc.parse_xml_to_array(str(KOHA_SAMPLE)))


def koha_record(index: int, partner_id: str = "koha") -> Record:
    """The record at `index` (0-based) of the Koha sample."""
    return normalise(_koha_marc()[index], partner_id)


def loc_records(partner_id: str = "loc") -> list[Record]:
    return [normalise(r, partner_id) for r in _loc_marc() if r is not None]


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
