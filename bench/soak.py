"""Soak test: thousands of searches with faulty partners mixed in; memory must stay flat.

Loopback only, three kinds of process so that only the gateway is measured:
- this process runs the gateway (uvicorn in a thread, real HTTP) and takes the measurements;
- child processes serve the partners: the bundled demo catalogs' SRU servers (healthy
  partners) and the hostile SRU partner of tests/support/hostile.py, which hangs, stalls,
  drips, resets, answers 5xx, truncated or wrong-charset XML, invalid MARC, 50 MB bodies, gzip
  and entity bombs, XXE, or refuses the connection;
- a child process sends the searches over real HTTP from `--concurrency` clients; each search
  asks one or two healthy partners and two random faulty ones, with a query no earlier search
  used, so the gateway really asks the partners (its result cache fills up to its bound, as in
  production).

Memory is measured after a warm-up (caches and pools filled), after each quarter of the soak
and at the end: resident set size from /proc, the Python heap from tracemalloc (with the lines
that grew most), open file descriptors and the gateway's pooled partner connections (none may
stay active). Bounded in time: the defaults take about eight minutes on a 2-core machine
(`--searches 1000 --no-tracemalloc` about three).

    .venv/bin/python bench/soak.py                       # 2000 searches after 300 warm-up ones
    .venv/bin/python bench/soak.py --searches 1000 --no-tracemalloc
    .venv/bin/python bench/soak.py --breaker             # breaker on: faulty partners get suspended

The circuit breaker is off by default so that every search really meets its faults. Exit
status 0 when every search was answered (HTTP 200) and the gateway is still healthy.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from federator.api.app import create_app  # noqa: E402
from federator.config import BreakerSettings, Partner, ResilienceSettings, load_settings  # noqa: E402
from tests.support.hostile import HostileServer  # noqa: E402
from tests.support.servers import serve_app  # noqa: E402

FAULTS = ["hang", "stall", "drip", "http500", "http503", "reset", "truncated", "invalid-marc", "charset", "huge",
          "gzip-bomb", "xxe", "bomb", "refused"]
WORDS = ["sejarah", "indonesia", "history", "islam", "perl", "music", "law", "language", "war", "art", "guide",
         "journal", "hukum", "pendidikan", "ekonomi", "science", "the", "social", "politics", "culture"]


# --- child processes ---------------------------------------------------------------------------


class Child:
    """A spawned child process that sends back what `target(pipe)` sends, then waits for
    commands; leaving the block tells it to stop."""

    def __init__(self, target):
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(child,), daemon=True)

    def __enter__(self) -> Child:
        self.process.start()
        self.info = self.pipe.recv()
        return self

    def ask(self, *command):
        self.pipe.send(command)
        return self.pipe.recv()

    def __exit__(self, *exc_info) -> None:
        self.pipe.send(("stop",))
        self.process.join(15)
        if self.process.is_alive():
            self.process.terminate()


def serve_hostile(pipe) -> None:
    with HostileServer() as server:
        pipe.send({"url": f"http://127.0.0.1:{server.port}", "refused_url": server.refused_url})
        pipe.recv()


def serve_demo(pipe) -> None:
    from federator.demo.sru_app import create_demo_app, demo_catalog

    demo = [p for p in load_settings().partners if p.demo is not None]
    for partner in demo:
        demo_catalog(partner).load()
    # log_level critical: the gateway cutting a partner off mid-request is normal here
    with serve_app(create_demo_app(demo, preload=False), log_level="critical") as url:
        pipe.send({"url": url})
        pipe.recv()


def send_load(pipe) -> None:
    pipe.send({})
    rnd = random.Random()
    n = 0
    while True:
        command = pipe.recv()
        if command[0] == "stop":
            return
        _, base_url, demo_ids, count, concurrency, deadline, seed = command
        rnd.seed(seed)
        searches = []
        for _ in range(count):
            n += 1
            healthy = rnd.sample(demo_ids, rnd.randint(1, 2))
            faulty = [f"hostile-{f}" for f in rnd.sample(FAULTS, 2)]
            searches.append({"q": rnd.choice(WORDS), "year_from": str(1000 + n % 1000),
                             "partners": ",".join(healthy + faulty), "page_size": "20"})
        pipe.send(asyncio.run(_send(base_url, searches, concurrency, deadline)))


async def _send(base_url: str, searches: list[dict], concurrency: int, deadline: float) -> dict:
    result = {"http": Counter(), "statuses": Counter(), "latencies": [], "late": []}
    queue = list(reversed(searches))
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def worker() -> None:
            while queue:
                params = queue.pop()
                started = time.perf_counter()
                response = await client.get("/search", params=params)
                elapsed = time.perf_counter() - started
                result["http"][response.status_code] += 1
                result["latencies"].append(elapsed)
                if response.status_code != 200:
                    continue
                body = response.json()
                for p in body["partners"]:
                    result["statuses"][p["status"]] += 1
                if elapsed > deadline + 0.1:
                    result["late"].append((round(elapsed, 3), body["search_ms"],
                                           [(p["id"], p["elapsed_ms"]) for p in body["partners"]]))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


# --- the gateway ---------------------------------------------------------------------------------


def gateway_settings(demo_url: str, hostile: dict, deadline: float, breaker: bool):
    base = load_settings()
    # the demo catalogs as remote partners (served by a child process, not mounted here)
    healthy = [p.model_copy(update={"endpoint": f"{demo_url}/{p.id}/sru", "demo": None}) for p in base.partners]
    faulty = [Partner(id=f"hostile-{f}", name=f"Hostile ({f})", timeout=30,
                      endpoint=hostile["refused_url"] if f == "refused" else f"{hostile['url']}/{f}")
              for f in FAULTS]
    search = base.search.model_copy(update={"deadline": deadline})
    resilience = ResilienceSettings(breaker=BreakerSettings(enabled=breaker))
    return base.model_copy(update={"partners": [*healthy, *faulty], "search": search, "resilience": resilience})


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(label: str, trace: bool, snapshot: bool = False) -> dict:
    gc.collect()
    return {"label": label, "rss_kib": rss_kib(), "fds": len(os.listdir("/proc/self/fd")),
            "heap": tracemalloc.get_traced_memory()[0] if trace else None,
            "snapshot": tracemalloc.take_snapshot() if trace and snapshot else None}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=2000, help="measured searches (default 2000)")
    parser.add_argument("--warmup", type=int, default=300, help="searches before the first measurement (300)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--deadline", type=float, default=1.0, help="search deadline in seconds (default 1)")
    parser.add_argument("--breaker", action="store_true", help="leave the circuit breaker on")
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false", help="skip the Python heap trace")
    parser.add_argument("--verbose", action="store_true", help="list the searches answered late")
    args = parser.parse_args(argv)
    quarter = max(1, args.searches // 4)

    demo_ids = [p.id for p in load_settings().partners]
    with Child(serve_hostile) as hostile, Child(serve_demo) as demo, Child(send_load) as load:
        settings = gateway_settings(demo.info["url"], hostile.info, args.deadline, args.breaker)
        if args.trace:
            tracemalloc.start(1)
        apps = []
        with serve_app(factory=lambda url: apps.append(create_app(settings, gateway_url=url)) or apps[0]) as url:
            def run(count: int, seed: int) -> dict:
                return load.ask("run", url, demo_ids, count, args.concurrency, args.deadline, seed)

            started = time.perf_counter()
            run(args.warmup, 0)
            points = [measure("after warm-up", args.trace, snapshot=True)]
            totals = {"http": Counter(), "statuses": Counter(), "latencies": [], "late": []}
            soak_started = time.perf_counter()
            for i in range(1, 5):  # four quarters: memory after each shows whether it levels off
                part = run(quarter, i)
                for key in ("http", "statuses"):
                    totals[key].update(part[key])
                totals["latencies"] += part["latencies"]
                totals["late"] += part["late"]
                points.append(measure(f"after {i * 25}%", args.trace, snapshot=i == 4))
            soak_time = time.perf_counter() - soak_started
            health = httpx.get(f"{url}/health", timeout=10).status_code
            pool = Counter(f"{c._origin.port} {'active' if not c.is_idle() and not c.is_closed() else 'idle'}"  # noqa: SLF001
                           for c in apps[0].state.service.http._transport._pool.connections)  # noqa: SLF001
        total_time = time.perf_counter() - started

    searches = quarter * 4
    lat = totals["latencies"]
    print(f"soak: {searches} searches (+{args.warmup} warm-up), {args.concurrency} concurrent clients, deadline "
          f"{args.deadline:g} s, breaker {'on' if args.breaker else 'off'}, {len(FAULTS)} faulty + "
          f"{len(demo_ids)} healthy partners (2 faulty and 1-2 healthy per search)")
    print(f"time: {soak_time:.0f} s measured ({searches / soak_time:.1f} searches/s), {total_time:.0f} s in all")
    print(f"HTTP answers: {dict(totals['http'])}; partner statuses: {dict(totals['statuses'])}")
    print(f"latency: p50 {percentile(lat, .5) * 1000:.0f} ms, p95 {percentile(lat, .95) * 1000:.0f} ms, "
          f"p99 {percentile(lat, .99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms; "
          f"answered after deadline + 100 ms: {len(totals['late'])} of {searches}")
    if args.verbose:
        for late in totals["late"]:
            print("  late:", late)
    print(f"gateway after the soak: /health {health}")
    print(f"pooled partner connections at the end: {dict(pool) or 'none'} "
          f"(hostile partner {hostile.info['url']}, demo partners {demo.info['url']})")
    print(f"{'':16}{'RSS MiB':>9}{'heap MiB':>10}{'fds':>6}")
    for m in points:
        heap = f"{m['heap'] / 2**20:10.1f}" if m["heap"] is not None else f"{'-':>10}"
        print(f"{m['label']:16}{m['rss_kib'] / 1024:9.1f}{heap}{m['fds']:6d}")
    first, last = points[0], points[-1]
    print(f"growth over {searches} searches: RSS {(last['rss_kib'] - first['rss_kib']) / 1024:+.1f} MiB"
          + (f", Python heap {(last['heap'] - first['heap']) / 2**20:+.2f} MiB "
             f"({(last['heap'] - first['heap']) / searches:+.0f} bytes per search)" if args.trace else ""))
    if args.trace:
        print("tracemalloc: lines that grew most between warm-up and end")
        for stat in last["snapshot"].compare_to(first["snapshot"], "lineno")[:10]:
            frame = stat.traceback[0]
            print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  "
                  f"{os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(str(ROOT)) else frame.filename}"
                  f":{frame.lineno}")
    leaked = sum(n for key, n in pool.items() if key.endswith("active"))
    return 0 if health == 200 and totals["http"].get(200, 0) == searches and not leaked else 1


if __name__ == "__main__":
    sys.exit(main())
