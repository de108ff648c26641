"""Shared set-up of the performance benchmarks (bench/overhead.py, throughput.py, first_result.py,
memory.py): local SRU partners on 127.0.0.1 and a real gateway process.

Partners. One process serves every partner, each on its own port. A partner answers every
searchRetrieve with response bytes built before the benchmark starts (real MARC records of the
bundled demo pools, with the DEMO 852 holdings, as MARCXML over SRU 1.2), after a fixed delay,
so its own time is known exactly: it is measured at the partner, from the moment the whole
request was read to the moment the whole response was handed to the kernel, and kept in a log
that the benchmark reads at the end (GET /_log). The partners hold overlapping subsets of the
pools (the demo catalogs' hash selection with one salt per partner), so the gateway merges
copies of the same book from several partners, as it does in real use. Each partner has several
response variants (the first `records` hits of different words); a search's query carries a
marker "zq<N>" that picks variant N mod the number of variants, and ties the partner's log
lines to the search.

Gateway. `Gateway` runs `federator serve` (uvicorn, real HTTP) as a child process over a
configuration that lists the partners, and reads its CPU time (the whole process tree, so
`--workers N` counts every worker) from /proc.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# Words with at least 50 hits in every benchmark partner: one response variant each.
VARIANT_WORDS = ("indonesia", "jakarta", "history", "penelitian", "laporan", "departemen", "pendidikan", "london")
MARKER_RE = re.compile(rb"zq(\d+)")

SRU_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
            b"<zs:version>1.2</zs:version><zs:numberOfRecords>%d</zs:numberOfRecords><zs:records>")
SRU_RECORD = (b"<zs:record><zs:recordSchema>info:srw/schema/1/marcxml-v1.1</zs:recordSchema>"
              b"<zs:recordPacking>xml</zs:recordPacking><zs:recordData>%s</zs:recordData>"
              b"<zs:recordPosition>%d</zs:recordPosition></zs:record>")
SRU_TAIL = b"</zs:records></zs:searchRetrieveResponse>"


def sru_response(payloads: Sequence[bytes], hits: int | None = None) -> bytes:
    """An SRU 1.2 searchRetrieveResponse body around MARCXML record payloads (also the
    normaliser tests' and bench/normalise.py's input, through tests/support/normalised.py)."""
    body = [SRU_HEAD % (len(payloads) if hits is None else hits)]
    body += [SRU_RECORD % (data, n) for n, data in enumerate(payloads, 1)]
    body.append(SRU_TAIL)
    return b"".join(body)


# --- the machine ----------------------------------------------------------------------------------

def machine() -> str:
    """One line: cores, CPU model, Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()} ({platform.machine()})"


# --- statistics -------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> str:
    """median [min-max] of values, in the values' unit."""
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"


# --- partner responses ------------------------------------------------------------------------------

def build_responses(partners: int, records: int, variants: int = len(VARIANT_WORDS)) -> list[list[bytes]]:
    """responses[partner][variant]: a searchRetrieveResponse with `records` MARCXML records."""
    from federator.config import DemoCatalog as DemoSettings
    from federator.config import Partner
    from federator.demo.catalog import DemoCatalog
    from federator.query.model import Clause

    out: list[list[bytes]] = []
    for i in range(partners):
        partner = Partner(id=f"bench{i}", name=f"Bench library {i}", endpoint="-", demo=DemoSettings(
            records=["loc.mrc", "koha.mrc"], share=0.5, salt=f"bench-{i}", holdings_seed=i,
            library_code=f"BL{i}", locations=["Koleksi Umum", "Ruang Referensi"]))
        catalog = DemoCatalog(partner).load()
        per_variant = []
        for word in VARIANT_WORDS[:variants]:
            found = catalog.search(Clause("any", "=", word))
            if len(found) < records:
                raise RuntimeError(f"partner {i}: only {len(found)} hits for {word!r}")
            per_variant.append(sru_response([catalog.serialised(pos, "marcxml") for pos in found[:records]],
                                            hits=len(found)))
        out.append(per_variant)
    return out


# --- the partner process ------------------------------------------------------------------------

class _PartnerProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET only: the pre-built response after a fixed delay."""

    def __init__(self, server: _PartnerServer, index: int):
        self.server, self.index = server, index
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.server.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            received = time.perf_counter_ns()
            self.server.request(self, head, received)

    def connection_lost(self, exc) -> None:
        self.transport = None


class _PartnerServer:
    def __init__(self, responses: list[list[bytes]], delays_ms: list[float]):
        self.responses, self.delays = responses, [d / 1000 for d in delays_ms]
        self.log: list[tuple[int, int, int, int]] = []  # (marker, partner, received ns, sent ns)
        self.connections = 0  # TCP connections accepted since the last log read
        self.loop = asyncio.get_event_loop()

    def request(self, proto: _PartnerProtocol, head: bytes, received: int) -> None:
        line = head.split(b"\r\n", 1)[0]
        if b" /_log" in line:
            body = json.dumps({"log": self.log, "connections": self.connections - 1}).encode()
            self.log, self.connections = [], 1  # this connection is the reader's
            self._send(proto, body, b"application/json")
            return
        found = MARKER_RE.search(line)
        marker = int(found.group(1)) if found else -1
        variants = self.responses[proto.index]
        body = variants[max(marker, 0) % len(variants)]
        delay = self.delays[proto.index] - (time.perf_counter_ns() - received) / 1e9

        def answer() -> None:
            self._send(proto, body, b"text/xml; charset=utf-8")
            self.log.append((marker, proto.index, received, time.perf_counter_ns()))

        self.loop.call_at(self.loop.time() + max(0.0, delay), answer)

    @staticmethod
    def _send(proto: _PartnerProtocol, body: bytes, kind: bytes) -> None:
        if proto.transport is None:
            return
        proto.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                              b"Connection: keep-alive\r\n\r\n%s" % (kind, len(body), body))


def _serve_partners(responses, delays_ms, sockets, ready) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = _PartnerServer(responses, delays_ms)

    async def main() -> None:
        for i, sock in enumerate(sockets):
            await loop.create_server(lambda i=i: _PartnerProtocol(server, i), sock=sock)
        ready.set()
        await asyncio.Event().wait()

    loop.run_until_complete(main())


@dataclass
class Partners:
    """The partner process: ports, per-partner delays, and its log of partner times."""

    delays_ms: list[float]
    records: int
    ports: list[int] = field(default_factory=list)
    process: multiprocessing.Process | None = None
    connections: int = 0  # connections accepted between the last two take_log() calls

    def start(self, variants: int = len(VARIANT_WORDS)) -> Partners:
        responses = build_responses(len(self.delays_ms), self.records, variants)
        sockets = []
        for _ in self.delays_ms:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(512)
            sockets.append(sock)
        self.ports = [s.getsockname()[1] for s in sockets]
        ctx = multiprocessing.get_context("fork")
        ready = ctx.Event()
        self.process = ctx.Process(target=_serve_partners, args=(responses, self.delays_ms, sockets, ready),
                                   daemon=True, name="bench-partners")
        self.process.start()
        for s in sockets:
            s.close()
        if not ready.wait(30):
            raise RuntimeError("partners did not start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join(5)

    def __enter__(self) -> Partners:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def take_log(self) -> list[tuple[int, int, int, int]]:
        """(marker, partner index, received ns, sent ns) of every request since the last call;
        `self.connections` is then the number of connections the partners accepted meanwhile."""
        with socket.create_connection(("127.0.0.1", self.ports[0])) as sock:
            sock.sendall(b"GET /_log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(1 << 16):
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep and len(body) >= int(re.search(rb"Content-Length: (\d+)", head).group(1)):
                    answer = json.loads(body)
                    self.connections = answer["connections"]
                    return [tuple(x) for x in answer["log"]]
        raise RuntimeError("no partner log")

    def config(self, *, cache_ttl: float = 300.0, deadline: float = 10.0, record_cache: int | None = None) -> dict:
        """A gateway configuration listing these partners (`record_cache`: search.record_cache_size,
        None for the default)."""
        return {
            "title": "benchmark",
            "networks": [{"id": "bench", "name": "Benchmark network"}],
            "partners": [{
                "id": f"bench{i}", "name": f"Bench library {i}", "networks": ["bench"], "protocol": "sru",
                "endpoint": f"http://127.0.0.1:{port}/sru", "sru_version": "1.2", "record_schema": "marcxml",
                "max_records": self.records, "page_size": self.records, "timeout": 8,
            } for i, port in enumerate(self.ports)],
            "search": {"deadline": deadline, "cache_ttl": cache_ttl, "max_page_size": 100,
                       **({} if record_cache is None else {"record_cache_size": record_cache})},
        }


def own_times_ms(log: list[tuple[int, int, int, int]]) -> dict[int, list[float]]:
    """marker -> every partner's own time (ms) in that search."""
    out: dict[int, list[float]] = {}
    for marker, _, received, sent in log:
        out.setdefault(marker, []).append((sent - received) / 1e6)
    return out


# --- the gateway process -----------------------------------------------------------------------

def _ticks(pid: int) -> int:
    """utime + stime (clock ticks) of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants, in seconds."""
    return sum(_ticks(p) for p in _descendants(pid)) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants, KiB."""
    total = 0
    for p in _descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Gateway:
    """`federator serve` over a configuration, as a child process on a free port."""

    def __init__(self, config: dict, *, workers: int = 1, extra_env: dict | None = None):
        self.config, self.workers, self.extra_env = config, workers, extra_env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="federator-bench-")

    def __enter__(self) -> Gateway:
        import yaml

        path = Path(self._dir.name) / "federator.yaml"
        path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, **self.extra_env}
        env.pop("FEDERATOR_GATEWAY_URL", None)
        self.process = subprocess.Popen(
            [str(VENV_BIN / "federator"), "serve", "--config", str(path), "--port", str(self.port),
             "--workers", str(self.workers), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(Path(self._dir.name) / "stderr.txt", "wb"))
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = http_get(self.port, "/partners")
                if status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway did not start: "
                                   + (Path(self._dir.name) / "stderr.txt").read_text()[-2000:])
            time.sleep(0.1)
        if self.workers > 1:  # every worker must be up before timing starts
            time.sleep(2.0)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._dir.cleanup()

    def cpu(self) -> float:
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    def rss_kib(self) -> int:
        assert self.process is not None
        return rss_kib(self.process.pid)


# --- a small HTTP client (its own cost stays far below the gateway's) ---------------------------

def http_get(port: int, path: str, conn=None) -> tuple[int, bytes]:
    import http.client

    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def search_path(marker: int, *, word: str | None = None, page_size: int = 20, stream: bool = False) -> str:
    """A /search path whose query is distinct per marker (so the cache never answers) and picks
    the partners' response variant `marker`."""
    word = word or VARIANT_WORDS[marker % len(VARIANT_WORDS)]
    q = urllib.parse.quote(f"{word} zq{marker}")
    return f"/search{'/stream' if stream else ''}?q={q}&page_size={page_size}"


def delays_ms(partners: int) -> list[float]:
    """Partner i answers after 20 + 5*i ms: the fastest after 20 ms, ten partners over 65 ms."""
    return [20 + 5 * i for i in range(partners)]


def partner_options(parser) -> None:
    """--partners, --records and --record-cache: what every benchmark's partners and gateway are."""
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--records", type=int, default=50, help="records per partner answer")
    parser.add_argument("--record-cache", type=int, default=None,
                        help="search.record_cache_size for the gateway (0: every record is normalised, as for "
                             "records never seen before; default: the setting's default). The partners repeat "
                             f"{len(VARIANT_WORDS)} answers, so with the cache on every record after warm-up is a hit")


def setup(args, delays: list[float] | None = None) -> str:
    """One line saying what the benchmark's partners and gateway are."""
    text = f"{args.partners} partners x {args.records} MARCXML records"
    if delays:
        text += f", delays {delays[0]:g}-{delays[-1]:g} ms"
    return text + f"; record cache {'default' if args.record_cache is None else args.record_cache}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
