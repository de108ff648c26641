"""(b) Throughput: searches per second at several concurrency levels (issue 7).

The ten partners of bench/overhead.py (50 MARCXML records each, partner i after 20 + 5i ms)
behind the real gateway (`federator serve`), with one worker process and with several. At each
concurrency level C, C clients (one asyncio client, keep-alive connections) send searches back
to back for a fixed time, every query distinct so the cache never answers. Prints searches per
second, latency p50/p95, errors, and the gateway's CPU use (cores busy, CPU ms per search), and
the level where throughput peaks. Clients and partners share the machine's two cores with the
gateway; their own CPU use is printed too.

    .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py --levels 1,4,16 --workers 1,2 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import time

import _local

_LENGTH = re.compile(rb"content-length: (\d+)", re.I)


async def _client(port: int, markers, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            path = _local.search_path(next(markers))
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(int(_LENGTH.search(head).group(1)))
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(head.split(b"\r\n", 1)[0].decode())
            elif b'"status":"ok"' not in body or b'"status":"timeout"' in body or b'"status":"error"' in body:
                errors.append("a partner did not answer ok")
            else:
                latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        writer.close()


async def level(port: int, concurrency: int, seconds: float, markers) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    t0 = time.monotonic()
    await asyncio.gather(*(_client(port, markers, t0 + seconds, latencies, errors) for _ in range(concurrency)))
    return latencies, errors, time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,2,4,8,16,32")
    parser.add_argument("--workers", default="1,2", help="worker process counts to compare")
    parser.add_argument("--seconds", type=float, default=6.0, help="per level")
    _local.partner_options(parser)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    _local.header("throughput (bench/throughput.py)")
    delays = _local.delays_ms(args.partners)
    print(f"{_local.setup(args, delays)}; "
          f"{args.seconds:g} s per level")
    markers = itertools.count(100_000)
    with _local.Partners(delays, args.records).start() as partners:
        for workers in (int(w) for w in args.workers.split(",")):
            with _local.Gateway(partners.config(cache_ttl=5, record_cache=args.record_cache), workers=workers) as gateway:
                asyncio.run(level(gateway.port, 2, 3.0, markers))  # warm-up
                print(f"-- {workers} worker process{'es' if workers > 1 else ''}")
                best = (0.0, 0)
                for c in levels:
                    cpu0, own0, part0 = gateway.cpu(), time.process_time(), _local.cpu_seconds(partners.process.pid)
                    lat, errors, elapsed = asyncio.run(level(gateway.port, c, args.seconds, markers))
                    cpu = gateway.cpu() - cpu0
                    rate = len(lat) / elapsed
                    best = max(best, (rate, c))
                    print(f"concurrency {c:>3}: {rate:6.1f} searches/s, latency p50 {_local.percentile(lat, 50):6.0f} ms "
                          f"p95 {_local.percentile(lat, 95):6.0f} ms, errors {len(errors)}; gateway CPU "
                          f"{cpu / elapsed:.2f} cores, {cpu * 1000 / max(1, len(lat)):.0f} ms/search; client "
                          f"{(time.process_time() - own0) / elapsed:.2f} cores, partners "
                          f"{(_local.cpu_seconds(partners.process.pid) - part0) / elapsed:.2f} cores"
                          + (f" ({errors[0]})" if errors else ""))
                print(f"peak: {best[0]:.1f} searches/s at concurrency {best[1]} with {workers} worker(s)")


if __name__ == "__main__":
    main()
