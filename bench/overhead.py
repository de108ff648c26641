"""(a) Gateway overhead: what the gateway adds on top of its slowest partner (issue 7).

Ten local SRU partners (bench/_local.py) each answer 50 real MARC records as MARCXML, partner i
after 20 + 5i ms. Searches go one at a time through the real gateway (`federator serve`,
uvicorn, real HTTP, keep-alive client), each with a distinct query so the cache never answers.
For every search:

    overhead = end-to-end time at the client - the slowest partner's own time

where a partner's own time is measured at the partner (request read -> response handed to the
kernel). Prints p50/p95 of the overhead per run and over all runs, and the gateway's CPU time
per search (its process CPU time delta / searches). Target (PRODUCT.md): p50 <= 5 ms + 0.06 ms
per fetched record (10 x 50 records: 35 ms), p95 <= 2 x p50, CPU per search in proportion.

    .venv/bin/python bench/overhead.py                # 3 runs x 100 searches
    .venv/bin/python bench/overhead.py --runs 5 --searches 200 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time

import _local


def run_once(partners: _local.Partners, gateway: _local.Gateway, searches: int, first_marker: int,
             budget_s: float) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    partners.take_log()
    e2e: dict[int, float] = {}
    fetched: list[int] = []
    cpu0 = gateway.cpu()
    stop_at = time.monotonic() + budget_s
    for marker in range(first_marker, first_marker + searches):
        t0 = time.perf_counter_ns()
        status, body = _local.http_get(gateway.port, _local.search_path(marker), conn)
        e2e[marker] = (time.perf_counter_ns() - t0) / 1e6
        if status != 200:
            raise RuntimeError(f"search failed: {status} {body[:300]!r}")
        page = json.loads(body)
        fetched.append(sum(p["fetched"] for p in page["partners"]))
        if time.monotonic() > stop_at:
            break
    cpu = gateway.cpu() - cpu0
    conn.close()
    log = partners.take_log()
    own = _local.own_times_ms(log)
    overhead = [e2e[m] - max(own[m]) for m in e2e]
    return {"overhead": overhead, "cpu_ms": cpu * 1000 / len(e2e), "searches": len(e2e),
            "requests": len(log), "connections": partners.connections,
            "fetched": statistics.median(fetched), "slowest_own": statistics.median(max(own[m]) for m in e2e)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=100, help="searches per run")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per run at most")
    _local.partner_options(parser)
    args = parser.parse_args()

    _local.header("gateway overhead (bench/overhead.py)")
    delays = _local.delays_ms(args.partners)
    print(f"{_local.setup(args, delays)}; "
          f"{args.runs} runs x {args.searches} searches after {args.warmup} warm-up; workers {args.workers}")
    with _local.Partners(delays, args.records).start() as partners, \
            _local.Gateway(partners.config(record_cache=args.record_cache), workers=args.workers) as gateway:
        run_once(partners, gateway, args.warmup, 10_000, args.budget)
        rows = []
        for run in range(args.runs):
            r = run_once(partners, gateway, args.searches, 20_000 + run * 10_000, args.budget)
            rows.append(r)
            p50, p95 = _local.percentile(r["overhead"], 50), _local.percentile(r["overhead"], 95)
            print(f"run {run + 1}: {r['searches']} searches, {r['fetched']:.0f} records fetched each, "
                  f"slowest partner {r['slowest_own']:.1f} ms; overhead p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"(p95/p50 {p95 / p50:.2f}); gateway CPU {r['cpu_ms']:.1f} ms/search; "
                  f"{r['requests']} partner requests over {r['connections']} new connections")
        every = [x for r in rows for x in r["overhead"]]
        p50s = [_local.percentile(r["overhead"], 50) for r in rows]
        p95s = [_local.percentile(r["overhead"], 95) for r in rows]
        cpus = [r["cpu_ms"] for r in rows]
        records = args.partners * args.records
        target = 5 + 0.06 * records
        p50, p95 = _local.percentile(every, 50), _local.percentile(every, 95)
        print(f"overhead p50 {p50:.1f} ms (runs: {_local.spread(p50s)}), p95 {p95:.1f} ms "
              f"(runs: {_local.spread(p95s)}), p95/p50 {p95 / p50:.2f}; target p50 <= {target:.0f} ms, "
              f"p95 <= 2 x p50")
        print(f"gateway CPU per search {statistics.median(cpus):.1f} ms (runs: {_local.spread(cpus)}) = "
              f"{statistics.median(cpus) / records * 1000:.0f} us per fetched record; "
              f"target <= {target:.0f} ms")
        print(f"verdict: p50 {'met' if p50 <= target else 'MISSED'}, p95 {'met' if p95 <= 2 * p50 else 'MISSED'}, "
              f"CPU {'met' if statistics.median(cpus) <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
