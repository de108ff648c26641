"""(c) Merge cost: deduplicate + rank + facets over 1,000 / 10,000 / 100,000 partner records
(issue 7), with the growth exponent.

Records are built from the real demo pools (3,100 Library of Congress + 435 Koha records,
src/federator/demo/data), normalised by the gateway's own MARC normaliser. A result list of N
records holds about N / 2.4 distinct books, each held by 1-8 partners (40 % by one, 25 % by two,
15 % three, 10 % four, 10 % five to eight): most copies are the same record (copy cataloguing),
about one in three a variant (subtitle dropped, ISBD punctuation and case changed, year off by
one, ISBN left out, another partner's 001), with the partner's own holding. Beyond the 3,535 real
records, further distinct books are made by pairing one real record's title with another's
author, year and publisher, putting a word of the other's title and the pass number in front of
the title, and giving it its own ISBN (each pass over the pool pairs every title with a
different record; the pairing is fixed, so runs repeat). Without the distinct title words, one
title shared by ~28 different books at 100,000 records fills its blocks and the cost grows
faster (measured: 52 s, exponent 1.46 from 10,000 to 100,000).

For each size the whole pipeline runs as the service runs it: `Clusterer` (blocking, matching,
union with veto, merged records with provenance, works), `rank()` by relevance for a query
word common in the pools, and `facets()`. Prints the median and spread over repeated runs,
per-record cost and the log-log slope between sizes. Targets: 10,000 <= 150 ms, 100,000 <= 2 s,
exponent <= 1.2.

    .venv/bin/python bench/merge.py
    .venv/bin/python bench/merge.py --sizes 1000,10000 --runs 5
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import math
import random
import statistics
import time

import pymarc

import _local
from federator.dedup import keys as dedup_keys
from federator.dedup.cluster import Clusterer
from federator.demo.catalog import DATA_DIR
from federator.facets import facets
from federator.query.model import Clause, Query
from federator.rank import rank
from federator.records.identifiers import normalise_isbn
from federator.records.marc import normalise_marc
from federator.records.model import Holding, Record

COPIES = [(1, 0.40), (2, 0.25), (3, 0.15), (4, 0.10), (5, 0.04), (6, 0.03), (7, 0.02), (8, 0.01)]
VARIANT_SHARE = 0.35
QUERY = Query(Clause("any", "=", "history"), text='cql.anywhere = "history"')
PAGE = 20


def pool() -> list[Record]:
    out = []
    for name in ("loc.mrc", "koha.mrc"):
        with open(DATA_DIR / name, "rb") as fh:
            for rec in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, utf8_handling="replace"):
                if rec is not None:
                    r = normalise_marc(rec, "pool")
                    if r.title:
                        out.append(r)
    return out


def _isbn(n: int) -> str:
    digits = f"979{n:09d}"[:12]
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10) % 10
    return normalise_isbn(digits + str(check)) or digits + str(check)


def book(real: list[Record], n: int) -> Record:
    """The n-th distinct book: a real record, or beyond them a fixed pairing of two."""
    if n < len(real):
        return real[n]
    lap, i = divmod(n, len(real))  # lap >= 1: every lap pairs each title with another record
    a, b = real[i], real[(i + lap * 977) % len(real)]
    words = [w for w in (b.title or "").split() if len(w) > 3 and w.isalpha()] or ["Kumpulan"]
    title = f"{words[lap % len(words)].capitalize()} {lap}: {a.title}"
    return dataclasses.replace(a, local_id=f"synthetic-{n}", title=title, authors=list(b.authors), year=b.year,
                               publisher=b.publisher, isbns=[_isbn(n)], lccn=None, oclc_numbers=[],
                               author_dates=dict(b.author_dates))


def variant(rec: Record, rnd: random.Random) -> Record:
    kind = rnd.randrange(5)
    title = rec.title or ""
    if kind == 0 and " : " in title:
        title = title.split(" : ", 1)[0]
    elif kind == 1:
        title = title.upper() if rnd.random() < 0.5 else title + " /"
    changes: dict = {"title": title}
    if kind == 2 and rec.year:
        changes["year"] = rec.year + rnd.choice((-1, 1))
    if kind == 3:
        changes["isbns"] = []
    if kind == 4:
        changes["lccn"] = None
    return dataclasses.replace(rec, **changes)


def records(real: list[Record], n: int, seed: int = 7) -> list[Record]:
    """n partner records with the duplicate structure described above."""
    rnd = random.Random(seed)
    sizes, weights = zip(*COPIES)
    out: list[Record] = []
    b = 0
    while len(out) < n:
        base = book(real, b)
        partners = rnd.sample(range(40), rnd.choices(sizes, weights)[0])
        for p in partners:
            rec = variant(base, rnd) if rnd.random() < VARIANT_SHARE else base
            out.append(dataclasses.replace(
                rec, partner_id=f"p{p}", local_id=f"{rec.local_id}-{p}", raw=None,
                holdings=[Holding(f"p{p}", location="Koleksi Umum", call_number=f"X{b}")]))
            if len(out) == n:
                break
        b += 1
    return out


# The normalisers' caches (lru_cache in dedup/keys.py and dedup/match.py: folded words, title
# and name keys) live as long as the gateway: a search after another finds some of its titles
# and names already there. Cold runs clear them first; warm runs keep the previous run's.
dedup_match = importlib.import_module("federator.dedup.match")  # the package exports a function of that name
CACHES = [f for module in (dedup_keys, dedup_match) for f in vars(module).values() if hasattr(f, "cache_clear")]


def clear_caches() -> None:
    for f in CACHES:
        f.cache_clear()


def pipeline(recs: list[Record], *, cold: bool = True) -> tuple[float, float, int, int, int]:
    """(wall s, CPU s, merged records, pairwise matches, pairs the screen settled) of one search."""
    if cold:
        clear_caches()
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    c = Clusterer()
    c.update(recs)  # as SearchService.progress: no merged record is built while partners answer
    merged = c.merged()
    c.works()
    ranked = rank(merged, QUERY)
    facets(merged, partner_networks={})
    ranked[:PAGE]  # the page the search shows: its merged records are built in full
    return time.perf_counter() - t0, time.process_time() - c0, len(merged), c.comparisons, c.screened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=0, help="runs per size (default: 7, 5, 3 by size)")
    parser.add_argument("--no-warm", action="store_true", help="cold runs only")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds for the whole run: repeats stop early past it (every size runs once)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    _local.header("merge + dedup + rank + facets (bench/merge.py)")
    real = pool()
    print(f"{len(real)} real records in the pools")
    results: dict[int, float] = {}
    stop_at = time.monotonic() + args.budget
    for n in sizes:
        recs = records(real, n)
        runs = args.runs or (7 if n <= 1000 else 5 if n <= 10000 else 3)
        times, cpu, merged, comparisons, screened = [], [], 0, 0, 0
        for _ in range(runs):
            t, t_cpu, merged, comparisons, screened = pipeline(recs, cold=True)
            times.append(t * 1000)
            cpu.append(t_cpu * 1000)
            if time.monotonic() > stop_at:
                break
        med = statistics.median(times)
        results[n] = med
        print(f"{n:>7} records -> {merged} merged ({n / merged:.2f} records each): COLD {_local.spread(times)} ms "
              f"over {len(times)} runs (CPU {statistics.median(cpu):.0f} ms), {med * 1000 / n:.1f} us/record, "
              f"{comparisons / n:.2f} pairwise matches/record, {screened / n:.2f} pairs/record settled by the screen")
        if not args.no_warm and time.monotonic() < stop_at:
            warm = []
            for _ in range(max(1, len(times) // 2)):
                warm.append(pipeline(recs, cold=False)[0] * 1000)
                if time.monotonic() > stop_at:
                    break
            print(f"{'':>7} warm (normaliser caches kept from the previous run, as in a running gateway): "
                  f"{_local.spread(warm)} ms over {len(warm)} runs")
    ns = sorted(results)
    for a, b in zip(ns, ns[1:]):
        slope = math.log(results[b] / results[a]) / math.log(b / a)
        print(f"growth {a} -> {b}: x{results[b] / results[a]:.1f} for x{b / a:.0f} records, exponent {slope:.2f}")
    if len(ns) >= 2:
        xs = [math.log(n) for n in ns]
        ys = [math.log(results[n]) for n in ns]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        print(f"exponent (least squares over all sizes) {slope:.2f}; target <= 1.2")
    for n, target in ((10000, 150), (100000, 2000)):
        if n in results:
            print(f"{n} records: {results[n]:.0f} ms, target <= {target} ms: "
                  f"{'met' if results[n] <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
