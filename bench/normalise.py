"""Parse + normalise cost per partner record (issue 7, benchmark (a)): the gateway's own work on
an SRU answer, without HTTP.

The responses are the ones the overhead benchmark's partners send (bench/_local.py): SRU 1.2
searchRetrieveResponses of 50 real MARC records of the demo pools as MARCXML (~150 KB each).
For each pass, over every response: parse = protocols.sru.parse_response (lxml parse of the body,
records and diagnostics picked out); normalise = records.normalise.normalise_xml on each record
(raw serialised, MARC fields read, Record built). CPU time (time.process_time), µs per record,
median and minimum over the passes (the machine is shared: the minimum is the least disturbed).

Cold: the record cache is off (every record normalised as never seen) and the per-value caches
(ISBN/ISSN normalisation, availability phrases, holding location names) are emptied before each
pass. Warm: the record cache on, every record seen before (a popular record, the next page, a
refined query).

    .venv/bin/python bench/normalise.py                      # 10 partners x 2 variants x 50 records
    .venv/bin/python bench/normalise.py --passes 9 --variants 4

Runs against whatever `federator` is importable: to compare with an older commit, put that
commit's src/ first on PYTHONPATH (`git worktree add /tmp/old <commit>`).
"""

from __future__ import annotations

import argparse
import statistics
import time

import _local


def clear_value_caches() -> None:
    """Empty every per-value cache the normalisers keep, so a pass is cold."""
    import federator.records._text as text
    import federator.records.identifiers as identifiers
    import federator.records.marc as marc

    for module in (text, identifiers, marc):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def one_pass(responses: list[bytes], *, cold: bool) -> tuple[float, float, int]:
    from federator.protocols.sru import parse_response
    from federator.records.normalise import normalise_xml, record_cache

    if cold:
        record_cache.resize(0)
        clear_value_caches()
    parse = normalise = 0.0
    count = 0
    for body in responses:
        t0 = time.process_time()
        page = parse_response(body)
        t1 = time.process_time()
        for record in page.records:
            normalise_xml(record.data, record.schema, "bench")
        t2 = time.process_time()
        parse += t1 - t0
        normalise += t2 - t1
        count += len(page.records)
    return parse, normalise, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--variants", type=int, default=2, help="responses per partner")
    parser.add_argument("--records", type=int, default=50, help="records per response")
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()

    _local.header("parse + normalise per record (bench/normalise.py)")
    responses = [r for partner in _local.build_responses(args.partners, args.records, args.variants) for r in partner]
    print(f"{len(responses)} SRU responses x {args.records} MARCXML records, "
          f"{statistics.mean(map(len, responses)) / 1024:.0f} KB each; {args.passes} passes, median")
    from federator.records.normalise import record_cache

    size = record_cache.size
    for label, cold in (("cold", True), ("warm", False)):
        if not cold:
            record_cache.resize(max(size, len(responses) * args.records))
            one_pass(responses, cold=False)  # fill the record cache
        rows = [one_pass(responses, cold=cold) for _ in range(args.passes)]
        count = rows[0][2]
        us = 1e6 / count
        parse = [r[0] * us for r in rows]
        norm = [r[1] * us for r in rows]
        total = [(r[0] + r[1]) * us for r in rows]
        print(f"{label}: parse {statistics.median(parse):.1f} µs/record, normalise {statistics.median(norm):.1f}, "
              f"total {statistics.median(total):.1f} (median; min {min(parse):.1f} / {min(norm):.1f} / "
              f"{min(total):.1f}) over {len(rows)} passes of {count} records")


if __name__ == "__main__":
    main()
