"""Deduplication quality on the labelled DBLP-ACM / DBLP-Scholar benchmark (issue 4, F7).

Runs the project's own matcher (`federator.dedup.match` and `federator.dedup.Clusterer`, the
code the gateway runs) and prints precision, recall and F1:

  (a) pairs: every labelled row of DIR/<dataset>/<split>.csv becomes two `Record`s and one
      `match()` call. A pair is predicted "same" when the matcher says *same edition* (these
      are two bibliographic records of one paper: the same manifestation). "Same work" is
      printed on a second line for information only: for papers it joins a conference paper
      and its journal version, which the benchmark labels as different.
  (b) tables: DIR/dblp_acm/tables/{dblp,acm}.csv as two partners, all ~4,900 records through
      `Clusterer` (blocking + matching + union with veto); reports comparisons made, time,
      cross-source merges, and precision/recall on the labelled train+valid pairs whose two
      sides can be found in the tables (by exact folded title + authors + year; the CSV `id`
      column is a row number of the pair file, not a table row).

Row -> Record mapping (the same for every dataset): title -> title; authors split on "," ->
authors (in the order given, the first as main author); year -> year ("1997.0" -> 1997, empty ->
None); venue -> series (the conference or journal a paper appeared in: like a series it names
the container, not the publisher, and the matcher does not weigh it); material type ARTICLE.
No identifiers, no edition statement, no publisher.

    .venv/bin/python bench/dedup_benchmark.py --split valid
    .venv/bin/python bench/dedup_benchmark.py --split train --datasets dblp_acm --errors 20
    .venv/bin/python bench/dedup_benchmark.py --split valid --datasets dblp_acm/dirty,dblp_scholar/dirty --no-tables
"""

from __future__ import annotations

import argparse
import csv
import html
import os
import platform
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from federator.dedup import Clusterer, match
from federator.dedup.keys import fold
from federator.records.model import MaterialType, Record

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "dedup"
DATASETS = ("dblp_acm", "dblp_scholar")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: bool, predicted: bool) -> None:
        if predicted:
            if label:
                self.tp += 1
            else:
                self.fp += 1
        elif label:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# The benchmark's tokeniser split character references off their word ("h &#233; ctor" for
# "h&#233;ctor", "& hellip ;" for "&hellip;"): join them back before decoding.
_SPLIT_LETTER_REF = re.compile(r" ?(&#\d+;) ?")
_SPLIT_NAMED_REF = re.compile(r"& ([a-z]+) ;")


def unescape(text: str | None) -> str:
    """Decode HTML character references, rejoining letters the benchmark's tokeniser split off."""
    if not text:
        return ""
    text = _SPLIT_NAMED_REF.sub(r"&\1;", text)
    text = _SPLIT_LETTER_REF.sub(lambda m: _ref(m), text)
    return html.unescape(text).strip()


def _ref(m: re.Match[str]) -> str:
    ch = html.unescape(m.group(1))
    return ch if ch.isalpha() else m.group(0)


def to_record(partner: str, local_id: str, title: str, authors: str, venue: str, year: str) -> Record:
    """One side of a benchmark row (or one table row) as a partner record (see module doc)."""
    title = unescape(title)
    names = [n.strip() for n in unescape(authors).split(",")]
    venue = unescape(venue)
    year_s = (year or "").strip()
    try:
        y = int(float(year_s)) if year_s else None
    except ValueError:
        y = None
    return Record(
        partner_id=partner,
        local_id=local_id,
        source_format="json",
        title=title or None,
        authors=[n for n in names if n],
        year=y,
        series=[venue] if venue else [],
        material_type=MaterialType.ARTICLE,
    )


def _side(row: dict[str, str], side: str, partner: str) -> Record:
    return to_record(partner, f"{row['id']}", row[f"{side}_title"], row[f"{side}_authors"],
                     row[f"{side}_venue"], row[f"{side}_year"])


def read_pairs(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def dataset_dir(data: Path, name: str) -> Path:
    """"dblp_acm", "dblp_acm/dirty" or "dirty_dblp_acm" -> the folder holding <split>.csv."""
    if name.startswith("dirty_"):
        return data / name.removeprefix("dirty_") / "dirty"
    return data / name


def eval_pairs(rows: list[dict[str, str]]) -> tuple[Counts, Counts, list[tuple[str, dict[str, str], str]]]:
    """(edition-level counts, edition-or-work counts, errors at edition level)."""
    edition, either = Counts(), Counts()
    errors: list[tuple[str, dict[str, str], str]] = []
    for row in rows:
        label = row["label"].strip() == "1"
        result = match(_side(row, "left", "left"), _side(row, "right", "right"))
        same = result.level == "edition"
        edition.add(label, same)
        either.add(label, result.level is not None)
        if same != label:
            errors.append(("FP" if same else "FN", row, f"{result.level}: {result.explanation}"))
    return edition, either, errors


# -- (b) end to end over the tables -----------------------------------------------------------


def table_key(title: str, authors: str, year: str) -> tuple[str, str, str]:
    """Title and authors folded with every space and punctuation mark removed, and the year:
    the same for a table row and the benchmark's lower-cased, tokenised copy of it
    ("Editor's Notes" / "editor 's notes")."""
    y = (year or "").strip()
    try:
        y = str(int(float(y))) if y else ""
    except ValueError:
        pass
    return ("".join(fold(unescape(title)).split()), "".join(fold(unescape(authors)).split()), y)


def read_table(path: Path, partner: str) -> tuple[list[Record], dict[tuple[str, str, str], list[str]]]:
    records: list[Record] = []
    index: dict[tuple[str, str, str], list[str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rec = to_record(partner, row["row_id"], row["title"], row["authors"], row["venue"], row["year"])
            records.append(rec)
            index.setdefault(table_key(row["title"], row["authors"], row["year"]), []).append(rec.key)
    return records, index


def eval_tables(data: Path, labelled_splits: Iterable[str]) -> dict[str, object]:
    tables = data / "dblp_acm" / "tables"
    dblp, dblp_index = read_table(tables / "dblp.csv", "dblp")
    acm, acm_index = read_table(tables / "acm.csv", "acm")
    records = dblp + acm
    clusterer = Clusterer()
    t0 = time.perf_counter()
    clusterer.add(records)
    merged = clusterer.merged()
    elapsed = time.perf_counter() - t0

    predicted: set[tuple[str, str]] = set()
    same_source = 0
    for m in merged:
        left = [r.key for r in m.members if r.partner_id == "dblp"]
        right = [r.key for r in m.members if r.partner_id == "acm"]
        predicted.update(product(left, right))
        same_source += max(0, len(left) - 1) + max(0, len(right) - 1)

    # labelled pairs whose two sides are each exactly one table row
    labelled: dict[tuple[str, str], bool] = {}
    rows_total = unmapped = ambiguous = 0
    for split in labelled_splits:
        path = data / "dblp_acm" / f"{split}.csv"
        if not path.exists():
            continue
        for row in read_pairs(path):
            rows_total += 1
            lk = dblp_index.get(table_key(row["left_title"], row["left_authors"], row["left_year"]), [])
            rk = acm_index.get(table_key(row["right_title"], row["right_authors"], row["right_year"]), [])
            if not lk or not rk:
                unmapped += 1
                continue
            if len(lk) > 1 or len(rk) > 1:
                ambiguous += 1
                continue
            labelled[(lk[0], rk[0])] = row["label"].strip() == "1"
    counts = Counts()
    for pair, label in labelled.items():
        counts.add(label, pair in predicted)
    return {
        "records": len(records),
        "dblp": len(dblp),
        "acm": len(acm),
        "comparisons": clusterer.comparisons,
        "all_pairs": len(records) * (len(records) - 1) // 2,
        "seconds": elapsed,
        "merged": len(merged),
        "multi": sum(1 for m in merged if len(m.members) > 1),
        "cross_pairs": len(predicted),
        "same_source": same_source,
        "rows_total": rows_total,
        "rows_mapped": len(labelled),
        "unmapped": unmapped,
        "ambiguous": ambiguous,
        "counts": counts,
    }


# -- output -----------------------------------------------------------------------------------


def _row(cells: Iterable[object], widths: Iterable[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


PAIR_HEAD = ("dataset", "split", "counts as match", "pairs", "pos", "TP", "FP", "FN", "precision", "recall", "F1")
PAIR_WIDTHS = (20, 5, 16, 6, 5, 5, 5, 5, 9, 6, 6)


def pair_lines(name: str, split: str, n: int, edition: Counts, either: Counts) -> list[str]:
    out = []
    for what, c in (("edition", edition), ("edition or work", either)):
        out.append(_row((name, split, what, n, c.tp + c.fn, c.tp, c.fp, c.fn,
                         f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"), PAIR_WIDTHS))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (default: ../shared/data/dedup)")
    ap.add_argument("--split", default="valid", help="train, valid or test (comma-separated for several)")
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help="comma-separated: dblp_acm, dblp_scholar, dblp_acm/dirty (or dirty_dblp_acm), ...")
    ap.add_argument("--no-tables", action="store_true", help="skip the end-to-end run over dblp_acm/tables")
    ap.add_argument("--errors", type=int, default=0, metavar="N",
                    help="print up to N wrong pairs per dataset (tune on train only)")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    splits = [s.strip() for s in args.split.split(",") if s.strip()]
    names = [d.strip() for d in args.datasets.split(",") if d.strip()]

    print(f"federator dedup benchmark  data={data}")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print()
    print("(a) labelled pairs: a pair is predicted same when match() says same edition")
    print(_row(PAIR_HEAD, PAIR_WIDTHS))
    print(_row(("-" * w for w in PAIR_WIDTHS), PAIR_WIDTHS))
    missing = []
    all_errors: list[tuple[str, str, list]] = []
    for name in names:
        for split in splits:
            path = dataset_dir(data, name) / f"{split}.csv"
            if not path.exists():
                missing.append(str(path))
                continue
            rows = read_pairs(path)
            t0 = time.perf_counter()
            edition, either, errors = eval_pairs(rows)
            dt = time.perf_counter() - t0
            for line in pair_lines(name, split, len(rows), edition, either):
                print(line)
            all_errors.append((name, split, errors))
            print(f"{'':20}  {'':5}  ({len(rows)} pairs matched in {dt:.2f} s)")
    for m in missing:
        print(f"  (no file {m}: skipped)")

    if args.errors:
        for name, split, errors in all_errors:
            print(f"\nerrors {name} {split} (first {args.errors} of {len(errors)}):")
            for kind, row, why in errors[: args.errors]:
                print(f"  {kind} #{row['id']}: {why}")
                for side in ("left", "right"):
                    print(f"     {side:5} {row[f'{side}_title']!r} | {row[f'{side}_authors']!r} | "
                          f"{row[f'{side}_venue']!r} | {row[f'{side}_year']!r}")

    if not args.no_tables:
        tables = data / "dblp_acm" / "tables"
        if not (tables / "dblp.csv").exists():
            print(f"\n(no {tables}: end-to-end run skipped)")
            return 0
        labelled_splits = [s for s in ("train", "valid") if (data / "dblp_acm" / f"{s}.csv").exists()]
        r = eval_tables(data, labelled_splits)
        c: Counts = r["counts"]  # type: ignore[assignment]
        print()
        print("(b) end to end: dblp_acm/tables, DBLP and ACM as two partners, one Clusterer over all records")
        lines = [
            ("records", f"{r['records']} ({r['dblp']} dblp + {r['acm']} acm)"),
            ("pairs compared", f"{r['comparisons']} ({100 * r['comparisons'] / r['all_pairs']:.3f}% of {r['all_pairs']} all-pairs)"),
            ("time (cluster + merged records)", f"{r['seconds']:.2f} s"),
            ("merged records", f"{r['merged']} ({r['multi']} with 2+ members)"),
            ("cross-source pairs merged", f"{r['cross_pairs']} (held-out perfect mapping: 2224 pairs)"),
            ("same-source merges", f"{r['same_source']}"),
            ("labelled pairs (" + "+".join(labelled_splits) + ")",
             f"{r['rows_total']}; both sides found in the tables: {r['rows_mapped']} "
             f"(not found {r['unmapped']}, ambiguous {r['ambiguous']})"),
            ("on those: TP / FP / FN", f"{c.tp} / {c.fp} / {c.fn}"),
            ("precision / recall / F1", f"{c.precision:.3f} / {c.recall:.3f} / {c.f1:.3f}"),
        ]
        for k, v in lines:
            print(f"  {k:<34} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
