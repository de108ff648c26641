"""Real records for the dedup, rank and facet tests.

Source: ../shared/data/marc/loc_booksall2016_p01_sample10k.mrc (Library of Congress BooksAll
2016 part 01, public domain; see ../shared/data/README.md). Records are normalised with
federator.records.marc.normalise_marc when that module exists, else with the small stand-in
below that reads only the fields the matcher uses.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from functools import cache
from pathlib import Path

import pymarc
from stdnum import isbn as stdisbn

from federator.records.model import Holding, MaterialType, Record

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "marc"
LOC_SAMPLE = DATA / "loc_booksall2016_p01_sample10k.mrc"
KOHA_SAMPLE = DATA / "koha_misc4dev_biblios.marcxml.xml"  # Koha dev sample DB (GPL-3.0), 435 records
SILVER = DATA / "silver_isbn_links.csv"

try:  # the full normaliser, written in parallel; preferred once it exists
    from federator.records.marc import normalise_marc as _normalise_marc  # type: ignore
except ImportError:  # pragma: no cover - depends on the tree state
    _normalise_marc = None

_MATERIAL = {
    ("a", "m"): MaterialType.BOOK,
    ("a", "s"): MaterialType.SERIAL,
    ("a", "b"): MaterialType.ARTICLE,
    ("a", "a"): MaterialType.ARTICLE,
    ("t", "m"): MaterialType.MANUSCRIPT,
}


def _clean(s: str | None) -> str | None:
    if not s:
        return None
    s = re.sub(r"\s*[/:;,.=]\s*$", "", s.strip())
    return s or None


def _simple_normalise(rec: pymarc.Record, partner_id: str) -> Record:
    def sub(tag: str, code: str) -> str | None:
        f = rec.get(tag)
        return f.get(code) if f is not None else None

    f008 = rec.get("008")
    d008 = f008.data if f008 is not None else ""
    f245 = rec.get("245")
    title = part = resp = None
    if f245 is not None:
        title = " : ".join(x for x in (_clean(f245.get("a")), _clean(f245.get("b"))) if x) or None
        part = " ".join(_clean(x) or "" for x in f245.get_subfields("n", "p")).strip() or None
        resp = _clean(f245.get("c"))
    authors = [_clean(f.get("a")) for t in ("100", "110", "111", "700", "710") for f in rec.get_fields(t)]
    isbns: list[str] = []
    for f in rec.get_fields("020"):
        for raw in f.get_subfields("a"):
            digits = raw.split()[0] if raw.split() else ""
            if stdisbn.is_valid(digits):
                n = stdisbn.to_isbn13(stdisbn.compact(digits))
                if n not in isbns:
                    isbns.append(n)
    lccn = sub("010", "a")
    oclc = [re.sub(r"\D", "", a) for f in rec.get_fields("035") for a in f.get_subfields("a") if "OCoLC" in a]
    year_s = d008[7:11]
    year = int(year_s) if year_s.isdigit() else None
    pub = rec.get("260") or rec.get("264")
    call = rec.get("050")
    return Record(
        partner_id=partner_id,
        local_id=(rec["001"].data.strip() if rec.get("001") is not None else ""),
        source_format="marc21",
        title=title,
        part=part,
        responsibility=resp,
        authors=[a for a in authors if a],
        isbns=isbns,
        issns=[a for f in rec.get_fields("022") for a in f.get_subfields("a")][:1],
        lccn=lccn.strip() if lccn else None,
        oclc_numbers=[o for o in oclc if o],
        edition=_clean(sub("250", "a")),
        publisher=_clean(pub.get("b")) if pub is not None else None,
        place=_clean(pub.get("a")) if pub is not None else None,
        year=year,
        language=d008[35:38].strip() or None if len(d008) >= 38 else None,
        material_type=_MATERIAL.get((rec.leader[6], rec.leader[7]), MaterialType.OTHER),
        subjects=[
            " -- ".join(_clean(x) or "" for x in f.get_subfields("a", "x", "y", "z"))
            for f in rec.get_fields("600", "610", "650", "651")
        ],
        series=[_clean(f.get("a")) or "" for f in rec.get_fields("490", "830")],
        physical_description=_clean(sub("300", "a")),
        holdings=[Holding(partner_id=partner_id, call_number=" ".join(call.get_subfields("a", "b")) if call else None)],
    )


def normalise(rec: pymarc.Record, partner_id: str) -> Record:
    """The record as partner `partner_id` would send it, with one holding of that partner."""
    out = _normalise_marc(rec, partner_id) if _normalise_marc is not None else _simple_normalise(rec, partner_id)
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
