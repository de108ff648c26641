"""A hostile SRU partner on a real loopback socket, for fault-injection tests.

An asyncio server of raw HTTP/1.1 in a background thread; the first path segment picks the
fault, so one server plays many partners (`http://127.0.0.1:<port>/<fault>`):

    ok            a valid SRU 1.2 answer with real MARCXML records (the Koha fixture)
    hang          accepts, reads the request, never answers
    stall         sends the status line and headers, then nothing
    drip          headers, then one byte of the body per second
    http500       HTTP 500 with an HTML error page
    http503       HTTP 503, no Retry-After
    busy          HTTP 503 with Retry-After: 1 and a valid answer in turn (first 503)
    overloaded    HTTP 429 with Retry-After: 120
    reset         headers and half the body, then a TCP reset
    truncated     a complete HTTP answer whose XML stops mid-record
    invalid-marc  well-formed SRU whose MARCXML records are not MARC (no valid tag, bad leader)
    charset       declared UTF-8, body in Latin-1
    huge          a 50 MB body, chunked, streamed as fast as the client reads
    gzip-bomb     about 200 KB of gzip that inflates to 200 MB
    markup        a valid answer whose titles and authors carry HTML markup with a script in an
                  attribute (`MARKUP`): a page must show it as text and run nothing
    xxe           a record with external entities: a local file and an HTTP URL (the canary)
    bomb          the billion-laughs entity expansion
    redirect      302 to the canary (a gateway must not follow it)
    echo-auth     an SRU diagnostic repeating the Authorization header it got, decoded
    flaky         503 (no Retry-After) and a valid answer in turn (first 503)
    switch        `ok` or `http500`, as `server.switch` says

Every request is counted per fault (`server.hits["hang"]`); `/canary` counts requests that
should never come (`server.hits["canary"]` stays 0 when nothing forged a request).

    with HostileServer() as server:
        server.url("hang")      # http://127.0.0.1:<port>/hang
        server.refused_url      # a port where nothing listens (connection refused)
"""

from __future__ import annotations

import asyncio
import base64
import functools
import socket
import struct
import threading
import zlib
from collections import Counter
from pathlib import Path

from lxml import etree

__all__ = ["FAULTS", "MARKUP", "HostileServer", "sru_body"]

KOHA_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "marc" / "koha_misc4dev_biblios_slice.marcxml.xml"
MARC_NS = "http://www.loc.gov/MARC21/slim"
FAULTS = ("ok", "hang", "stall", "drip", "http500", "http503", "reset", "truncated", "invalid-marc", "charset",
          "huge", "gzip-bomb", "markup", "xxe", "bomb", "redirect", "echo-auth", "flaky", "busy", "overloaded", "switch")
HUGE_BYTES = 50 * 1024 * 1024
MARKUP = '<img src="x" onerror="window.__pwned = 1"><b>Hostile</b> '  # sets window.__pwned if run


def _real_records(n: int = 3) -> list[bytes]:
    root = etree.parse(str(KOHA_FIXTURE)).getroot()
    return [etree.tostring(r, encoding="utf-8") for r in root.findall(f"{{{MARC_NS}}}record")[:n]]


def _with_markup(record: bytes) -> bytes:
    """The record with MARKUP before its title (245 $a) and main author (100 $a), as text."""
    root = etree.fromstring(record)
    for tag in ("245", "100"):
        for sub in root.iterfind(f"{{{MARC_NS}}}datafield[@tag='{tag}']/{{{MARC_NS}}}subfield[@code='a']"):
            sub.text = MARKUP + (sub.text or "")
    return etree.tostring(root, encoding="utf-8")


def sru_body(records: list[bytes], *, hits: int | None = None, prolog: bytes = b"",
             diagnostics: bytes = b"") -> bytes:
    """An SRU 1.2 searchRetrieveResponse around MARCXML record payloads."""
    items = b"".join(
        b"<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordPacking>xml</zs:recordPacking>"
        b"<zs:recordData>" + r + b"</zs:recordData><zs:recordPosition>%d</zs:recordPosition></zs:record>" % (i + 1)
        for i, r in enumerate(records))
    return (prolog + b'<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.2</zs:version>'
            b"<zs:numberOfRecords>%d</zs:numberOfRecords>" % (len(records) if hits is None else hits)
            + (b"<zs:records>" + items + b"</zs:records>" if records else b"") + diagnostics
            + b"</zs:searchRetrieveResponse>")


def _response(status: str, body: bytes, *, content_type: bytes = b"text/xml; charset=utf-8",
              extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: " + content_type +
            b"\r\nContent-Length: %d\r\nConnection: close\r\n" % len(body) + extra + b"\r\n" + body)


@functools.cache
def _gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MB; built once per process, on first use."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [squeeze.compress(b"<zs:searchRetrieveResponse xmlns:zs='http://www.loc.gov/zing/srw/'>")]
    block = b" " * (1024 * 1024)
    for _ in range(200):
        out.append(squeeze.compress(block))
    out.append(squeeze.flush())
    return b"".join(out)


class HostileServer:
    """Start with `with HostileServer() as server:`; stops its tasks and thread on exit."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.hits: Counter[str] = Counter()
        self.switch = "ok"
        self.auth_seen: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-partner", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0
        with socket.socket() as sock:  # a port that was free: nothing listens there afterwards
            sock.bind((host, 0))
            self.refused_url = f"http://{host}:{sock.getsockname()[1]}/sru"
        records = _real_records()
        self.ok_body = sru_body(records)
        invalid_marc = sru_body([
            b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>\xc2\xbfgarbage?</leader>'
            b'<controlfield tag="X">1</controlfield><datafield tag="24" ind1="12" ind2="">'
            b'<subfield code="ab">no tag of three</subfield></datafield></record>',
            b'<record xmlns="http://www.loc.gov/MARC21/slim"><datafield><subfield>no tag at all</subfield>'
            b"</datafield></record>",
        ])
        charset = sru_body(records).replace(
            b"<zs:numberOfRecords>", b"<!-- Caf\xe9 cr\xe8me br\xfbl\xe9e --><zs:numberOfRecords>", 1
        ).replace(b"Heylin, Clinton.", b"Heyl\xefn, Cl\xeenton.")
        xxe = sru_body(
            [records[0].replace(b"Heylin, Clinton.", b"&local;&remote;")],
            prolog=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY local SYSTEM "file:///etc/passwd">'
                   b'<!ENTITY remote SYSTEM "http://%s:{port}/canary">]>' % host.encode())
        lol = b'<!ENTITY l0 "lol">' + b"".join(
            b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
        bomb = sru_body([records[0].replace(b"Heylin, Clinton.", b"&l9;")],
                        prolog=b'<?xml version="1.0"?><!DOCTYPE r [' + lol + b"]>")
        # the faults that are one HTTP 200 answer with a body (xxe's gets its canary port on start)
        self.answers = {"ok": self.ok_body, "truncated": self.ok_body[: len(self.ok_body) * 2 // 3],
                        "invalid-marc": invalid_marc, "charset": charset, "xxe": xxe, "bomb": bomb,
                        "markup": sru_body([_with_markup(r) for r in records])}

    def __enter__(self) -> HostileServer:
        _gzip_bomb()  # built now (once per process), not while a search waits for it
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, self.host, 0), self._loop)
        self._server = future.result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        self.answers["xxe"] = self.answers["xxe"].replace(b"{port}", str(self.port).encode())
        return self

    def __exit__(self, *exc_info) -> None:
        async def stop() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def url(self, fault: str) -> str:
        return f"http://{self.host}:{self.port}/{fault}"

    # -- serving --

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            fault = path.split("?")[0].strip("/").split("/")[0] or "ok"
            headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(min(length, 1_000_000))  # a POST form
            self.hits[fault] += 1
            await self._fault(fault, headers, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _fault(self, fault: str, headers: dict[str, str], writer: asyncio.StreamWriter) -> None:
        send = writer.write
        if fault == "flaky":
            fault = "http503" if self.hits["flaky"] % 2 == 1 else "ok"
        if fault == "busy":
            fault = "http503-wait" if self.hits["busy"] % 2 == 1 else "ok"
        if fault == "switch":
            fault = self.switch
        if fault in self.answers:
            send(_response("200 OK", self.answers[fault]))
        elif fault == "hang":
            await asyncio.sleep(3600)
        elif fault == "stall":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(3600)
        elif fault == "drip":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(self.ok_body))
            for byte in self.ok_body:
                send(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(1)
        elif fault == "http500":
            send(_response("500 Internal Server Error", b"<html><body><h1>Database error</h1></body></html>",
                           content_type=b"text/html"))
        elif fault == "http503":
            send(_response("503 Service Unavailable", b"<html><body>Maintenance</body></html>",
                           content_type=b"text/html"))
        elif fault == "http503-wait":
            send(_response("503 Service Unavailable", b"<html><body>Busy, come back in a second</body></html>",
                           content_type=b"text/html", extra=b"Retry-After: 1\r\n"))
        elif fault == "overloaded":
            send(_response("429 Too Many Requests", b"<html><body>Slow down</body></html>",
                           content_type=b"text/html", extra=b"Retry-After: 120\r\n"))
        elif fault == "reset":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(self.ok_body))
            send(self.ok_body[: len(self.ok_body) // 2])
            await writer.drain()
            await asyncio.sleep(0.05)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # close with linger 0: a TCP reset
        elif fault == "huge":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"<x>" + b"y" * (64 * 1024 - 7) + b"</x>"
            framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            send(b"%x\r\n<zs:searchRetrieveResponse>\r\n" % len(b"<zs:searchRetrieveResponse>"))
            for _ in range(HUGE_BYTES // len(chunk)):
                send(framed)
                await writer.drain()
            send(b"0\r\n\r\n")
        elif fault == "gzip-bomb":
            send(_response("200 OK", _gzip_bomb(), extra=b"Content-Encoding: gzip\r\n"))
        elif fault == "redirect":
            send(_response("302 Found", b"", extra=b"Location: http://%s:%d/canary\r\n" % (
                self.host.encode(), self.port)))
        elif fault == "echo-auth":
            auth = headers.get("authorization", "")
            decoded = base64.b64decode(auth.split(" ", 1)[1]).decode() if auth.startswith("Basic ") else auth
            self.auth_seen.append(decoded)
            diag = (b'<zs:diagnostics><diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">'
                    b"<diag:uri>info:srw/diagnostic/1/3</diag:uri><diag:details>login " + decoded.encode() +
                    b" (" + auth.encode() + b") refused</diag:details></diag:diagnostic></zs:diagnostics>")
            send(_response("200 OK", sru_body([], hits=0, diagnostics=diag)))
        elif fault == "canary":
            send(_response("200 OK", b"you should not be here", content_type=b"text/plain"))
        else:
            send(_response("404 Not Found", b"no such fault", content_type=b"text/plain"))
        await writer.drain()
