"""Real catalog servers for the integration tests: Zebra partner libraries, yaz-ztest, latency.

`ZebraCluster` builds (zebraidx) and starts (zebrasrv) one Zebra server per `Catalog`, each on a
free 127.0.0.1 port answering Z39.50 and SRU, each loaded with a different, overlapping subset
of the real records in tests/fixtures/zebra/ (see PROVENANCE.md there) plus synthetic Koha 952
items naming that library (also served as OPAC records with holdings); and a `yaz-ztest` server.
Indexing is Zebra's stock MARC 21 set (no ISBN, no Bib-1 date 30: diagnostic 114), except that
"east" also indexes ISBN/ISSN. Configuration templates live in
tests/zebra/. Every server runs in its own process group under coreutils `timeout` (so even a
killed test run leaves nothing behind for long) and is stopped with a process-group kill.
`stop(name)`/`start(name)` take one partner down and up mid-suite; `delay_proxy()` puts a
loopback TCP proxy that adds latency in front of any server.

Debian packages: idzebra-2.0 (zebraidx, zebrasrv), yaz (yaz-ztest), libyaz5; libyaz-dev only
for the Dublin Core stylesheet (the dc schema is left out without it). Run as a script, this
module is the delay proxy: `python zebra.py proxy LISTEN_PORT TARGET_PORT DELAY MODE`.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "zebra"
CONFIG = TESTS / "zebra"
PQF_PROPERTIES = CONFIG / "pqf.properties"
DC_XSL = Path("/usr/share/yaz/etc/MARC21slim2DC.xsl")
HOST = "127.0.0.1"
MAX_LIFETIME = 900  # seconds any server may live, whatever happens to the test run
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Catalog:
    """One partner library: a name, its library code, which fixture records it holds, and
    indexing rules it adds to Zebra's stock marc21.abs (libraries differ in what they index)."""

    name: str
    library: str
    parts: tuple[tuple[str, int, int], ...]  # (fixture file, first, end) record ranges
    extra_indexing: tuple[str, ...] = ()  # marc21.abs lines, e.g. "melm 020$a ISBN"


# Different, overlapping subsets (indexes into the fixture files, see PROVENANCE.md):
# loc.mrc 0-99 random LoC, 100-107 LoC twins of Koha records, 108-137 Indonesian;
# koha.mrc 0-39 Koha, 40-43 Koha twins of LoC records 100-107; marc8.mrc 3 MARC-8 records.
CATALOGS: tuple[Catalog, ...] = (
    Catalog("north", "NORTH", (("loc.mrc", 0, 70), ("loc.mrc", 100, 138), ("koha.mrc", 0, 25),
                               ("marc8.mrc", 0, 3))),
    Catalog("south", "SOUTH", (("loc.mrc", 40, 108), ("koha.mrc", 10, 44))),
    Catalog("east", "EAST", (("loc.mrc", 0, 20), ("loc.mrc", 60, 80), ("loc.mrc", 100, 108),
                             ("koha.mrc", 0, 12), ("koha.mrc", 40, 44), ("marc8.mrc", 0, 1)),
            extra_indexing=("melm 020$a ISBN", "melm 022$a ISSN")),  # east can search ISBN/ISSN
)
STOCK_MARC21_ABS = Path("/usr/share/idzebra-2.0/tab/marc21.abs")


# --- ISO 2709 ------------------------------------------------------------------------------------


def read_iso2709(path: Path) -> list[bytes]:
    """The records of a file of ISO 2709 records, as bytes (record terminator included)."""
    data = path.read_bytes()
    return [chunk + b"\x1d" for chunk in data.split(b"\x1d") if len(chunk.strip()) > 24]


def add_field(record: bytes, tag: str, indicators: str, subfields: list[tuple[str, str]]) -> bytes:
    """`record` with one data field appended, every other byte kept (MARC-8 records stay MARC-8)."""
    base = int(record[12:17])
    directory = record[24:base - 1]  # without the field terminator
    body = record[base:-1]  # without the record terminator
    data = indicators.encode("ascii") + b"".join(
        b"\x1f" + code.encode("ascii") + value.encode("ascii") for code, value in subfields) + b"\x1e"
    directory += f"{tag}{len(data):04d}{len(body):05d}".encode("ascii")
    body += data
    new_base = 24 + len(directory) + 1
    length = new_base + len(body) + 1
    leader = f"{length:05d}".encode() + record[5:12] + f"{new_base:05d}".encode() + record[17:24]
    return leader + directory + b"\x1e" + body + b"\x1d"


def _subfield(record: bytes, tag: str, codes: str) -> str | None:
    """First occurrence of `tag`, subfields `codes` joined (ASCII only; enough for call numbers)."""
    base = int(record[12:17])
    directory = record[24:base - 1]
    for i in range(0, len(directory) - 11, 12):
        if directory[i:i + 3].decode("ascii", "replace") != tag:
            continue
        length, start = int(directory[i + 3:i + 7]), int(directory[i + 7:i + 12])
        field_data = record[base + start:base + start + length - 1]
        parts = [p[1:].decode("ascii", "replace").strip() for p in field_data.split(b"\x1f")[1:]
                 if p[:1].decode("ascii", "replace") in codes]
        return " ".join(p for p in parts if p) or None
    return None


def with_holdings(record: bytes, library: str, serial: int) -> bytes:
    """`record` with one synthetic Koha 952 item of `library`: every 5th on loan, every 7th
    not for loan, the rest available."""
    call_number = _subfield(record, "050", "ab") or _subfield(record, "090", "ab") or f"TEST {serial:04d}"
    subfields = [("a", library), ("b", library), ("c", "GEN"), ("o", call_number),
                 ("p", f"{library}{serial:06d}"), ("y", "BK")]
    if serial % 5 == 0:
        subfields.append(("q", "2031-01-15"))
    elif serial % 7 == 0:
        subfields.append(("7", "1"))
    return add_field(record, "952", "  ", subfields)


def catalog_records(catalog: Catalog) -> list[bytes]:
    """The records a catalog serves, with its holdings added."""
    cache: dict[str, list[bytes]] = {}
    out: list[bytes] = []
    for file, first, end in catalog.parts:
        records = cache.setdefault(file, read_iso2709(FIXTURES / file))
        out.extend(records[first:end])
    return [with_holdings(rec, catalog.library, i + 1) for i, rec in enumerate(out)]


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Server:
    """One server process on a loopback port."""

    name: str
    kind: str  # "zebra" | "ztest" | "proxy"
    port: int
    argv: list[str]
    workdir: Path
    log: Path
    records: list[bytes] = field(default_factory=list)  # what a Zebra server was loaded with
    library: str | None = None
    proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        """`host:port`, the Z39.50 endpoint."""
        return f"{HOST}:{self.port}"

    @property
    def sru_url(self) -> str:
        return f"http://{HOST}:{self.port}/Default"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["timeout", "--kill-after=5", str(MAX_LIFETIME), *self.argv],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not _port_open(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} {self.name} exited with {self.proc.returncode}:\n"
                                   f"{_log_tail(self.log)}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.kind} {self.name} did not listen on {self.address} "
                                   f"within {START_TIMEOUT} s:\n{_log_tail(self.log)}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server's process group (the server and any session children it forked)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + 3.0
        while _port_open(self.port) and time.monotonic() < deadline:  # forked session children
            time.sleep(0.02)


def _module_path() -> str:
    found = sorted(glob.glob("/usr/lib/*/idzebra-2.0/modules")) + sorted(glob.glob("/usr/lib/idzebra-2.0/modules"))
    return f"modulePath: {found[0]}" if found else ""


class ZebraCluster:
    """The test partner libraries (Zebra), yaz-ztest and latency proxies, under one work dir."""

    def __init__(self, workdir: Path, catalogs: tuple[Catalog, ...] = CATALOGS):
        for tool in ("zebraidx", "zebrasrv", "yaz-ztest", "timeout"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not found: install the Debian packages idzebra-2.0 and yaz")
        self.workdir = Path(workdir)
        self.catalogs = catalogs
        self.servers: dict[str, Server] = {}

    # -- building --

    def _build_zebra(self, catalog: Catalog) -> Server:
        home = self.workdir / catalog.name
        (home / "register").mkdir(parents=True, exist_ok=True)
        (home / "tmp").mkdir(exist_ok=True)
        (home / "profile").mkdir(exist_ok=True)
        if catalog.extra_indexing:  # the stock rules plus this library's own, found first on profilePath
            stock = STOCK_MARC21_ABS.read_text()
            (home / "profile" / "marc21.abs").write_text(stock.rstrip("\n") + "\n" + "\n".join(catalog.extra_indexing) + "\n")
        port = free_port()
        values = {
            "name": catalog.name, "port": port, "directory": str(home),
            "config_dir": f"{home / 'profile'}:{CONFIG}",
            "register": str(home / "register"), "tmp": str(home / "tmp"), "module_path": _module_path(),
            "pqf_properties": str(PQF_PROPERTIES), "opac_xsl": str(CONFIG / "marc21-to-opac.xsl"),
            "dc_xsl": str(DC_XSL),
        }
        (home / "zebra.cfg").write_text(Template((CONFIG / "zebra.cfg.in").read_text()).substitute(values))
        gfs = Template((CONFIG / "yazgfs.xml.in").read_text()).substitute(values)
        if not DC_XSL.exists():
            start = gfs.index('<retrieval syntax="xml" name="dc"')
            gfs = gfs[:start] + gfs[gfs.index("</retrieval>", start) + len("</retrieval>"):]
        (home / "yazgfs.xml").write_text(gfs)
        records = catalog_records(catalog)
        (home / "records.mrc").write_bytes(b"".join(records))
        log = home / "zebraidx.log"
        for args in (["init"], ["update", "records.mrc"]):
            with log.open("ab") as out:
                done = subprocess.run(["zebraidx", "-c", "zebra.cfg", *args], cwd=home, stdout=out,
                                      stderr=out, timeout=60, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"zebraidx {' '.join(args)} for {catalog.name} failed:\n{_log_tail(log)}")
        return Server(catalog.name, "zebra", port, ["zebrasrv", "-f", "yazgfs.xml", "-l", "zebrasrv.log"],
                      home, home / "zebrasrv.log", records=records, library=catalog.library)

    def _build_ztest(self) -> Server:
        home = self.workdir / "ztest"
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        config = Template((CONFIG / "ztest.xml.in").read_text()).substitute(
            port=port, pqf_properties=str(PQF_PROPERTIES))
        (home / "ztest.xml").write_text(config)
        return Server("ztest", "ztest", port, ["yaz-ztest", "-f", "ztest.xml", "-l", "yaz-ztest.log"],
                      home, home / "yaz-ztest.log")

    # -- life cycle --

    def start_all(self) -> ZebraCluster:
        try:
            for catalog in self.catalogs:
                server = self._build_zebra(catalog)
                self.servers[server.name] = server
                server.start()
            self.servers["ztest"] = ztest = self._build_ztest()
            ztest.start()
        except BaseException:
            self.close()
            raise
        return self

    def __getitem__(self, name: str) -> Server:
        return self.servers[name]

    @property
    def zebras(self) -> list[Server]:
        return [s for s in self.servers.values() if s.kind == "zebra"]

    @property
    def ztest(self) -> Server:
        return self.servers["ztest"]

    def stop(self, name: str) -> None:
        """Take one server down (its port then refuses connections)."""
        self.servers[name].stop()

    def start(self, name: str) -> None:
        """Bring a stopped server back on the same port with the same data."""
        self.servers[name].start()

    def delay_proxy(self, target: str, delay: float, *, per: str = "roundtrip", name: str | None = None) -> Server:
        """A loopback TCP proxy in front of server `target` adding `delay` seconds to every
        response (per="roundtrip": each answer after a request; per="connection": only the first)."""
        if per not in ("roundtrip", "connection"):
            raise ValueError("per must be 'roundtrip' or 'connection'")
        name = name or f"{target}-slow-{delay:g}"
        if name in self.servers:
            return self.servers[name]
        home = self.workdir / name
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        proxy = Server(name, "proxy", port,
                       [sys.executable, str(Path(__file__).resolve()), "proxy", str(port),
                        str(self.servers[target].port), str(delay), per],
                       home, home / "proxy.log", records=self.servers[target].records,
                       library=self.servers[target].library)
        self.servers[name] = proxy
        proxy.start()
        return proxy

    def close(self) -> None:
        for server in list(self.servers.values()):
            server.stop()

    def __enter__(self) -> ZebraCluster:
        return self.start_all()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- the delay proxy (runs as its own process, so tests see no extra threads or fds) -------------


def _run_proxy(listen_port: int, target_port: int, delay: float, per: str) -> None:
    import asyncio

    async def pipe(reader, writer, pending: list[bool] | None, mark: list[bool] | None) -> None:
        try:
            while data := await reader.read(65536):
                if mark is not None:
                    mark[0] = True
                if pending is not None and pending[0]:
                    await asyncio.sleep(delay)
                    pending[0] = False
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(HOST, target_port)
        except OSError:
            client_writer.close()
            return
        request_seen = [False]
        await asyncio.gather(
            pipe(client_reader, server_writer, None, request_seen if per == "roundtrip" else None),
            pipe(server_reader, client_writer, request_seen if per == "roundtrip" else [True], None))

    async def main() -> None:
        server = await asyncio.start_server(handle, HOST, listen_port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "proxy":
    _run_proxy(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
