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

Runs against whatever `federator` is importable. To compare with an older commit on this shared
machine, where the load changes the CPU cost of the same work by 2x between minutes, use
--compare: two worker processes, this checkout and the other src/ (e.g. `git archive <commit>
src | tar -x -C /tmp/old`), run their cold passes in lockstep, one after the other, so both see
the same load; the ratio is taken pass by pass.

    .venv/bin/python bench/normalise.py --compare /tmp/old/src --passes 15
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
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


def worker(path: str) -> None:
    """--worker: load the responses, then run one cold pass per line read, answering with the
    pass's parse and normalise CPU seconds and its record count."""
    with open(path, "rb") as f:
        responses = pickle.load(f)
    one_pass(responses, cold=True)  # imports, first-use costs
    for _ in sys.stdin:
        parse, normalise, count = one_pass(responses, cold=True)
        print(f"{parse} {normalise} {count}", flush=True)


def compare(responses: list[bytes], other_src: str, passes: int) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
        pickle.dump(responses, f)
    here = os.path.abspath(__file__)
    env_other = {**os.environ, "PYTHONPATH": os.pathsep.join([other_src, os.environ.get("PYTHONPATH", "")])}
    procs = {
        "this checkout": subprocess.Popen([sys.executable, here, "--worker", f.name], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True),
        other_src: subprocess.Popen([sys.executable, here, "--worker", f.name], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, env=env_other),
    }
    rows: dict[str, list[tuple[float, float, int]]] = {name: [] for name in procs}
    try:
        for i in range(passes):
            order = list(procs) if i % 2 == 0 else list(procs)[::-1]
            for name in order:
                proc = procs[name]
                proc.stdin.write("go\n")
                proc.stdin.flush()
                parse, norm, count = proc.stdout.readline().split()
                rows[name].append((float(parse), float(norm), int(count)))
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
        os.unlink(f.name)
    mine, theirs = rows["this checkout"], rows[other_src]
    for name, got in rows.items():
        us = 1e6 / got[0][2]
        print(f"{name}: cold parse {statistics.median(r[0] for r in got) * us:.1f} µs/record, normalise "
              f"{statistics.median(r[1] for r in got) * us:.1f}, total {statistics.median(r[0] + r[1] for r in got) * us:.1f}"
              f" (median of {len(got)} passes)")
    for label, k in (("parse", 0), ("normalise", 1)):
        ratios = sorted(a[k] / b[k] for a, b in zip(mine, theirs))
        print(f"this checkout / {other_src}, {label}: median {statistics.median(ratios):.2f} "
              f"[{ratios[0]:.2f}-{ratios[-1]:.2f}] pass by pass")
    ratios = sorted((a[0] + a[1]) / (b[0] + b[1]) for a, b in zip(mine, theirs))
    print(f"this checkout / {other_src}, total: median {statistics.median(ratios):.2f} "
          f"[{ratios[0]:.2f}-{ratios[-1]:.2f}] pass by pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--variants", type=int, default=2, help="responses per partner")
    parser.add_argument("--records", type=int, default=50, help="records per response")
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--compare", metavar="SRC", help="another federator src/ to compare with, pass by pass")
    parser.add_argument("--worker", metavar="PICKLE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return

    _local.header("parse + normalise per record (bench/normalise.py)")
    responses = [r for partner in _local.build_responses(args.partners, args.records, args.variants) for r in partner]
    print(f"{len(responses)} SRU responses x {args.records} MARCXML records, "
          f"{statistics.mean(map(len, responses)) / 1024:.0f} KB each; {args.passes} passes, median")
    if args.compare:
        compare(responses, args.compare, args.passes)
        return
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
