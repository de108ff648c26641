"""SRU searchRetrieve client (F2): SRU 1.1, 1.2 and 2.0, GET or POST, independent of any partner.

A partner's configuration lives in its connector (connectors/sru.py); this module only speaks
the protocol. Every failure is a PartnerError subclass: an HTTP error status, an unreadable or
oversized body, and a fatal diagnostic inside an HTTP 200 (diagnostics and no records) all
become the partner's status, never "zero hits". Diagnostics that come with records are
warnings. Responses are parsed with one module-level parser that resolves no entities, loads
no DTD and touches no network.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import re
import time
import zlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import httpx
from lxml import etree

from federator import safexml
from federator.errors import FAILURE_KINDS, PartnerDiagnostic, PartnerError, PartnerTimeout, PartnerUnsupported
from federator.resilience.budget import time_left

__all__ = [
    "DIAGNOSTICS",
    "MAX_RESPONSE_BYTES",
    "PARSER",
    "SRU_VERSIONS",
    "UNSUPPORTED_DIAGNOSTICS",
    "Diagnostic",
    "RecordError",
    "SRURecord",
    "SearchRetrieveResponse",
    "build_request",
    "diagnostic_error",
    "parse_response",
    "schema_name",
    "search_retrieve",
    "searchretrieve_params",
]

SRU_VERSIONS = ("1.1", "1.2", "2.0")
SRU1_NS = "http://www.loc.gov/zing/srw/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG_NAMESPACES = frozenset({"http://www.loc.gov/zing/srw/diagnostic/",
                             "http://docs.oasis-open.org/ns/search-ws/diagnostic"})
DIAG_PREFIX = "info:srw/diagnostic/1/"
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
T = TypeVar("T")

# collect_ids=False: libxml2 otherwise keeps a hash of every ID attribute for getElementById,
# which nothing here uses; 25 % of the parse time of a 150 KB answer (2.8 -> 2.1 ms).
PARSER = safexml.parser(collect_ids=False)

# The common entries of the SRU diagnostics list (info:srw/diagnostic/1/N).
DIAGNOSTICS: dict[int, str] = {
    1: "General system error",
    2: "System temporarily unavailable",
    3: "Authentication error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    12: "Too many characters in query",
    13: "Invalid or unsupported use of parentheses",
    14: "Invalid or unsupported use of quotes",
    15: "Unsupported context set",
    16: "Unsupported index",
    18: "Unsupported combination of indexes",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    21: "Unsupported combination of relation modifiers",
    22: "Unsupported combination of relation and index",
    23: "Too many characters in term",
    24: "Unsupported combination of relation and term",
    26: "Non special character escaped in term",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    29: "Masked words too short",
    30: "Too many masking characters in term",
    31: "Anchoring character not supported",
    32: "Anchoring character in unsupported position",
    35: "Term contains only stopwords",
    36: "Term in invalid format for index or relation",
    37: "Unsupported boolean operator",
    38: "Too many boolean operators in query",
    39: "Proximity not supported",
    40: "Unsupported proximity relation",
    41: "Unsupported proximity distance",
    42: "Unsupported proximity unit",
    43: "Unsupported proximity ordering",
    44: "Unsupported combination of proximity modifiers",
    46: "Unsupported boolean modifier",
    47: "Cannot process query; reason unknown",
    48: "Query feature unsupported",
    49: "Masking character in unsupported position",
    50: "Result sets not supported",
    51: "Result set does not exist",
    52: "Result set temporarily unavailable",
    60: "Result set not created: too many matching records",
    61: "First record position out of range",
    63: "System error in retrieving records",
    64: "Record temporarily unavailable",
    65: "Record does not exist",
    66: "Unknown schema for retrieval",
    67: "Record not available in this schema",
    68: "Not authorised to send record",
    69: "Not authorised to send record in this schema",
    70: "Record too large to send",
    71: "Unsupported record packing",
    80: "Sort not supported",
    235: "Database does not exist",
}

# Diagnostics meaning "this partner cannot run this query": status "unsupported", not "error".
UNSUPPORTED_DIAGNOSTICS = frozenset({15, 16, 18, 19, 20, 21, 22, 24, 28, 31, 37, 39, 40, 41, 42, 43, 44, 46, 48, 80})


@dataclass(frozen=True, slots=True)
class Diagnostic:
    uri: str
    message: str | None = None
    details: str | None = None

    @property
    def number(self) -> int | None:
        """N of info:srw/diagnostic/1/N; None for other diagnostic sets."""
        if self.uri.startswith(DIAG_PREFIX) and self.uri[len(DIAG_PREFIX):].isdigit():
            return int(self.uri[len(DIAG_PREFIX):])
        return None

    @property
    def meaning(self) -> str:
        return DIAGNOSTICS.get(self.number) or self.message or "unknown diagnostic"

    @property
    def unsupported(self) -> bool:
        return self.number in UNSUPPORTED_DIAGNOSTICS

    def __str__(self) -> str:
        meaning = self.meaning
        extra = []
        if self.message and self.message.strip().lower() != meaning.lower():
            extra.append(self.message.strip())
        if self.details:
            extra.append(self.details.strip())
        text = f"SRU diagnostic {self.uri} ({meaning})"
        return f"{text}: {'; '.join(extra)}" if extra else text


class SRURecord(NamedTuple):
    schema: str  # "marcxml" / "dc" / "mods" when recognised, else the recordSchema as sent
    data: etree._Element  # the record payload (first element inside recordData)
    position: int | None


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record position the server could not deliver (surrogate diagnostic) or sent unreadable."""

    position: int | None
    message: str


@dataclass(slots=True)
class SearchRetrieveResponse:
    number_of_records: int
    records: list[SRURecord] = field(default_factory=list)
    next_record_position: int | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)  # non-fatal here: records came too
    record_errors: list[RecordError] = field(default_factory=list)
    version: str | None = None
    notes: list[str] = field(default_factory=list)  # how the answer had to be read (e.g. its charset)


# --- requests -----------------------------------------------------------------------------------


def searchretrieve_params(query: str, *, version: str = "1.2", start_record: int = 1, maximum_records: int = 10,
                          record_schema: str | None = "marcxml") -> dict[str, str]:
    """The searchRetrieve parameters for one SRU version (2.0 uses queryType/recordXMLEscaping)."""
    if version not in SRU_VERSIONS:
        raise ValueError(f"SRU version {version!r} is not one of {', '.join(SRU_VERSIONS)}")
    if version == "2.0":
        params = {"version": "2.0", "queryType": "cql", "query": query, "recordXMLEscaping": "xml"}
    else:
        params = {"operation": "searchRetrieve", "version": version, "query": query, "recordPacking": "xml"}
    params["startRecord"] = str(start_record)
    params["maximumRecords"] = str(maximum_records)
    if record_schema:
        params["recordSchema"] = record_schema
    return params


def build_request(base_url: str, query: str, *, version: str = "1.2", method: str = "GET", start_record: int = 1,
                  maximum_records: int = 10, record_schema: str | None = "marcxml",
                  http: httpx.AsyncClient | None = None, timeout: float | None = None) -> httpx.Request:
    """A searchRetrieve request: GET with URL parameters or POST as a form."""
    params = searchretrieve_params(query, version=version, start_record=start_record,
                                   maximum_records=maximum_records, record_schema=record_schema)
    method = method.upper()
    if method not in ("GET", "POST"):
        raise ValueError(f"SRU HTTP method must be GET or POST, not {method!r}")
    url = httpx.URL(base_url)
    kwargs: dict = {}
    if method == "GET":
        url = url.copy_merge_params(params)  # keeps the endpoint's own parameters
    else:
        kwargs["data"] = params
    if http is None:
        return httpx.Request(method, url, **kwargs)
    if timeout is not None:
        kwargs["timeout"] = timeout
    return http.build_request(method, url, **kwargs)


# An opening recordData tag (any prefix: <(?:[A-Za-z_][\w.-]{0,40}:)?recordData[\s/>]) is counted
# while the body streams in. Searched for by its name (a literal: the regex engine skips ahead
# with a fast scan), then checked backwards for the "<" or "<prefix:" before it; the whole pattern,
# starting with "<", tries a match at every tag of the body and cost 4x more.
_RECORD_NAME = re.compile(rb"recordData[\s/>]")
_OPEN_PREFIX = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?")
_PREFIX_MAX = 43  # "<" + 41-character prefix + ":"


def _record_opens(window: bytes, after: int) -> int:
    """How many opening recordData tags in window end after offset `after`."""
    count = 0
    for match in _RECORD_NAME.finditer(window):
        start = match.start()
        if match.end() <= after:
            continue
        lt = window.rfind(b"<", max(0, start - _PREFIX_MAX), start)
        if lt >= 0 and _OPEN_PREFIX.fullmatch(window, lt, start):
            count += 1
    return count
_TAIL = 64  # longer than any match, so a tag split between two chunks is still seen
ERROR_BODY_BYTES = 256 * 1024  # enough of an HTTP error answer to find SRU diagnostics in it


class _Decoder:
    """Content-Encoding decoding that never makes more bytes than allowed (a gzip bomb stops at
    the bound instead of filling memory): httpx would inflate a whole chunk at once."""

    def __init__(self, encoding: str):
        self.encoding = encoding.strip().lower()
        if self.encoding in ("", "identity"):
            self.z = None
        elif self.encoding in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self.z = zlib.decompressobj()
        else:
            raise PartnerError(f"SRU response has an encoding we did not ask for: {encoding!r}", kind="malformed")
        self.started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        """Up to `limit` bytes of decoded data (exactly `limit` means there was more)."""
        if self.z is None:
            return data
        try:
            out = self.z.decompress(data, limit)
        except zlib.error:
            if self.encoding != "deflate" or self.started:
                raise PartnerError("malformed SRU response: broken compressed body", kind="malformed") from None
            self.z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            return self.decode(data, limit)
        self.started = True
        return out


async def _read_bounded(response: httpx.Response, max_bytes: int, max_records: int | None = None,
                        ends_at: float | None = None) -> bytes:
    """The body, read as it streams in; stops with PartnerError (kind too_large) as soon as it
    passes `max_bytes` (after decoding) or holds more than `max_records` records, and with
    PartnerTimeout when a piece arrives after `ends_at` (time.monotonic: a partner dripping
    bytes; one that stalls ends with httpx's read timeout)."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes and not response.headers.get("content-encoding"):
        raise PartnerError(f"SRU response larger than {max_bytes} bytes (Content-Length {length})", kind="too_large")
    if response.is_stream_consumed:  # built in memory (httpx.MockTransport): already read and decoded
        decoder, source = _Decoder(""), _one(response.content)
    else:
        decoder, source = _Decoder(response.headers.get("content-encoding", "")), response.aiter_raw()
    chunks: list[bytes] = []
    size = records = 0
    tail = b""
    async for raw in source:
        if ends_at is not None and time.monotonic() > ends_at:
            raise PartnerTimeout(f"no complete answer in time (the SRU answer was still arriving: {size} bytes)")
        chunk = decoder.decode(raw, max_bytes - size + 1)
        size += len(chunk)
        if size > max_bytes:
            raise PartnerError(f"SRU response larger than {max_bytes} bytes", kind="too_large")
        chunks.append(chunk)
        if max_records is not None and chunk:
            window = tail + chunk
            records += _record_opens(window, len(tail))
            if records > max_records:
                raise PartnerError(f"SRU response holds more than {max_records} records", kind="too_large")
            tail = window[-_TAIL:]
    return b"".join(chunks)


async def _exchange(http: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None, max_bytes: int,
                    record_bound: int | None, ends_at: float | None) -> tuple[httpx.Response, bytes]:
    response = await http.send(request, stream=True, **({"auth": auth} if auth is not None else {}))
    try:
        if response.status_code == 200:
            return response, await _read_bounded(response, max_bytes, record_bound, ends_at)
        try:
            return response, await _read_bounded(response, min(max_bytes, ERROR_BODY_BYTES), ends_at=ends_at)
        except PartnerError:
            return response, b""  # an enormous error page: the status says enough
    finally:
        await response.aclose()


_DETACHED: set[asyncio.Task] = set()  # exchanges left to end by their own timeouts


async def _uncancelled(exchange: Coroutine[Any, Any, T], *, ends_by_itself: bool) -> T:
    """Await `exchange` in its own task that no cancellation from outside reaches: a caller
    cancelled (the partner's budget is over, the search deadline, a client gone) stops waiting
    at once, and the exchange, which has timeouts of its own (`ends_by_itself`), finishes
    alone and closes its connection. A cancellation that reaches httpcore while it closes a
    connection after a timeout of its own leaves that connection in the pool for good
    (httpcore 1.0.9, encode/httpcore#1093): under load, when an event-loop pause lets both
    expire at once, every such search leaked a connection until the pool was full. Without
    timeouts of its own the exchange is cancelled once."""
    task = asyncio.ensure_future(exchange)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not ends_by_itself:
            task.cancel()
        _DETACHED.add(task)
        task.add_done_callback(_ended)
        raise


def _ended(task: asyncio.Task) -> None:
    _DETACHED.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: nobody waits for it any more


async def _one(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _http_error(exc: httpx.HTTPError, query: str, timeout: float | None = None) -> PartnerError:
    if isinstance(exc, httpx.TimeoutException):
        within = f" within {timeout:.1f} s" if timeout is not None else ""
        return PartnerTimeout(f"no complete answer{within} (SRU request timed out: {type(exc).__name__})",
                              native_query=query)
    if isinstance(exc, httpx.ConnectError):
        kind = "connect"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError)):
        kind = "reset"
    elif isinstance(exc, httpx.DecodingError):
        kind = "malformed"
    else:
        kind = "error"
    detail = str(exc) or FAILURE_KINDS.get(kind, "")  # httpx's ReadError on a reset says nothing
    return PartnerError(f"SRU request failed: {type(exc).__name__}: {detail}", native_query=query, kind=kind)


# The longest pause a partner may ask for that we believe (a day); a longer one is taken as a day.
RETRY_AFTER_MAX = 86400.0


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """An HTTP Retry-After header (delta-seconds or an HTTP date) as seconds from now; None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


def _status_kind(status: int) -> str:
    if status in (429, 502, 503, 504):
        return "unavailable"
    if status in (401, 403, 407):
        return "auth"
    return "http"


async def search_retrieve(http: httpx.AsyncClient, base_url: str, query: str, *, version: str = "1.2",
                          method: str = "GET", start_record: int = 1, maximum_records: int = 10,
                          record_schema: str | None = "marcxml", auth: httpx.Auth | None = None,
                          timeout: float | None = None, max_bytes: int = MAX_RESPONSE_BYTES,
                          max_records: int | None = None) -> SearchRetrieveResponse:
    """Send one searchRetrieve and parse the answer; raises PartnerError subclasses (with their
    `kind`). The body is bounded while it streams in: `max_bytes` decoded bytes and, when given,
    `max_records` records (never fewer than `maximum_records`). Inside a guarded partner search
    the time left (federator.resilience.budget) caps `timeout`, which bounds every I/O wait and
    the whole exchange: a slow partner ends with our own PartnerTimeout, not a cancellation."""
    left = time_left()
    if left is not None:
        if left <= 0:
            raise PartnerTimeout("no time left for another SRU request", native_query=query)
        timeout = left if timeout is None else min(timeout, left)
    request = build_request(base_url, query, version=version, method=method, start_record=start_record,
                            maximum_records=maximum_records, record_schema=record_schema, http=http,
                            timeout=timeout)
    request.headers["Accept-Encoding"] = "gzip, deflate"  # only what _Decoder bounds
    record_bound = None if max_records is None else max(max_records, maximum_records)
    try:
        ends_at = None if timeout is None else time.monotonic() + timeout
        response, body = await _uncancelled(_exchange(http, request, auth, max_bytes, record_bound, ends_at),
                                            ends_by_itself=timeout is not None)
    except PartnerError as exc:
        exc.native_query = query
        raise
    except httpx.HTTPError as exc:
        raise _http_error(exc, query, timeout) from exc

    if response.status_code != 200:
        prefix = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        diagnostics = _diagnostics_in(body)
        if diagnostics:
            raise diagnostic_error(diagnostics, native_query=query, prefix=f"{prefix}: ")
        wait = retry_after_seconds(response.headers.get("retry-after")) \
            if response.status_code in (429, 503) else None
        asked = f" and asks to wait {wait:g} s" if wait is not None else ""
        err = PartnerError(f"SRU server answered {prefix}{asked}", native_query=query,
                           kind=_status_kind(response.status_code), retry_after=wait)
        err.http_status = response.status_code
        raise err
    return parse_response(body, native_query=query)


# --- responses ----------------------------------------------------------------------------------


_LOCAL_NAMES: dict = {}  # element tag -> local name, for the tags seen (bounded: tags are remote data)


def _local(el) -> str:
    tag = el.tag
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        if not isinstance(tag, str):  # comment, processing instruction
            name = ""
        else:
            name = tag.rpartition("}")[2] if tag.startswith("{") else tag.rpartition(":")[2]
        if len(_LOCAL_NAMES) < 4096:
            _LOCAL_NAMES[tag] = name
    return name


def _child(el, name: str):
    for c in el:
        if _local(c) == name:
            return c
    return None


def _children(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _text(el, name: str) -> str | None:
    return _own_text(_child(el, name))


def _own_text(c) -> str | None:
    """The element's text content, stripped; None when there is none (or no element)."""
    if c is None:
        return None
    text = (c.text or "") if len(c) == 0 else "".join(c.itertext())
    return text.strip() or None


def _int(el, name: str) -> int | None:
    return _number(_text(el, name), name)


def _number(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise PartnerError(f"malformed SRU response: {name} is {text!r}, not a number", kind="malformed") from None


def _diagnostic(el) -> Diagnostic:
    return Diagnostic(uri=_text(el, "uri") or "", message=_text(el, "message"), details=_text(el, "details"))


def diagnostic_error(diagnostics: list[Diagnostic], *, native_query: str | None = None,
                     prefix: str = "") -> PartnerError:
    """The exception for fatal diagnostics: PartnerUnsupported when the partner cannot run the
    query (unsupported index, relation, modifier, boolean ...), else PartnerDiagnostic."""
    main = next((d for d in diagnostics if d.unsupported), diagnostics[0])
    message = prefix + "; ".join(str(d) for d in [main, *(d for d in diagnostics if d is not main)])
    if main.unsupported:
        exc: PartnerError = PartnerUnsupported(message, native_query=native_query)
        exc.uri = main.uri
    else:
        exc = PartnerDiagnostic(message, uri=main.uri, native_query=native_query)
        exc.kind = _DIAGNOSTIC_KINDS.get(main.number, exc.kind)
    exc.diagnostics = diagnostics
    return exc


# Fatal diagnostics that say more than "this query failed" (federator.errors.FAILURE_KINDS).
_DIAGNOSTIC_KINDS = {2: "unavailable", 3: "auth"}


_SCHEMA_NAMESPACES = {
    "http://www.loc.gov/MARC21/slim": "marcxml",
    "http://www.loc.gov/mods/v3": "mods",
    "info:srw/schema/1/dc-v1.1": "dc",
    "info:srw/schema/1/dc-schema": "dc",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "dc",
}


def schema_name(schema: str | None, payload=None) -> str:
    """"marcxml", "dc" or "mods": from the payload's namespace when it is a known one (servers
    mislabel recordSchema), else from the many names servers give them; else the name as sent."""
    if payload is not None and isinstance(payload.tag, str):
        known = _SCHEMA_NAMESPACES.get(etree.QName(payload).namespace)
        if known:
            return known
    lowered = (schema or "").strip().lower()
    if "marcxml" in lowered or "marc21" in lowered or lowered == "marc":
        return "marcxml"
    if "mods" in lowered:
        return "mods"
    if lowered in ("dc", "oai_dc", "srw_dc") or re.search(r"(^|/)dc(-|$)|purl\.org/dc/", lowered):
        return "dc"
    return schema or "unknown"


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _string_payload(text: str):
    """recordPacking=string: the record is escaped XML text; parse it with the same safe parser."""
    return etree.fromstring(_XML_DECL.sub("", text, count=1).strip(), PARSER)


def _record(el, response: SearchRetrieveResponse) -> None:
    position_el = schema_el = data = None  # the first of each, in one pass over the children
    for c in el:
        name = _local(c)
        if name == "recordData":
            if data is None:
                data = c
        elif name == "recordPosition":
            if position_el is None:
                position_el = c
        elif name == "recordSchema" and schema_el is None:
            schema_el = c
    position = _number(_own_text(position_el), "recordPosition")
    schema = _own_text(schema_el)
    if data is None:
        response.record_errors.append(RecordError(position, "record without recordData"))
        return
    # recordPacking/recordXMLEscaping=string sends the record as escaped text; some servers say
    # "xml" and still send text, or say "string" and send elements: believe what is there
    payload = next((c for c in data if isinstance(c.tag, str)), None)
    if payload is None:
        text = "".join(data.itertext()).strip()
        if not text:
            response.record_errors.append(RecordError(position, "empty recordData"))
            return
        try:
            payload = _string_payload(text)
        except (etree.XMLSyntaxError, ValueError) as exc:
            response.record_errors.append(RecordError(position, f"malformed record XML: {exc}"))
            return
    if _local(payload) == "diagnostic" and (etree.QName(payload).namespace in DIAG_NAMESPACES
                                             or "diagnostic" in (schema or "")):
        response.record_errors.append(RecordError(position, str(_diagnostic(payload))))
        return
    key = (schema, payload.tag)
    name = _SCHEMA_NAMES.get(key)
    if name is None:
        name = schema_name(schema, payload)
        if len(_SCHEMA_NAMES) < 1024:
            _SCHEMA_NAMES[key] = name
    response.records.append(SRURecord(name, payload, position))


_SCHEMA_NAMES: dict = {}  # (recordSchema, payload tag) -> schema_name(): the same for every record


_ENCODING_ERRORS = frozenset({etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING})


def _utf8_or_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("federator-utf8-or-cp1252", _utf8_or_cp1252)


def _parse(content: bytes) -> tuple[etree._Element, bool]:
    """(root, re-read): a body that is not in the encoding it declares (Latin-1 or Windows-1252
    sent as UTF-8 is common) is read again as UTF-8 with those bytes taken as Windows-1252."""
    try:
        return etree.fromstring(content, PARSER), False
    except etree.XMLSyntaxError as exc:
        if exc.code not in _ENCODING_ERRORS:
            raise
    text = _XML_DECL.sub("", content.decode("utf-8", errors="federator-utf8-or-cp1252"), count=1)
    return etree.fromstring(text.encode("utf-8"), PARSER), True


def _root(content: bytes, notes: list[str] | None = None):
    try:
        root, reread = _parse(content)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PartnerError(f"malformed SRU response: {exc}", kind="malformed") from None
    if reread and notes is not None:
        notes.append("the answer was not in the character set it declared; read as UTF-8/Windows-1252")
    if _local(root) == "Envelope":  # SRW (SOAP)
        body = _child(root, "Body")
        root = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
        if root is None:
            raise PartnerError("malformed SRU response: empty SOAP envelope", kind="malformed")
    return root


def _diagnostics_in(content: bytes) -> list[Diagnostic]:
    """Diagnostics in a body that may or may not be SRU (used for HTTP error answers)."""
    try:
        root = _root(content)
    except PartnerError:
        return []
    if _local(root) == "diagnostics":
        return [_diagnostic(d) for d in _children(root, "diagnostic")]
    holder = _child(root, "diagnostics")
    return [_diagnostic(d) for d in _children(holder, "diagnostic")] if holder is not None else []


def parse_response(content: bytes, *, native_query: str | None = None) -> SearchRetrieveResponse:
    """Parse a searchRetrieveResponse (1.x or 2.0 namespace, or none); raises PartnerError
    subclasses for malformed XML and for fatal diagnostics."""
    notes: list[str] = []
    try:
        root = _root(content, notes)
        name = _local(root)
        if name == "diagnostics":  # some servers answer a bad request with a bare diagnostics list
            diagnostics = [_diagnostic(d) for d in _children(root, "diagnostic")]
            if not diagnostics:
                raise PartnerError("malformed SRU response: empty diagnostics", kind="malformed")
            raise diagnostic_error(diagnostics)
        if name != "searchRetrieveResponse":
            raise PartnerError(f"malformed SRU response: root element is <{name}>, not searchRetrieveResponse",
                               kind="malformed")
        sru2 = etree.QName(root).namespace == SRU2_NS
        response = SearchRetrieveResponse(number_of_records=0, version=_text(root, "version") or
                                          ("2.0" if sru2 else None), notes=notes)
        holder = _child(root, "diagnostics")
        if holder is not None:
            response.diagnostics = [_diagnostic(d) for d in _children(holder, "diagnostic")]
        records = _child(root, "records")
        record_elements = _children(records, "record") if records is not None else []
        if response.diagnostics and not record_elements:
            raise diagnostic_error(response.diagnostics)
        for el in record_elements:
            _record(el, response)
        number = _int(root, "numberOfRecords")
        response.number_of_records = number if number is not None else len(record_elements)
        response.next_record_position = _int(root, "nextRecordPosition")
        return response
    except PartnerError as exc:
        exc.native_query = native_query
        raise
