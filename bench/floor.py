"""The floor under targets (a) and (c) of issue 7: what the least possible work per record costs
in CPython on this machine, beside the budget each target leaves per record.

(a) allows 5 ms + 0.06 ms per fetched record of gateway overhead (and of CPU per search): 60 µs
per record for everything the gateway does with it (receive, parse, normalise, deduplicate,
rank, facet, render). (c) allows 150 ms for 10,000 records (15 µs per record) and 2 s for
100,000 (20 µs per record) for deduplicating, ranking and faceting.

Part (a), per fetched record, on the overhead benchmark's own SRU answers (bench/_local.py: 50
real MARCXML records of the demo pools in a ~150 KB searchRetrieveResponse):

- lxml parse: `etree.fromstring` with the gateway's safe parser, nothing else;
- lxml parse + bare walk: the parse, then every element visited once from Python reading its
  tag, text and one attribute, doing nothing with them (any reader of MARCXML through lxml does
  at least this for the fields it reads);
- ElementTree (expat, the C accelerator) parse + bare walk, the standard library's other parser,
  to show the verdict does not hang on lxml;
- the gateway's own parse + normalise of the same answers (protocols.sru.parse_response and
  records.normalise.normalise_xml, record cache off), for comparison.

Part (c), per record, on the merge benchmark's own 10,000 records (bench/merge.py: real pool
records, ~2.35 partner records per book, one in three copies a variant):

- exact-key merge: the least a deduplicating merge can do with no fuzzy comparison at all:
  per record, fold the title to lower-case ASCII words, key on (first four title words, first
  author's surname, year), cluster by that key or a shared ISBN through one dict each, count the
  query word in each merged title for relevance and sort, and count six facets. It finds only
  copies whose title, author and year agree after folding: far below issue 4's quality, which
  needs fuzzy title and author comparison;
- one fuzzy title comparison (rapidfuzz `fuzz.ratio`, compiled) and one token-set comparison
  (`fuzz.token_set_ratio`) on two real titles, per pair;
- the gateway's own pipeline (bench/merge.py `pipeline`) on the same records, for comparison.

Each figure is the minimum over repeated passes (the least disturbed on a shared machine), with
the median beside it.

    .venv/bin/python bench/floor.py
    .venv/bin/python bench/floor.py --passes 15
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import unicodedata
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable

from lxml import etree
from rapidfuzz import fuzz

import _local
import merge

A_BUDGET_US = 60.0  # (a): 0.06 ms per fetched record, beyond a fixed 5 ms per search
C_BUDGET_US = {10_000: 15.0, 100_000: 20.0}  # (c): 150 ms / 10,000 and 2 s / 100,000


def measure(rows: list[tuple[str, Callable[[], object], int]], passes: int, budget: float) -> None:
    """Run each row's function once per pass, the rows taking turns (so that every row sees the
    same machine speed: on this shared machine it changes by 2x between minutes), then print the
    minimum and median CPU µs per record (or pair) of each, against the budget."""
    times: list[list[float]] = [[] for _ in rows]
    for _ in range(passes):
        for i, (_, fn, _) in enumerate(rows):
            t = time.process_time()
            fn()
            times[i].append(time.process_time() - t)
    for (label, _, per), got in zip(rows, times):
        low, med = min(got) * 1e6 / per, statistics.median(got) * 1e6 / per
        print(f"  {label:<58} {low:7.1f} µs (median {med:7.1f})   {low / budget:5.2f} x budget")


# --- (a) -------------------------------------------------------------------------------------------

def part_a(passes: int) -> None:
    from federator import safexml
    from federator.protocols.sru import parse_response
    from federator.records.normalise import normalise_xml, record_cache

    bodies = [variants[0] for variants in _local.build_responses(4, 50, 1)]
    count = 50 * len(bodies)
    parser = safexml.parser(collect_ids=False)

    def lxml_parse() -> None:
        for body in bodies:
            etree.fromstring(body, parser)

    def lxml_walk() -> None:
        for body in bodies:
            for el in etree.fromstring(body, parser).iter():
                el.tag, el.text, el.get("code")

    def expat_walk() -> None:
        for body in bodies:
            for el in ElementTree.fromstring(body).iter():
                el.tag, el.text, el.get("code")

    def gateway() -> None:
        for body in bodies:
            for record in parse_response(body).records:
                normalise_xml(record.data, record.schema, "floor")

    elements = sum(1 for body in bodies for _ in etree.fromstring(body, parser).iter()) / count
    print(f"(a) per fetched record: {len(bodies)} SRU answers x 50 MARCXML records, "
          f"{sum(map(len, bodies)) / count / 1024:.1f} KiB and {elements:.0f} elements per record; "
          f"budget {A_BUDGET_US:.0f} µs per record for all the gateway does")
    size = record_cache.size
    record_cache.resize(0)
    try:
        measure([("lxml parse alone", lxml_parse, count),
                 ("lxml parse + bare walk of every element", lxml_walk, count),
                 ("ElementTree (expat) parse + bare walk of every element", expat_walk, count),
                 ("the gateway's parse + normalise (record cache off)", gateway, count)], passes, A_BUDGET_US)
    finally:
        record_cache.resize(size)


# --- (c) -------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> list[str]:
    """Lower-case words without diacritics; ASCII titles (most) skip the decomposition."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text).split()


def exact_key_merge(records, word: str) -> int:
    """The least deduplicating merge: exact folded keys and ISBNs, no fuzzy comparison."""
    parent: list[int] = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_key: dict[tuple, int] = {}
    by_isbn: dict[str, int] = {}
    words: list[list[str]] = []
    for i, r in enumerate(records):
        title = _fold(r.title or "")
        words.append(title)
        surname = r.authors[0].split(",", 1)[0].casefold() if r.authors else ""
        key = (tuple(title[:4]), surname, r.year)
        j = by_key.setdefault(key, i)
        if j != i:
            parent[find(i)] = find(j)
        for isbn in r.isbns:
            j = by_isbn.setdefault(isbn, i)
            if j != i:
                parent[find(i)] = find(j)
    clusters: dict[int, list[int]] = {}
    for i in range(len(records)):
        clusters.setdefault(find(i), []).append(i)
    scores = sorted(((sum(w == word for w in words[c[0]]), c[0]) for c in clusters.values()), reverse=True)
    facet = {name: Counter() for name in ("partner", "year", "material", "language", "author", "subject")}
    for members in clusters.values():
        first = records[members[0]]
        facet["partner"].update({records[m].partner_id for m in members})
        facet["year"][first.year] += 1
        facet["material"][first.material_type] += 1
        facet["language"][first.language] += 1
        facet["author"].update(first.authors[:1])
        facet["subject"].update(set(first.subjects))
    return len(scores)


def part_c(passes: int, size: int) -> None:
    recs = merge.records(merge.pool(), size)
    word = merge.QUERY.root.term
    budget = C_BUDGET_US.get(size, 15.0)
    merged = exact_key_merge(recs, word)
    print(f"(c) per record: {size:,} merge-benchmark records; budget {budget:.0f} µs per record "
          f"for deduplicating, ranking and faceting")
    titles = [r.title for r in recs[:2000] if r.title]
    pairs = list(zip(titles, titles[1:]))

    def ratio() -> None:
        for a, b in pairs:
            fuzz.ratio(a, b)

    def token_set() -> None:
        for a, b in pairs:
            fuzz.token_set_ratio(a, b)

    measure([(f"exact-key merge, no fuzzy comparison ({merged:,} clusters)",
              lambda: exact_key_merge(recs, word), size),
             ("rapidfuzz fuzz.ratio, per pair of titles", ratio, len(pairs)),
             ("rapidfuzz fuzz.token_set_ratio, per pair of titles", token_set, len(pairs)),
             ("the gateway's merge pipeline (bench/merge.py, cold)", lambda: merge.pipeline(recs, cold=True), size)],
            passes, budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=9)
    parser.add_argument("--size", type=int, default=10_000, help="records for part (c)")
    args = parser.parse_args()
    _local.header("floor under targets (a) and (c) (bench/floor.py)")
    part_a(args.passes)
    part_c(args.passes, args.size)


if __name__ == "__main__":
    main()
