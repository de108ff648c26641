"""The server side of SRU (F13): reading requests, checking parameters and writing responses for
SRU 1.1, 1.2 (namespace http://www.loc.gov/zing/srw/) and 2.0 (OASIS searchRetrieve,
http://docs.oasis-open.org/ns/search-ws/sruResponse). The one implementation of SRU response
writing: the gateway's /sru endpoint (federator.api.sru) and the demo partners
(federator.demo.sru_app) both call it and own only their searching.

Pure functions, parameters in and XML bytes out, apart from the two HTTP helpers at the end.

- Version negotiation: no `version` parameter means the caller's default; a version the server
  does not speak is answered in the highest supported version below it (else the lowest) with
  diagnostic 1/5, whose details name the highest version supported.
- `operation` may be left out: a request with `query` is a searchRetrieve, with `scanClause` a
  scan, else an explain (SRU 2.0 has no operation parameter).
- Errors are diagnostics (info:srw/diagnostic/1/N) inside an SRU response with HTTP 200, as SRU
  1.x and 2.0 define them; `numberOfRecords` is always present (SRU 1.1 requires it even with a
  fatal diagnostic). Only a request that is not SRU at all gets another HTTP status (415 for a
  POST that is not a form), and a fault of the server itself 500 (with diagnostic 1/1).
- Extension parameters (`x-...`) are passed through to the caller and otherwise ignored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from lxml import etree

from federator.errors import QueryError
from federator.protocols.sru import DIAGNOSTICS
from federator.query.indexes import SRU_DEFAULT_MAP, canonical_index
from federator.query.model import Boolean, Clause, Modifier, Node, SortKey

__all__ = [
    "DIAG_PREFIX", "EXACT_COUNT", "MEDIA_TYPE", "MINIMUM_COUNT", "SCHEMAS", "SRU1_NS", "SRU2_NS", "VERSIONS",
    "ZEEREX_NS", "Diagnostic", "ExplainInfo", "IndexInfo", "Request", "ScanParams", "ScanTerm", "Schema",
    "SearchParams", "check_explain", "diagnostic_from", "error_response", "explain_response", "form_items",
    "not_a_form", "read_request", "scan_params", "scan_response", "search_params", "search_response",
    "xcql", "xml_response", "zeerex",
]

SRU1_NS = "http://www.loc.gov/zing/srw/"
SRU1_DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
XCQL1_NS = "http://www.loc.gov/zing/cql/xcql/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU2_DIAG_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
SRU2_SCAN_NS = "http://docs.oasis-open.org/ns/search-ws/scan"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
DIAG_PREFIX = "info:srw/diagnostic/1/"
VERSIONS = ("1.1", "1.2", "2.0")
MEDIA_TYPE = "application/xml; charset=utf-8"
EXACT_COUNT = "info:srw/vocabulary/resultCountPrecision/1/exact"
MINIMUM_COUNT = "info:srw/vocabulary/resultCountPrecision/1/minimum"


@dataclass(frozen=True)
class Schema:
    name: str
    identifier: str
    title: str
    aliases: tuple[str, ...] = ()


SCHEMAS: dict[str, Schema] = {
    s.name: s for s in (
        Schema("marcxml", "info:srw/schema/1/marcxml-v1.1", "MARC 21 in MARCXML",
               ("marc21", "marcxml", "info:srw/schema/1/marcxml-v1.1", "info:srw/schema/1/marcxml-v1.1-light",
                "http://www.loc.gov/marc21/slim", "marc21slim", "info:srw/schema/1/marc21-v1.1")),
        Schema("dc", "info:srw/schema/1/dc-v1.1", "Dublin Core (SRU dc schema)",
               ("dc", "info:srw/schema/1/dc-v1.1", "info:srw/schema/1/dc-schema",
                "http://purl.org/dc/elements/1.1/", "oai_dc")),
        Schema("mods", "info:srw/schema/1/mods-v3.7", "MODS 3.7",
               ("mods", "info:srw/schema/1/mods-v3.4", "info:srw/schema/1/mods-v3.5", "info:srw/schema/1/mods-v3.6",
                "info:srw/schema/1/mods-v3.7", "info:srw/schema/1/mods-v3.8", "http://www.loc.gov/mods/v3")),
    )
}
_SCHEMA_BY_ALIAS = {alias.lower(): s.name for s in SCHEMAS.values() for alias in s.aliases}

CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
RELATIONS = ("=", "==", "all", "any", "adj", "<", ">", "<=", ">=", "<>", "within")

_COMMON_PARAMS = frozenset({"operation", "version", "stylesheet", "httpaccept", "responsetype",
                            "renderedby", "recordpacking", "recordxmlescaping"})
_SEARCH_PARAMS = _COMMON_PARAMS | {"query", "querytype", "startrecord", "maximumrecords", "recordschema",
                                   "resultsetttl", "sortkeys", "recordxpath", "facetlimit", "facetstart",
                                   "facetsort", "facetcount"}
_SCAN_PARAMS = _COMMON_PARAMS | {"scanclause", "responseposition", "maximumterms"}
_DISPLAY_NAMES = {"startrecord": "startRecord", "maximumrecords": "maximumRecords", "resultsetttl": "resultSetTTL",
                  "responseposition": "responsePosition", "maximumterms": "maximumTerms",
                  "recordpacking": "recordPacking", "recordxmlescaping": "recordXMLEscaping",
                  "recordschema": "recordSchema", "scanclause": "scanClause", "sortkeys": "sortKeys"}


class Diagnostic(Exception):
    """An SRU diagnostic (info:srw/diagnostic/1/number): fatal when raised, else a warning."""

    def __init__(self, number: int, message: str | None = None, details: str | None = None):
        message = message or DIAGNOSTICS.get(number, "diagnostic")
        super().__init__(message)
        self.number, self.message, self.details = number, message, details

    @property
    def uri(self) -> str:
        return f"{DIAG_PREFIX}{self.number}"


def diagnostic_from(exc: QueryError) -> Diagnostic:
    """The SRU diagnostic of a query error (its number; details, else the position)."""
    details = exc.details
    if details is None and exc.position is not None:
        details = str(exc.position)
    return Diagnostic(getattr(exc, "diagnostic", 10), exc.message, details)


# --- requests -------------------------------------------------------------------------------------


@dataclass
class Request:
    """One SRU request: the negotiated version, the operation and the parameters."""

    version: str
    operation: str
    params: dict[str, str]  # names lower-cased (x- extensions as sent), first value of each
    base_url: str
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    query_tree: Node | None = None  # set by the caller once the query parsed (echoed as xQuery)
    sort_keys: tuple[SortKey, ...] = ()  # set by search_params from sortKeys (echoed)

    @property
    def v2(self) -> bool:
        return self.version == "2.0"


def _version_key(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        return None


def _negotiate(asked: str | None, default: str) -> str:
    if not asked:
        return default
    if asked in VERSIONS:
        return asked
    key = _version_key(asked)
    if key is None:
        return default
    below = [v for v in VERSIONS if _version_key(v) <= key]
    return below[-1] if below else VERSIONS[0]


def read_request(items: Iterable[tuple[str, str]], *, default_version: str, base_url: str,
                 path: str) -> Request:
    """Read an SRU request from its parameters (GET query and POST form, in that order)."""
    params: dict[str, str] = {}
    for name, value in items:
        params.setdefault(name if name.lower().startswith("x-") else name.lower(), value)
    asked = params.get("version")
    version = _negotiate(asked, default_version)
    operation = params.get("operation")
    if operation is None:
        operation = ("searchRetrieve" if "query" in params else "scan" if "scanclause" in params
                     else "explain")
    req = Request(version=version, operation=operation, params=params, base_url=base_url, path=path)
    if asked and asked != version:
        req.diagnostics.append(Diagnostic(5, f"unsupported version {asked!r}; supported: {', '.join(VERSIONS)}",
                                          details=VERSIONS[-1]))
    return req


def _check_names(req: Request, allowed: frozenset[str]) -> None:
    for name in req.params:
        if name not in allowed and not name.lower().startswith("x-"):
            raise Diagnostic(8, f"unsupported parameter {name!r}", details=name)


def _integer(req: Request, name: str, default: int | None, *, minimum: int) -> int | None:
    raw = req.params.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.isdigit() or int(raw) < minimum:
        shown = _DISPLAY_NAMES.get(name, name)
        raise Diagnostic(6, f"{shown} must be an integer of at least {minimum}, not {raw!r}", details=shown)
    return int(raw)


def _string_packing(req: Request) -> bool:
    packing = (req.params.get("recordpacking") or "").lower()
    escaping = (req.params.get("recordxmlescaping") or "").lower()
    if req.v2:
        if packing not in ("", "packed", "xml", "string"):
            raise Diagnostic(71, f"unsupported record packing {packing!r} (only packed)", details=packing)
        if escaping not in ("", "xml", "string"):
            raise Diagnostic(71, f"unsupported recordXMLEscaping {escaping!r} (xml or string)", details=escaping)
        return escaping == "string" or packing == "string"
    if packing not in ("", "xml", "string"):
        raise Diagnostic(71, f"unsupported record packing {packing!r} (xml or string)", details=packing)
    return packing == "string"


def _schema(asked: str | None, default: str) -> str:
    if not asked:
        return default
    name = _SCHEMA_BY_ALIAS.get(asked.lower())
    if name is None:
        raise Diagnostic(66, f"unknown record schema {asked!r}; supported: {', '.join(SCHEMAS)}", details=asked)
    return name


_SORT_SPECIAL = {"relevance": "relevance", "rank": "relevance", "cql.relevance": "relevance",
                 "holdings": "holdings"}


def _sort_keys(text: str) -> tuple[SortKey, ...]:
    """SRU 1.1/2.0 sortKeys: space-separated keys `path,schema,ascending,caseSensitive,missing`,
    the path an index name (dc.title, title, relevance, holdings)."""
    keys = []
    for key in text.split():
        path, *rest = key.split(",")
        index = _SORT_SPECIAL.get(path.lower()) or canonical_index(path)
        if index is None:
            raise Diagnostic(88, f"cannot sort by {path!r}", details=path)
        ascending = rest[1] if len(rest) > 1 else "1"
        if ascending not in ("", "0", "1"):
            raise Diagnostic(90, f"sort direction must be 1 or 0, not {ascending!r}", details=ascending)
        keys.append(SortKey(index, ascending != "0"))
    return tuple(keys)


@dataclass(frozen=True)
class SearchParams:
    start: int
    maximum: int
    schema: str  # a SCHEMAS name
    string_packing: bool
    result_set_ttl: int | None  # seconds the client asked the result set to be kept


def search_params(req: Request, *, default_schema: str, default_records: int, max_records: int,
                  sort_keys: bool) -> SearchParams:
    """Check a searchRetrieve request's parameters (raises Diagnostic). `sort_keys`: whether the
    server sorts by the sortKeys parameter (read into req.sort_keys) or refuses it (1/80)."""
    _check_names(req, _SEARCH_PARAMS)
    p = req.params
    if "query" not in p:
        raise Diagnostic(7, "mandatory parameter 'query' was not supplied", details="query")
    if p.get("querytype", "cql").lower() != "cql":
        raise Diagnostic(6, f"unsupported queryType {p['querytype']!r} (only cql)", details="queryType")
    if "recordxpath" in p:
        raise Diagnostic(72, "XPath retrieval is not supported", details=p["recordxpath"])
    if p.get("sortkeys"):
        if not sort_keys:
            raise Diagnostic(80, "sortKeys is not supported; use CQL sortBy", details=p["sortkeys"])
        req.sort_keys = _sort_keys(p["sortkeys"])
    start = _integer(req, "startrecord", 1, minimum=1)
    maximum = min(_integer(req, "maximumrecords", default_records, minimum=0), max_records)
    ttl = _integer(req, "resultsetttl", None, minimum=0)
    return SearchParams(start, maximum, _schema(p.get("recordschema"), default_schema), _string_packing(req), ttl)


@dataclass(frozen=True)
class ScanParams:
    clause: str
    position: int  # responsePosition: where the scan term goes in the list (1 = first)
    maximum: int  # maximumTerms


def scan_params(req: Request, *, default_terms: int = 20, max_terms: int = 100) -> ScanParams:
    """Check a scan request's parameters (raises Diagnostic)."""
    _check_names(req, _SCAN_PARAMS)
    clause = req.params.get("scanclause")
    if not clause:
        raise Diagnostic(7, "mandatory parameter 'scanClause' was not supplied", details="scanClause")
    position = _integer(req, "responseposition", 1, minimum=0)
    maximum = min(_integer(req, "maximumterms", default_terms, minimum=1), max_terms)
    return ScanParams(clause, position, maximum)


# --- responses ------------------------------------------------------------------------------------


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        el.text = text
    return el


def _ns(req: Request) -> str:
    return SRU2_NS if req.v2 else SRU1_NS


def _root(req: Request, name: str, ns: str | None = None) -> etree._Element:
    ns = ns or _ns(req)
    root = etree.Element(f"{{{ns}}}{name}", nsmap={"zs": ns} if ns != SRU2_SCAN_NS else {"scan": ns})
    if not req.v2:
        _sub(root, ns, "version", req.version)
    return root


def _diagnostics(root: etree._Element, ns: str, req: Request) -> None:
    if not req.diagnostics:
        return
    diag_ns = SRU2_DIAG_NS if req.v2 else SRU1_DIAG_NS
    container = _sub(root, ns, "diagnostics")
    for d in req.diagnostics:
        el = etree.SubElement(container, f"{{{diag_ns}}}diagnostic", nsmap={"diag": diag_ns})
        _sub(el, diag_ns, "uri", d.uri)
        if d.details is not None:
            _sub(el, diag_ns, "details", d.details)
        _sub(el, diag_ns, "message", d.message)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _record_packing(rec: etree._Element, ns: str, req: Request, string_packing: bool) -> None:
    if req.v2:
        _sub(rec, ns, "recordPacking", "packed")
        _sub(rec, ns, "recordXMLEscaping", "string" if string_packing else "xml")
    else:
        _sub(rec, ns, "recordPacking", "string" if string_packing else "xml")


def search_response(req: Request, *, hits: int, records: Sequence[tuple[int, bytes]] = (),
                    schema_shown: str | None = None, string_packing: bool = False,
                    result_set: tuple[str, int] | None = None, count_precision: str = EXACT_COUNT) -> bytes:
    """A searchRetrieveResponse: `records` are (position, record XML bytes); `result_set` is
    (resultSetId, seconds it stays available); `count_precision` what numberOfRecords is (SRU
    2.0 only); req.diagnostics go with it (fatal when there are no records)."""
    ns = _ns(req)
    root = _root(req, "searchRetrieveResponse")
    _sub(root, ns, "numberOfRecords", str(hits))
    if result_set is not None:
        _sub(root, ns, "resultSetId", result_set[0])
        if not req.v2 and result_set[1] > 0:
            _sub(root, ns, "resultSetIdleTime", str(result_set[1]))
    nonce = secrets.token_hex(8)
    spliced: dict[str, bytes] = {}
    if records:
        container = _sub(root, ns, "records")
        for position, data in records:
            rec = _sub(container, ns, "record")
            _sub(rec, ns, "recordSchema", schema_shown or "marcxml")
            _record_packing(rec, ns, req, string_packing)
            if string_packing:
                _sub(rec, ns, "recordData", data.decode("utf-8"))
            else:
                token = f"@@{nonce}-{position}@@"
                spliced[token] = data
                _sub(rec, ns, "recordData", token)
            _sub(rec, ns, "recordPosition", str(position))
        last = records[-1][0]
        if last < hits:
            _sub(root, ns, "nextRecordPosition", str(last + 1))
    _echo_search(root, ns, req)
    _diagnostics(root, ns, req)
    if req.v2:
        if result_set is not None:
            _sub(root, ns, "resultSetTTL", str(result_set[1]))
        _sub(root, ns, "resultCountPrecision", count_precision)
    body = _serialise(root)
    for token, data in spliced.items():  # one short token per record; the records are large
        body = body.replace(token.encode(), data, 1)
    return body


def _echo_search(root: etree._Element, ns: str, req: Request) -> None:
    p = req.params
    if "query" not in p:
        return
    tree = req.query_tree
    if not req.v2 and tree is None:
        return  # SRU 1.1 requires xQuery in the echo, which an unparsable query does not have
    echo = _sub(root, ns, "echoedSearchRetrieveRequest")
    _sub(echo, ns, "version", req.version)
    if req.v2:
        _sub(echo, ns, "queryType", "cql")
    _sub(echo, ns, "query", p["query"])
    if not req.v2:
        _sub(echo, ns, "xQuery").append(xcql(tree))
    for name, least in (("startrecord", 1), ("maximumrecords", 0)):
        if p.get(name, "").strip().isdigit() and int(p[name]) >= least:
            _sub(echo, ns, _DISPLAY_NAMES[name], str(int(p[name])))
    if req.v2 and p.get("recordxmlescaping") in ("xml", "string"):
        _sub(echo, ns, "recordXMLEscaping", p["recordxmlescaping"])
    if "recordpacking" in p:
        _sub(echo, ns, "recordPacking", p["recordpacking"])
    if "recordschema" in p:
        _sub(echo, ns, "recordSchema", p["recordschema"])
    if p.get("resultsetttl", "").strip().isdigit():
        _sub(echo, ns, "resultSetTTL", str(int(p["resultsetttl"])))
    if p.get("sortkeys"):
        _sub(echo, ns, "sortKeys", p["sortkeys"])


def explain_response(req: Request, record: etree._Element) -> bytes:
    """An explainResponse carrying one ZeeRex record (see zeerex)."""
    ns = _ns(req)
    root = _root(req, "explainResponse")
    rec = _sub(root, ns, "record")
    _sub(rec, ns, "recordSchema", ZEEREX_NS)
    _record_packing(rec, ns, req, False)
    _sub(rec, ns, "recordData").append(record)
    if not req.v2:
        _sub(rec, ns, "recordPosition", "1")
    _diagnostics(root, ns, req)
    return _serialise(root)


@dataclass(frozen=True)
class ScanTerm:
    value: str
    count: int | None = None
    display: str | None = None


def scan_response(req: Request, terms: Sequence[ScanTerm] = ()) -> bytes:
    """A scanResponse (SRU 1.x namespace, or the SRU 2.0 scan namespace)."""
    ns = SRU2_SCAN_NS if req.v2 else SRU1_NS
    root = _root(req, "scanResponse", ns)
    if terms:
        container = _sub(root, ns, "terms")
        for i, term in enumerate(terms):
            el = _sub(container, ns, "term")
            _sub(el, ns, "value", term.value)
            if term.count is not None:
                _sub(el, ns, "numberOfRecords", str(term.count))
            if term.display:
                _sub(el, ns, "displayTerm", term.display)
            where = "only" if len(terms) == 1 else "first" if i == 0 else "last" if i == len(terms) - 1 else "inner"
            _sub(el, ns, "whereInList", where)
    p = req.params
    if "scanclause" in p and (req.v2 or isinstance(req.query_tree, Clause)):
        echo = _sub(root, ns, "echoedScanRequest")
        if not req.v2:
            _sub(echo, ns, "version", req.version)
        _sub(echo, ns, "scanClause", p["scanclause"])
        if not req.v2:
            echo.append(_xcql_clause(req.query_tree, XCQL1_NS, name="xScanClause", parent_ns=ns))
        for name in ("responseposition", "maximumterms"):
            if p.get(name, "").strip().isdigit() and (name != "maximumterms" or int(p[name]) > 0):
                _sub(echo, ns, _DISPLAY_NAMES[name], str(int(p[name])))
    _diagnostics(root, ns, req)
    return _serialise(root)


def error_response(req: Request) -> bytes:
    """The answer to a searchRetrieve or scan that failed before it ran: its diagnostics, in the
    operation's response (a searchRetrieveResponse for an operation the server does not have)."""
    if req.operation == "scan" and not any(d.number == 4 for d in req.diagnostics):
        return scan_response(req)
    return search_response(req, hits=0)


def check_explain(req: Request) -> None:
    """An explain request's unknown parameters become a (non-fatal) diagnostic 1/8."""
    for name in req.params:
        if name not in _COMMON_PARAMS and not name.lower().startswith("x-"):
            req.diagnostics.append(Diagnostic(8, f"unsupported parameter {name!r}", details=name))
            return


# --- ZeeRex explain record ----------------------------------------------------------------------


@dataclass(frozen=True)
class IndexInfo:
    id: str  # canonical index name
    title: str
    cql_name: str  # e.g. dc.title
    sort: bool = False
    scan: bool = False


@dataclass(frozen=True)
class ExplainInfo:
    """What a ZeeRex record says about one SRU database."""

    title: str
    description: str
    indexes: Sequence[IndexInfo]
    default_schema: str = "marcxml"
    default_records: int = 10
    max_records: int = 1000
    contact: str | None = None
    title_lang: str = "en"
    examples: Sequence[str] = ()
    result_set_ttl: int | None = None  # seconds result sets are kept, when the server has them
    relations: Sequence[str] = RELATIONS


def zeerex(req: Request, info: ExplainInfo) -> etree._Element:
    """The ZeeRex 2.0 record of an SRU database. For SRU 2.0 it carries <searchInfo>, so that it
    also validates against the OASIS explain.xsd (which requires it)."""
    z = ZEEREX_NS
    explain = etree.Element(f"{{{z}}}explain", nsmap={None: z})
    authority = req.base_url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = authority.partition(":")
    server = _sub(explain, z, "serverInfo")
    server.set("protocol", "SRU")
    server.set("version", req.version)
    server.set("transport", req.base_url.split("://", 1)[0])
    _sub(server, z, "host", host)
    _sub(server, z, "port", port or ("443" if req.base_url.startswith("https") else "80"))
    _sub(server, z, "database", req.path.lstrip("/"))
    db = _sub(explain, z, "databaseInfo")
    title = _sub(db, z, "title", info.title)
    title.set("lang", info.title_lang)
    title.set("primary", "true")
    _sub(db, z, "description", info.description).set("lang", "en")
    if info.contact:
        _sub(db, z, "contact", info.contact)
    index_info = _sub(explain, z, "indexInfo")
    for name, identifier in CONTEXT_SETS.items():
        s = _sub(index_info, z, "set")
        s.set("name", name)
        s.set("identifier", identifier)
    for index in info.indexes:
        el = _sub(index_info, z, "index")
        el.set("id", index.id)
        el.set("search", "true")
        el.set("scan", "true" if index.scan else "false")
        el.set("sort", "true" if index.sort else "false")
        _sub(el, z, "title", index.title).set("lang", "en")
        prefix, dot, base = index.cql_name.partition(".")
        name = _sub(_sub(el, z, "map"), z, "name", base if dot else index.cql_name)
        if dot:
            name.set("set", prefix)
    if req.v2:
        search_info = _sub(explain, z, "searchInfo")
        for example in info.examples:
            _sub(search_info, z, "queryExample", example)
    schema_info = _sub(explain, z, "schemaInfo")
    for s in SCHEMAS.values():
        el = _sub(schema_info, z, "schema")
        el.set("identifier", s.identifier)
        el.set("name", s.name)
        el.set("retrieve", "true")
        el.set("sort", "false")
        _sub(el, z, "title", s.title).set("lang", "en")
    config = _sub(explain, z, "configInfo")
    _sub(config, z, "default", str(info.default_records)).set("type", "numberOfRecords")
    _sub(config, z, "default", info.default_schema).set("type", "retrieveSchema")
    if info.result_set_ttl:
        _sub(config, z, "default", str(info.result_set_ttl)).set("type", "resultSetTTL")
    _sub(config, z, "setting", str(info.max_records)).set("type", "maximumRecords")
    for relation in info.relations:
        _sub(config, z, "supports", relation).set("type", "relation")
    for boolean in ("and", "or", "not"):
        _sub(config, z, "supports", boolean).set("type", "booleanOperator")
    _sub(config, z, "supports", "*").set("type", "maskingCharacter")
    _sub(config, z, "supports", "?").set("type", "maskingCharacter")
    if info.result_set_ttl:
        _sub(config, z, "supports").set("type", "resultSets")
    if any(index.sort for index in info.indexes):
        _sub(config, z, "supports").set("type", "sort")
    return explain


# --- XCQL ---------------------------------------------------------------------------------------


def _xcql_modifiers(parent: etree._Element, x: str, mods: tuple[Modifier, ...]) -> None:
    if not mods:
        return
    container = _sub(parent, x, "modifiers")
    for m in mods:
        el = _sub(container, x, "modifier")
        _sub(el, x, "type", m.name)
        if m.comparison is not None and m.value is not None:
            _sub(el, x, "comparison", m.comparison)
            _sub(el, x, "value", m.value)


def _xcql_clause(c: Clause, x: str, *, name: str = "searchClause", parent_ns: str | None = None) -> etree._Element:
    el = etree.Element(f"{{{parent_ns or x}}}{name}", nsmap={None: x} if parent_ns is None else {"xcql": x})
    _sub(el, x, "index", SRU_DEFAULT_MAP.get(c.index) or c.index)
    rel = _sub(el, x, "relation")
    _sub(rel, x, "value", c.relation)
    _xcql_modifiers(rel, x, c.modifiers)
    _sub(el, x, "term", c.term)
    return el


def xcql(node: Node) -> etree._Element:
    """The query tree as SRU 1.x XCQL (xQuery), iteratively (long flat chains are legal)."""
    x = XCQL1_NS
    out: list[etree._Element] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if isinstance(current, Clause):
            out.append(_xcql_clause(current, x))
        elif not done:
            stack.append((current, True))
            stack.append((current.right, False))
            stack.append((current.left, False))
        else:
            assert isinstance(current, Boolean)
            right, left = out.pop(), out.pop()
            triple = etree.Element(f"{{{x}}}triple", nsmap={None: x})
            b = _sub(triple, x, "boolean")
            _sub(b, x, "value", current.op)
            _xcql_modifiers(b, x, current.modifiers)
            _sub(triple, x, "leftOperand").append(left)
            _sub(triple, x, "rightOperand").append(right)
            out.append(triple)
    return out[0]


# --- HTTP ---------------------------------------------------------------------------------------

_FORM_TYPES = ("", "application/x-www-form-urlencoded")
_CHARSET_RE = re.compile(r"charset=([\w-]+)", re.I)


async def form_items(request) -> list[tuple[str, str]] | None:
    """The SRU parameters of a Starlette request: URL query, then the form body of a POST;
    None when a POST body is not a form (answer 415)."""
    items = list(request.query_params.multi_items())
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() not in _FORM_TYPES:
            return None
        charset = _CHARSET_RE.search(content_type)
        body = await request.body()
        try:
            text = body.decode(charset.group(1) if charset else "utf-8", "replace")
        except LookupError:  # an unknown charset name
            text = body.decode("utf-8", "replace")
        items += parse_qsl(text, keep_blank_values=True)
    return items


def xml_response(body: bytes, status_code: int = 200):
    """The HTTP answer of an SRU response (200: diagnostics are part of SRU; 500 only for a
    fault of the server itself)."""
    from starlette.responses import Response

    return Response(body, status_code=status_code, media_type=MEDIA_TYPE)


def not_a_form(content_type: str):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(f"unsupported content type {content_type!r}: SRU POST takes "
                             "application/x-www-form-urlencoded\n", status_code=415)
