"""Z39.50 client: a ctypes binding of YAZ's ZOOM C API (Debian `libyaz5`, no compiler needed).

Threading model: ZOOM's asynchronous mode, driven by the running asyncio event loop. Every
ZoomConnection sets ZOOM's `async` option, queues its work (connect, search, present) and then
waits for its socket with `loop.add_reader`/`add_writer` (fd and mask asked from ZOOM before each
wait, removed from the loop before the event is fired into ZOOM, because firing may close or
replace the socket) and a `loop.call_later` timer that fires ZOOM's timeout event. We chose this
over a thread pool because:
- nothing blocks: one loop thread drives any number of partners, so there is no pool to size
  (the default executor has 6 threads on 2 cores; measured in FIELD-NOTES, 20 searches against a
  0.2 s server take 0.22 s this way, as fast as a 20-thread pool);
- a search can really be cancelled: a deadline that cancels the awaiting task leaves no blocked
  worker thread behind, and `close()` frees the socket at once, whereas a blocking ZOOM call in a
  thread runs until ZOOM's own timeout whatever asyncio does;
- no threads means no thread to leak and no ZOOM object that could be shared between threads.
The C work done in the loop (BER decoding, MARC to XML) is microseconds per record.
Blocking ZOOM calls (ZOOM_resultset_record, ZOOM_resultset_records with an array, ZOOM_event)
are never used; a connection refuses to be used from another thread than the one that made it.

Error codes: ZOOM's own (diagset "ZOOM": 10000 connect failed, 10004 connection lost, 10005
init rejected, 10007 timeout, 10010 bad PQF, ...) and the server's diagnostics (diagset "Bib-1"
and others, with addinfo, e.g. 114 "unsupported use attribute" with the attribute) become
subclasses of ZoomError.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import math
import threading
from collections.abc import Mapping
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p
from dataclasses import dataclass

__all__ = [
    "ZoomConnectError",
    "ZoomConnection",
    "ZoomDiagnostic",
    "ZoomError",
    "ZoomInitError",
    "ZoomQueryError",
    "ZoomRecord",
    "ZoomResultSet",
    "ZoomTimeoutError",
    "ZoomUnavailable",
    "libyaz",
]

ZOOM_SELECT_READ = 1
ZOOM_SELECT_WRITE = 2

ERROR_CONNECT = 10000
ERROR_CONNECTION_LOST = 10004
ERROR_INIT = 10005
ERROR_TIMEOUT = 10007
_QUERY_ERRORS = frozenset({10009, 10010, 10011, 10012, 10013, 10014})


class ZoomError(Exception):
    """A ZOOM error or server diagnostic: `code` in `diagset` ("ZOOM", "Bib-1", ...), `addinfo`."""

    def __init__(self, code: int, message: str, addinfo: str | None = None, diagset: str | None = None):
        self.code = code
        self.message = message
        self.addinfo = addinfo or None
        self.diagset = diagset or None
        text = f"{message} ({diagset or 'ZOOM'} {code})"
        super().__init__(f"{text}: {self.addinfo}" if self.addinfo else text)


class ZoomUnavailable(ZoomError):
    """libyaz.so.5 cannot be loaded (Debian package libyaz5 missing)."""


class ZoomConnectError(ZoomError):
    """Connect failed or the connection was lost (10000, 10004)."""


class ZoomInitError(ZoomError):
    """The server rejected the Z39.50 init (10005), e.g. wrong user/password."""


class ZoomTimeoutError(ZoomError):
    """No answer within the `timeout` option (10007)."""


class ZoomQueryError(ZoomError):
    """The query could not be encoded (bad PQF 10010, ...): a bug on our side, not the partner's."""


class ZoomDiagnostic(ZoomError):
    """A diagnostic the server sent (diagset Bib-1 or another), e.g. 114 unsupported use attribute."""


def _error_for(code: int, message: str, addinfo: str | None, diagset: str | None) -> ZoomError:
    if diagset and diagset != "ZOOM":
        cls: type[ZoomError] = ZoomDiagnostic
    elif code in (ERROR_CONNECT, ERROR_CONNECTION_LOST):
        cls = ZoomConnectError
    elif code == ERROR_INIT:
        cls = ZoomInitError
    elif code == ERROR_TIMEOUT:
        cls = ZoomTimeoutError
    elif code in _QUERY_ERRORS:
        cls = ZoomQueryError
    else:
        cls = ZoomError
    return cls(code, message, addinfo, diagset)


# --- the library ---------------------------------------------------------------------------------

_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "ZOOM_connection_create": (c_void_p, [c_void_p]),
    "ZOOM_connection_connect": (None, [c_void_p, c_char_p, c_int]),
    "ZOOM_connection_destroy": (None, [c_void_p]),
    "ZOOM_connection_option_set": (None, [c_void_p, c_char_p, c_char_p]),
    "ZOOM_connection_error_x": (c_int, [c_void_p, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_char_p)]),
    "ZOOM_connection_process": (c_int, [c_void_p]),
    "ZOOM_connection_is_idle": (c_int, [c_void_p]),
    "ZOOM_connection_get_socket": (c_int, [c_void_p]),
    "ZOOM_connection_get_mask": (c_int, [c_void_p]),
    "ZOOM_connection_get_timeout": (c_int, [c_void_p]),
    "ZOOM_connection_fire_event_timeout": (c_int, [c_void_p]),
    "ZOOM_connection_fire_event_socket": (c_int, [c_void_p, c_int]),
    "ZOOM_connection_search": (c_void_p, [c_void_p, c_void_p]),
    "ZOOM_query_create": (c_void_p, []),
    "ZOOM_query_prefix": (c_int, [c_void_p, c_char_p]),
    "ZOOM_query_destroy": (None, [c_void_p]),
    "ZOOM_resultset_size": (c_size_t, [c_void_p]),
    "ZOOM_resultset_option_set": (None, [c_void_p, c_char_p, c_char_p]),
    "ZOOM_resultset_records": (None, [c_void_p, c_void_p, c_size_t, c_size_t]),
    "ZOOM_resultset_record_immediate": (c_void_p, [c_void_p, c_size_t]),
    "ZOOM_resultset_destroy": (None, [c_void_p]),
    "ZOOM_record_get": (c_void_p, [c_void_p, c_char_p, POINTER(c_int)]),
    "ZOOM_record_error": (c_int, [c_void_p, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_char_p)]),
    "ZOOM_diag_str": (c_char_p, [c_int]),
}

_lib: ctypes.CDLL | None = None
_lib_lock = threading.Lock()


def libyaz() -> ctypes.CDLL:
    """libyaz.so.5 with the ZOOM signatures declared; raises ZoomUnavailable when it is missing."""
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is None:
            names = ["libyaz.so.5", ctypes.util.find_library("yaz")]
            errors = []
            for name in filter(None, names):
                try:
                    lib = ctypes.CDLL(name)
                    break
                except OSError as exc:
                    errors.append(str(exc))
            else:
                raise ZoomUnavailable(0, "YAZ library libyaz.so.5 not found (install the Debian package "
                                      "libyaz5)", "; ".join(errors) or None, "ZOOM")
            for fname, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(lib, fname)
                fn.restype = restype
                fn.argtypes = argtypes
            _lib = lib
    return _lib


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if value is not None else None


def _enc(value: str) -> bytes:
    return value.encode("utf-8")


@dataclass(frozen=True, slots=True)
class ZoomRecord:
    """One record of a result set, fetched as `record_type` ("raw" ISO 2709, "xml", ...)."""

    position: int  # 0-based position in the result set
    data: bytes | None  # the record in the asked form; None for a surrogate diagnostic
    syntax: str | None = None  # as YAZ names it: "USmarc", "OPAC", "XML", ...
    schema: str | None = None
    database: str | None = None
    error: ZoomDiagnostic | None = None  # the surrogate diagnostic sent instead of this record


class ZoomConnection:
    """One Z39.50 association (ZOOM connection in async mode), driven by the running event loop.

    Use it from one task: `async with ZoomConnection(...) as conn: rs = await conn.search(pqf)`.
    `timeout` (seconds) is always set: it bounds each wait for the server and each operation.
    `options` are ZOOM options (databaseName, preferredRecordSyntax, elementSetName, user,
    password, group, charset, rpnCharset, presentChunk, ...); None values are skipped.
    """

    def __init__(self, target: str, *, timeout: float, options: Mapping[str, str | int | None] | None = None):
        if not timeout or timeout <= 0:
            raise ValueError("a ZOOM timeout must be positive")
        self._lib = libyaz()
        self.target = target
        self.timeout = float(timeout)
        self._thread = threading.get_ident()
        self._connected = False
        self._resultsets: list[ZoomResultSet] = []
        self._c: int | None = self._lib.ZOOM_connection_create(None)
        if not self._c:
            raise ZoomError(10001, "ZOOM_connection_create failed", None, "ZOOM")
        self._set("async", "1")
        self._set("timeout", str(max(1, math.ceil(self.timeout))))
        self._set("implementationName", "federator")
        for key, value in (options or {}).items():
            if value is not None and value != "":
                self._set(key, str(value))

    # -- plumbing --

    def _set(self, key: str, value: str) -> None:
        self._lib.ZOOM_connection_option_set(self._c, _enc(key), _enc(value))

    def _handle(self) -> int:
        if threading.get_ident() != self._thread:
            raise RuntimeError("a ZOOM connection must stay in the thread that created it")
        if not self._c:
            raise ZoomConnectError(ERROR_CONNECTION_LOST, "connection closed", self.target, "ZOOM")
        return self._c

    def _error(self) -> ZoomError | None:
        msg, addinfo, diagset = c_char_p(), c_char_p(), c_char_p()
        code = self._lib.ZOOM_connection_error_x(self._c, byref(msg), byref(addinfo), byref(diagset))
        if not code:
            return None
        return _error_for(code, _text(msg.value) or "", _text(addinfo.value), _text(diagset.value))

    async def _run(self) -> None:
        """Drive the queued ZOOM tasks to completion without blocking; raise their error."""
        c = self._handle()
        lib = self._lib
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            while lib.ZOOM_connection_process(c):
                pass
            error = self._error()
            if error is not None:
                raise error
            if lib.ZOOM_connection_is_idle(c):
                return
            fd = lib.ZOOM_connection_get_socket(c)
            mask = lib.ZOOM_connection_get_mask(c) & (ZOOM_SELECT_READ | ZOOM_SELECT_WRITE)
            if fd < 0 or not mask:
                raise ZoomError(10006, "ZOOM has work queued but nothing to wait for", self.target, "ZOOM")
            wait = min(max(lib.ZOOM_connection_get_timeout(c), 1), max(deadline - loop.time(), 0.0))
            fired = loop.create_future()

            def ready(event: int, fired: asyncio.Future = fired) -> None:
                if not fired.done():
                    fired.set_result(event)

            if mask & ZOOM_SELECT_READ:
                loop.add_reader(fd, ready, ZOOM_SELECT_READ)
            if mask & ZOOM_SELECT_WRITE:
                loop.add_writer(fd, ready, ZOOM_SELECT_WRITE)
            timer = loop.call_later(wait, ready, 0)
            try:
                event = await fired
            finally:
                timer.cancel()
                if mask & ZOOM_SELECT_READ:
                    loop.remove_reader(fd)
                if mask & ZOOM_SELECT_WRITE:
                    loop.remove_writer(fd)
            c = self._handle()  # closed while we waited?
            if event:
                lib.ZOOM_connection_fire_event_socket(c, event)
            else:
                lib.ZOOM_connection_fire_event_timeout(c)

    # -- public --

    async def connect(self) -> None:
        """Connect and init (with user/password/group when set); raises ZoomError subclasses."""
        if self._connected:
            return
        c = self._handle()
        self._lib.ZOOM_connection_connect(c, _enc(self.target), 0)
        await self._run()
        self._connected = True

    async def search(self, pqf: str, *, fetch: int = 0) -> ZoomResultSet:
        """Search with a PQF query; `fetch` > 0 asks for the first records in the same round trip
        (piggyback), available with `records(0, fetch)` without another request."""
        c = self._handle()
        if not self._connected:
            self._lib.ZOOM_connection_connect(c, _enc(self.target), 0)
            self._connected = True
        query = self._lib.ZOOM_query_create()
        try:
            if self._lib.ZOOM_query_prefix(query, _enc(pqf)) != 0:
                raise ZoomQueryError(10010, "invalid PQF query", pqf, "ZOOM")
            self._set("start", "0")
            self._set("count", str(max(0, fetch)))
            handle = self._lib.ZOOM_connection_search(c, query)
        finally:
            self._lib.ZOOM_query_destroy(query)
        rs = ZoomResultSet(self, handle)
        self._resultsets.append(rs)
        try:
            await self._run()
        except BaseException:
            rs.close()
            raise
        rs.size = int(self._lib.ZOOM_resultset_size(handle))
        return rs

    def close(self) -> None:
        """Destroy the result sets and the connection (closes the socket). Idempotent."""
        if not self._c:
            return
        for rs in self._resultsets:
            rs.close()
        self._resultsets.clear()
        c, self._c = self._c, None
        self._lib.ZOOM_connection_destroy(c)

    @property
    def closed(self) -> bool:
        return not self._c

    async def __aenter__(self) -> ZoomConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:  # a safety net only: owners close explicitly
        try:
            if self._c:
                self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class ZoomResultSet:
    """The result set of one search; records are fetched in ranges through Z39.50 present."""

    def __init__(self, connection: ZoomConnection, handle: int):
        self._conn = connection
        self._r: int | None = handle
        self.size = 0

    def _handle(self) -> int:
        self._conn._handle()
        if not self._r:
            raise ZoomError(10006, "result set closed", self._conn.target, "ZOOM")
        return self._r

    async def records(self, start: int, count: int, *, record_type: str = "raw") -> list[ZoomRecord]:
        """Records start..start+count-1 (0-based, clipped to the result set) as `record_type`:
        "raw" (ISO 2709 bytes for MARC), "xml" (MARCXML; OPAC XML for OPAC records), or any
        ZOOM_record_get type such as "xml; charset=marc8,utf-8". Sent as present requests of
        at most the `presentChunk` option each; records already fetched are not asked again."""
        r = self._handle()
        lib = self._conn._lib
        count = max(0, min(count, self.size - start))
        if count == 0:
            return []
        lib.ZOOM_resultset_records(r, None, start, count)  # NULL array: queue, do not block
        await self._conn._run()
        r = self._handle()
        out: list[ZoomRecord] = []
        rtype = _enc(record_type)
        for pos in range(start, start + count):
            rec = lib.ZOOM_resultset_record_immediate(r, pos)
            if not rec:
                continue
            out.append(_record(lib, rec, pos, rtype))
        return out

    def close(self) -> None:
        if self._r:
            r, self._r = self._r, None
            self._conn._lib.ZOOM_resultset_destroy(r)


def _record(lib: ctypes.CDLL, rec: int, pos: int, rtype: bytes) -> ZoomRecord:
    msg, addinfo, diagset = c_char_p(), c_char_p(), c_char_p()
    code = lib.ZOOM_record_error(rec, byref(msg), byref(addinfo), byref(diagset))
    if code:
        error = ZoomDiagnostic(code, _text(msg.value) or "", _text(addinfo.value), _text(diagset.value))
        return ZoomRecord(pos, None, error=error)

    def get(kind: bytes) -> bytes | None:
        length = c_int(0)
        ptr = lib.ZOOM_record_get(rec, kind, byref(length))
        return ctypes.string_at(ptr, length.value) if ptr else None

    return ZoomRecord(
        position=pos,
        data=get(rtype),
        syntax=_text(get(b"syntax")),
        schema=_text(get(b"schema")),
        database=_text(get(b"database")),
    )
