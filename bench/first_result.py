"""(d) Time to the first streamed result versus the fastest partner (issue 7).

The ten partners of bench/overhead.py (50 MARCXML records each, partner i after 20 + 5i ms)
answer GET /search/stream through the real gateway. For every search the client notes when the
first `records` event arrives (from sending the request) and the partners note their own times;

    lag = time to the first `records` event - the fastest partner's own time

Target (PRODUCT.md): lag <= 20 ms. Prints the time to first records, the fastest partner's
time and the lag (median, p95, spread over runs), and when `done` arrived.

    .venv/bin/python bench/first_result.py
    .venv/bin/python bench/first_result.py --runs 5 --searches 50
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

import _local


def stream_search(port: int, path: str) -> tuple[float, float]:
    """(ms to the first `records` event, ms to the end of the stream)."""
    t0 = time.perf_counter_ns()
    first = None
    done = False
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        seen = b""
        while chunk := sock.recv(1 << 16):
            seen = seen[-32:] + chunk
            if first is None and b"event: records" in seen:
                first = (time.perf_counter_ns() - t0) / 1e6
            done = done or b"event: done" in seen
    end = (time.perf_counter_ns() - t0) / 1e6
    if first is None or not done:
        raise RuntimeError("the stream had no records or no done event")
    return first, end


def run_once(partners: _local.Partners, gateway: _local.Gateway, searches: int, first_marker: int) -> dict:
    partners.take_log()
    firsts, ends = {}, {}
    for marker in range(first_marker, first_marker + searches):
        firsts[marker], ends[marker] = stream_search(gateway.port, _local.search_path(marker, stream=True))
    own = _local.own_times_ms(partners.take_log())
    fastest = {m: min(own[m]) for m in firsts}
    return {"first": list(firsts.values()), "fastest": list(fastest.values()),
            "lag": [firsts[m] - fastest[m] for m in firsts], "end": list(ends.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=10)
    _local.partner_options(parser)
    args = parser.parse_args()

    _local.header("time to first streamed result (bench/first_result.py)")
    delays = _local.delays_ms(args.partners)
    print(f"{_local.setup(args, delays)}; "
          f"{args.runs} runs x {args.searches} streamed searches")
    with _local.Partners(delays, args.records).start() as partners, \
            _local.Gateway(partners.config(record_cache=args.record_cache)) as gateway:
        run_once(partners, gateway, args.warmup, 10_000)
        rows = []
        for run in range(args.runs):
            r = run_once(partners, gateway, args.searches, 20_000 + run * 10_000)
            rows.append(r)
            print(f"run {run + 1}: first records {statistics.median(r['first']):.1f} ms, fastest partner "
                  f"{statistics.median(r['fastest']):.1f} ms, lag p50 {_local.percentile(r['lag'], 50):.1f} ms "
                  f"p95 {_local.percentile(r['lag'], 95):.1f} ms; stream done at "
                  f"{statistics.median(r['end']):.1f} ms")
        lags = [x for r in rows for x in r["lag"]]
        p50s = [_local.percentile(r["lag"], 50) for r in rows]
        lag = _local.percentile(lags, 50)
        print(f"lag (first records - fastest partner) p50 {lag:.1f} ms (runs: {_local.spread(p50s)}), "
              f"p95 {_local.percentile(lags, 95):.1f} ms; target <= 20 ms: {'met' if lag <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
