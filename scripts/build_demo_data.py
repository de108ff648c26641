#!/usr/bin/env python3
"""Build the bundled demo partner catalogs' record pools from the shared real MARC data.

Re-runnable and deterministic: the same input files give byte-identical output. Writes
`src/federator/demo/data/{loc.mrc,koha.mrc,PROVENANCE.md}`.

    .venv/bin/python scripts/build_demo_data.py [--shared /work/shared/data]

Which partner holds which pool record is decided later, at load time, by the `demo:` block of
each partner in config/federator.yaml (see federator.demo.catalog).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pymarc
from stdnum import isbn as stdisbn

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "federator" / "demo" / "data"
LOC_FILE = "marc/loc_booksall2016_p01_sample10k.mrc"
KOHA_FILE = "marc/koha_misc4dev_biblios.marcxml.xml"
SEED = "federator-demo-2024"

# How many of each kind to take from the LoC sample (groups are taken whole).
TARGET_INDONESIAN = 1100
TARGET_ISBN_GROUP_RECORDS = 650
TARGET_TITLE_AUTHOR_GROUP_RECORDS = 450
TARGET_LOC_TOTAL = 3100


def rank(key: str) -> str:
    """A stable pseudo-random sort key (no dependence on Python's hash seed)."""
    return hashlib.sha1(f"{SEED}:{key}".encode()).hexdigest()


def split_iso2709(data: bytes) -> list[bytes]:
    """Raw record bytes, unchanged, using each leader's record length."""
    out, pos = [], 0
    while pos < len(data):
        length = int(data[pos:pos + 5])
        out.append(data[pos:pos + length])
        pos += length
    return out


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[^\W_]+", text))


def isbns(rec: pymarc.Record) -> set[str]:
    out = set()
    for f in rec.get_fields("020"):
        for value in f.get_subfields("a", "z"):
            m = re.match(r"[\dXx-]{10,17}", value.strip())
            if m:
                code = m.group(0).replace("-", "")
                if stdisbn.is_valid(code):
                    out.add(stdisbn.to_isbn13(code))
    return out


def title_author_key(rec: pymarc.Record) -> str | None:
    t = rec.get("245")
    a = rec.get("100") or rec.get("110") or rec.get("111")
    if t is None or a is None:
        return None
    title = fold(" ".join(t.get_subfields("a", "b")))
    author = fold(" ".join(a.get_subfields("a")))
    return f"{title}|{author}" if title and author else None


def language(rec: pymarc.Record) -> str:
    f = rec.get("008")
    return f.data[35:38] if f is not None and len(f.data) >= 38 else ""


def groups_of(recs: list[pymarc.Record], keys_of) -> list[list[int]]:
    by_key: dict[str, set[int]] = defaultdict(set)
    for i, rec in enumerate(recs):
        for k in keys_of(rec):
            by_key[k].add(i)
    return sorted({tuple(sorted(v)) for v in by_key.values() if len(v) > 1})


def take_groups(groups: list[list[int]], target: int, chosen: set[int], label: str) -> int:
    taken = 0
    for g in sorted(groups, key=lambda g: rank(f"{label}:{g[0]}")):
        if taken >= target:
            break
        new = [i for i in g if i not in chosen]
        chosen.update(g)
        taken += len(new)
    return taken


def build(shared: Path) -> dict:
    raw = split_iso2709((shared / LOC_FILE).read_bytes())
    recs = [pymarc.Record(data=r, to_unicode=True, force_utf8=True) for r in raw]
    ids = [r["001"].data.strip() for r in recs]

    koha_recs = pymarc.parse_xml_to_array(str(shared / KOHA_FILE))
    koha_isbns = set().union(*(isbns(r) for r in koha_recs))

    chosen: set[int] = set()
    counts: dict[str, int] = {}
    serials = [i for i, r in enumerate(recs) if r.get_fields("022")]
    chosen.update(serials)
    counts["serials (022 ISSN), all"] = len(serials)
    cross = [i for i, r in enumerate(recs) if isbns(r) & koha_isbns]
    counts["share an ISBN with a Koha-sample record, all"] = len(set(cross) - chosen)
    chosen.update(cross)
    isbn_groups = groups_of(recs, isbns)
    counts["in ISBN groups (whole groups)"] = take_groups(isbn_groups, TARGET_ISBN_GROUP_RECORDS, chosen, "isbn")
    ta_groups = groups_of(recs, lambda r: [k] if (k := title_author_key(r)) else [])
    counts["in title+author groups (whole groups)"] = take_groups(
        ta_groups, TARGET_TITLE_AUTHOR_GROUP_RECORDS, chosen, "ta")
    indonesian = sorted((i for i, r in enumerate(recs) if language(r) == "ind"), key=lambda i: rank(ids[i]))
    already = sum(1 for i in indonesian if i in chosen)
    extra = [i for i in indonesian if i not in chosen][: max(0, TARGET_INDONESIAN - already)]
    chosen.update(extra)
    counts["Indonesian-language (008/35-37 'ind'), random"] = len(extra)
    rest = sorted((i for i in range(len(recs)) if i not in chosen), key=lambda i: rank(ids[i]))
    fill = rest[: max(0, TARGET_LOC_TOTAL - len(chosen))]
    chosen.update(fill)
    counts["random fill"] = len(fill)

    order = sorted(chosen)  # original file order
    loc_bytes = b"".join(raw[i] for i in order)
    (OUT / "loc.mrc").write_bytes(loc_bytes)

    buf = io.BytesIO()
    for r in koha_recs:
        r.leader = r.leader[:9] + "a" + r.leader[10:]  # the XML was Unicode: say so in ISO 2709
        buf.write(r.as_marc())
    (OUT / "koha.mrc").write_bytes(buf.getvalue())

    sel = [recs[i] for i in order]
    stats = {
        "loc_total": len(order),
        "loc_counts": counts,
        "loc_indonesian": sum(1 for r in sel if language(r) == "ind"),
        "loc_serials": sum(1 for r in sel if r.get_fields("022")),
        "loc_isbn_groups": sum(1 for g in isbn_groups if set(g) <= chosen),
        "loc_ta_groups": sum(1 for g in ta_groups if set(g) <= chosen),
        "loc_bytes": len(loc_bytes),
        "koha_total": len(koha_recs),
        "koha_serials": sum(1 for r in koha_recs if r.leader[7] == "s"),
        "koha_issn": sum(1 for r in koha_recs if r.get_fields("022")),
        "koha_bytes": len(buf.getvalue()),
    }
    write_provenance(stats)
    return stats


def write_provenance(s: dict) -> None:
    lines = [f"  - {k}: {v}" for k, v in s["loc_counts"].items()]
    text = f"""# Demo catalog data: provenance

Generated by `scripts/build_demo_data.py` (deterministic; re-run it to rebuild). Do not edit by hand.

These are the record pools of the bundled demo partner libraries (config/federator.yaml). Each
demo partner serves a different, overlapping subset of the pools; the subset is chosen at load
time by `federator.demo.catalog` from the partner's `demo:` settings (share, salt, always).

## loc.mrc: {s['loc_total']} records, {s['loc_bytes']:,} bytes
- Source: `/work/shared/data/{LOC_FILE}`, a 10,000-record sample of the Library of Congress
  *BooksAll.2016.part01.utf8* (LC MDS open data), as shipped in the PyPI sdist pymarc-5.4.0.
- Licence: Library of Congress catalogue records are a US-government work: public domain.
- Record bytes are copied unchanged (ISO 2709, UTF-8), in their original file order.
- How chosen (each step adds records not yet chosen; groups are taken whole; random = ordered by
  SHA-1 of "{SEED}:<001>"):
{chr(10).join(lines)}
- In the result: {s['loc_indonesian']} Indonesian-language records, {s['loc_serials']} with an ISSN,
  {s['loc_isbn_groups']} complete ISBN groups, {s['loc_ta_groups']} complete title+author groups.

## koha.mrc: {s['koha_total']} records, {s['koha_bytes']:,} bytes
- Source: `/work/shared/data/{KOHA_FILE}`, the Koha developer sample database
  (GitHub joubu/koha-misc4dev @b08c8109), MARC 21 records from DLC, BDS, BL and Scottish catalogues.
- Licence: repository GPL-3.0; the records are library catalogue data.
- All records, converted from MARCXML to ISO 2709 with pymarc (leader/09 set to 'a', UTF-8);
  fields unchanged. {s['koha_serials']} serials (leader/07 's'), {s['koha_issn']} with an ISSN; also sound
  recordings, video and records with a blank leader/06-07.

## Holdings are DEMO DATA
The records are real; the holdings are not. The demo catalogs give each record a partner-specific
001 (the pool's 001 moves to 035), and generate 852 holdings fields (library code, location, call
number from 050/082/090 with a cutter, barcode, availability, serial holdings statements) from a
seeded hash. No real library holds these copies; the partner libraries are fictional.
"""
    (OUT / "PROVENANCE.md").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    stats = build(args.shared)
    for k, v in stats.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
