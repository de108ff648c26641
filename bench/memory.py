"""(e) Memory: peak per in-flight search, per held record, and back to baseline after expiry
(issue 7).

The service runs in this process (SearchService, the same code the API calls) against the ten
partners of bench/overhead.py (50 MARCXML records each, over real HTTP on 127.0.0.1), with
`cache_ttl` set short. Python's allocations are traced with tracemalloc; the resident set size
(RSS, /proc/self/status) is printed beside it.

1. baseline: after warm-up searches have expired from the cache;
2. in flight: the peak above baseline while one search runs, and while ten run at once (per
   search);
3. held: after N distinct searches finish and stay in the cache, the memory above baseline per
   held partner record (every record each search fetched) and per merged record;
4. expiry: `cache_ttl` later, with no further searches, the memory above baseline.

Target (PRODUCT.md): <= 10 KiB per held record, returned when a search expires.

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --searches 60 --ttl 3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
import tracemalloc

import _local
from federator.config import Settings
from federator.query.params import query_from_params
from federator.service import SearchService


def rss_kib() -> int:
    return _local.rss_kib(os.getpid())


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def search(service: SearchService, marker: int):
    word = _local.VARIANT_WORDS[marker % len(_local.VARIANT_WORDS)]
    result = await service.search(query_from_params(q=f"{word} zq{marker}"), service.select())
    result.ranked("relevance")
    result.facets(service.partner_networks)
    return result


async def main_async(args) -> None:
    delays = _local.delays_ms(args.partners)
    with _local.Partners(delays, args.records).start() as partners:
        settings = Settings.model_validate(partners.config(cache_ttl=args.ttl, record_cache=args.record_cache))
        service = SearchService(settings)
        await service.start()
        try:
            tracemalloc.start()
            for m in range(len(_local.VARIANT_WORDS) * 2):  # warm-up: imports, key caches, pools
                await search(service, m)
            await asyncio.sleep(args.ttl + max(1.0, min(args.ttl / 4, 30.0)) + 1.5)
            base, base_rss = traced(), rss_kib()
            snapshot = tracemalloc.take_snapshot() if args.diff else None
            print(f"baseline (warm-up expired): traced {base / 1024:.0f} KiB, RSS {base_rss / 1024:.1f} MiB")

            tracemalloc.reset_peak()
            before = traced()
            result = await search(service, 1000)
            fetched = sum(s.fetched for s in result.statuses)
            result = None
            one = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.reset_peak()
            before = traced()
            await asyncio.gather(*(search(service, 2000 + i) for i in range(10)))
            ten = (tracemalloc.get_traced_memory()[1] - before) / 10
            print(f"in flight: peak {one / 1024:.0f} KiB for one search ({fetched} records, "
                  f"{one / fetched / 1024:.1f} KiB per record), {ten / 1024:.0f} KiB per search with 10 at once")

            await asyncio.sleep(args.ttl + max(1.0, min(args.ttl / 4, 30.0)) + 1.5)  # let those expire too
            base2 = traced()
            held = merged = 0
            t0 = time.monotonic()
            for m in range(args.searches):
                result = await search(service, 3000 + m)
                held += sum(s.fetched for s in result.statuses)
                merged += len(result.merged)
            result = None  # only the cache may hold the searches now
            took = time.monotonic() - t0
            cached = len(service._cache)
            now, now_rss = traced(), rss_kib()
            per_record = (now - base2) / held
            print(f"held: {args.searches} searches in {took:.1f} s ({cached} in the cache), {held} partner records "
                  f"-> {merged} merged; traced +{(now - base2) / 1024:.0f} KiB = {per_record / 1024:.1f} KiB per held "
                  f"record ({(now - base2) / merged / 1024:.1f} KiB per merged record); RSS +"
                  f"{(now_rss - base_rss) / 1024:.1f} MiB = {(now_rss - base_rss) / held:.1f} KiB per held record")
            print(f"target <= 10 KiB per held record: {'met' if per_record <= 10 * 1024 else 'MISSED'}")

            wait = args.ttl + max(1.0, min(args.ttl / 4, 30.0)) + 1.5  # ttl + the sweeper's period
            await asyncio.sleep(wait)
            after, after_rss = traced(), rss_kib()
            if snapshot is not None:
                for stat in tracemalloc.take_snapshot().compare_to(snapshot, "lineno")[:args.diff]:
                    print("  ", stat)
            print(f"after expiry ({wait:.1f} s idle, no searches): traced {after / 1024:.0f} KiB = "
                  f"{(after - base) / 1024:+.0f} KiB vs baseline ({len(service._cache)} searches still cached); "
                  f"RSS {after_rss / 1024:.1f} MiB = {(after_rss - base_rss) / 1024:+.1f} MiB vs baseline")
            returned = after - base <= 0.05 * (now - base2) + 256 * 1024
            print(f"memory returned to baseline after expiry: {'yes' if returned else 'NO'}")
        finally:
            await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=12, help="distinct searches held at once")
    parser.add_argument("--ttl", type=float, default=30.0, help="cache_ttl in seconds (longer than the held searches take)")
    parser.add_argument("--diff", type=int, default=0, help="print the N largest allocation differences after expiry")
    _local.partner_options(parser)
    args = parser.parse_args()
    _local.header("memory (bench/memory.py)")
    print(f"{_local.setup(args)}; cache_ttl {args.ttl:g} s")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
