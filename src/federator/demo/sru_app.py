"""The demo partners' SRU servers: one standard SRU endpoint per demo partner, at /{partner_id}/sru.

The gateway mounts this app at /demo and reaches it over real HTTP, the same code path as a
remote partner. Each endpoint speaks SRU 1.1 and 1.2 (namespace http://www.loc.gov/zing/srw/)
and 2.0 (OASIS searchRetrieve, http://docs.oasis-open.org/ns/search-ws/sruResponse), chosen by
the `version` parameter (absent: the partner's configured `sru_version`), over GET and POST
(application/x-www-form-urlencoded). Operations: explain (a ZeeRex record listing the indexes
and schemas) and searchRetrieve with CQL, startRecord/maximumRecords, recordSchema marcxml, dc or
mods (short names or info:srw/schema/1/... identifiers), record packing xml or string.

Errors are SRU diagnostics in an HTTP 200 answer, numberOfRecords always present: 1/4 operation,
1/5 version, 1/6 parameter value, 1/7 missing parameter, 1/8 unsupported parameter, 1/10 query
syntax, 1/16 index, 1/19 relation, 1/61 first record out of range, 1/66 schema, 1/71 record
packing, 1/72 XPath, 1/80 sort, and those of the catalog (federator.demo.catalog).

A partner's `demo.latency_ms` delays every answer, to play a slow library.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from lxml import etree
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federator.config import Partner
from federator.demo.catalog import DemoCatalog
from federator.errors import QueryError
from federator.query.cql import parse_cql
from federator.query.indexes import CANONICAL, SRU_DEFAULT_MAP
from federator.query.model import Boolean, Clause, Modifier, Node

__all__ = ["SCHEMAS", "DemoSRU", "create_demo_app", "demo_catalog"]

SRU1_NS = "http://www.loc.gov/zing/srw/"
SRU1_DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
XCQL1_NS = "http://www.loc.gov/zing/cql/xcql/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU2_DIAG_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
ZEEREX_SCHEMA = "http://explain.z3950.org/dtd/2.0/"
DIAG_PREFIX = "info:srw/diagnostic/1/"
VERSIONS = ("1.1", "1.2", "2.0")
DEFAULT_RECORDS = 10
MAX_RECORDS = 1000
MEDIA_TYPE = "application/xml; charset=utf-8"


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

_CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
_SEARCH_PARAMS = frozenset({
    "operation", "version", "query", "querytype", "startrecord", "maximumrecords", "recordpacking",
    "recordschema", "recordxmlescaping", "resultsetttl", "stylesheet", "httpaccept", "sortkeys",
    "recordxpath", "responsetype", "renderedby",
})
_EXPLAIN_PARAMS = frozenset({"operation", "version", "recordpacking", "recordxmlescaping", "stylesheet",
                             "httpaccept", "responsetype", "renderedby"})


class Diagnostic(Exception):
    """A fatal SRU diagnostic for this request."""

    def __init__(self, number: int, message: str, details: str | None = None):
        super().__init__(message)
        self.number, self.message, self.details = number, message, details


_CATALOGS: dict[str, DemoCatalog] = {}
_CATALOGS_LOCK = threading.Lock()


def demo_catalog(partner: Partner) -> DemoCatalog:
    """The in-process catalog of a demo partner, shared by every app built for the same settings."""
    key = partner.model_dump_json()
    with _CATALOGS_LOCK:
        found = _CATALOGS.get(key)
        if found is None:
            found = _CATALOGS[key] = DemoCatalog(partner)
        return found


@dataclass
class _Request:
    version: str
    params: dict[str, str]  # lower-cased names, first value
    base_url: str
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    query_tree: Node | None = None  # set once the query parsed


class DemoSRU:
    """The SRU protocol layer over the demo catalogs (pure: parameters in, XML bytes out)."""

    def __init__(self, partners: list[Partner]):
        self.partners = {p.id: p for p in partners if p.demo is not None}
        self.catalogs = {pid: demo_catalog(p) for pid, p in self.partners.items()}

    def warm(self) -> None:
        """Build every catalog now (the first search would otherwise do it)."""
        for catalog in self.catalogs.values():
            catalog.load()

    def respond(self, partner_id: str, items: list[tuple[str, str]], *, base_url: str, path: str) -> bytes:
        """The SRU answer (XML bytes) of one request to one partner's endpoint."""
        partner = self.partners[partner_id]
        params: dict[str, str] = {}
        for name, value in items:
            params.setdefault(name.lower() if not name.startswith("x-") else name, value)
        version = params.get("version") or partner.sru_version
        req = _Request(version=version, params=params, base_url=base_url, path=path)
        if version not in VERSIONS:
            req.version = partner.sru_version
            req.diagnostics.append(Diagnostic(5, f"unsupported version {version!r}; supported: "
                                                 f"{', '.join(VERSIONS)}", details=VERSIONS[-1]))
            return self._search_response(req, partner_id, hits=0, records=[])
        operation = params.get("operation")
        if operation is None:
            operation = "searchRetrieve" if "query" in params else "explain"
        if operation == "explain":
            return self._explain(req, partner_id)
        if operation != "searchRetrieve":
            req.diagnostics.append(Diagnostic(4, f"unsupported operation {operation!r}", details=operation))
            return self._search_response(req, partner_id, hits=0, records=[])
        return self._search(req, partner_id)

    # searchRetrieve

    def _search(self, req: _Request, partner_id: str) -> bytes:
        catalog = self.catalogs[partner_id]
        try:
            start, maximum, schema, string_packing = self._check_search_params(req, partner_id)
            try:
                query = parse_cql(req.params["query"])
            except QueryError as exc:
                raise _diagnostic(exc) from None
            req.query_tree = query.root
            try:
                found = catalog.search(query)
            except QueryError as exc:
                raise _diagnostic(exc) from None
        except Diagnostic as diag:
            req.diagnostics.append(diag)
            return self._search_response(req, partner_id, hits=0, records=[])
        hits = len(found)
        if hits and start > hits:
            req.diagnostics.append(Diagnostic(61, f"first record position {start} is out of range "
                                                  f"(there are {hits} records)", details=str(start)))
            return self._search_response(req, partner_id, hits=hits, records=[])
        page = found[start - 1:start - 1 + maximum]
        records = [(start + i, catalog.serialised(pos, schema)) for i, pos in enumerate(page)]
        return self._search_response(req, partner_id, hits=hits, records=records, schema=schema,
                                     string_packing=string_packing)

    def _check_search_params(self, req: _Request, partner_id: str) -> tuple[int, int, str, bool]:
        p = req.params
        for name in p:
            if name not in _SEARCH_PARAMS and not name.startswith("x-"):
                raise Diagnostic(8, f"unsupported parameter {name!r}", details=name)
        if "query" not in p:
            raise Diagnostic(7, "mandatory parameter 'query' was not supplied", details="query")
        if p.get("querytype", "cql").lower() != "cql":
            raise Diagnostic(6, f"unsupported queryType {p['querytype']!r} (only cql)", details="queryType")
        if "recordxpath" in p:
            raise Diagnostic(72, "XPath retrieval is not supported", details=p["recordxpath"])
        if "sortkeys" in p:
            raise Diagnostic(80, "sortKeys is not supported; use CQL sortBy", details=p["sortkeys"])
        start = _positive(p, "startrecord", 1, minimum=1)
        maximum = min(_positive(p, "maximumrecords", DEFAULT_RECORDS, minimum=0), MAX_RECORDS)
        schema = self._schema(req, partner_id)
        return start, maximum, schema, _string_packing(req)

    def _schema(self, req: _Request, partner_id: str) -> str:
        asked = req.params.get("recordschema")
        if not asked:
            default = self.partners[partner_id].record_schema
            return default if default in SCHEMAS else "marcxml"
        name = _SCHEMA_BY_ALIAS.get(asked.lower())
        if name is None:
            raise Diagnostic(66, f"unknown record schema {asked!r}; supported: {', '.join(SCHEMAS)}",
                             details=asked)
        return name

    def _search_response(self, req: _Request, partner_id: str, *, hits: int,
                         records: list[tuple[int, bytes]], schema: str | None = None,
                         string_packing: bool = False) -> bytes:
        v2 = req.version == "2.0"
        ns = SRU2_NS if v2 else SRU1_NS
        root = etree.Element(f"{{{ns}}}searchRetrieveResponse", nsmap={"zs": ns})
        if not v2:
            _sub(root, ns, "version", req.version)
        _sub(root, ns, "numberOfRecords", str(hits))
        nonce = secrets.token_hex(8)
        spliced: dict[str, bytes] = {}
        if records:
            shown_schema = req.params.get("recordschema") or schema or "marcxml"
            container = _sub(root, ns, "records")
            for position, data in records:
                rec = _sub(container, ns, "record")
                _sub(rec, ns, "recordSchema", shown_schema)
                if v2:
                    _sub(rec, ns, "recordPacking", "packed")
                    _sub(rec, ns, "recordXMLEscaping", "string" if string_packing else "xml")
                else:
                    _sub(rec, ns, "recordPacking", "string" if string_packing else "xml")
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
        self._echo(root, ns, req)
        _diagnostics(root, ns, req)
        if v2:
            _sub(root, ns, "resultCountPrecision", "info:srw/vocabulary/resultCountPrecision/1/exact")
        body = etree.tostring(root, encoding="utf-8", xml_declaration=True)
        for token, data in spliced.items():  # one short token per record; the records are large
            body = body.replace(token.encode(), data, 1)
        return body

    def _echo(self, root: etree._Element, ns: str, req: _Request) -> None:
        p = req.params
        if "query" not in p:
            return
        tree = req.query_tree
        v2 = req.version == "2.0"
        if not v2 and tree is None:
            return  # SRU 1.1 requires xQuery in the echo, which an unparsable query does not have
        echo = _sub(root, ns, "echoedSearchRetrieveRequest")
        _sub(echo, ns, "version", req.version)
        if v2:
            _sub(echo, ns, "queryType", "cql")
        _sub(echo, ns, "query", p["query"])
        if not v2:
            x = _sub(echo, ns, "xQuery")
            x.append(_xcql(tree))
        for name, element in (("startrecord", "startRecord"), ("maximumrecords", "maximumRecords")):
            if p.get(name, "").isdigit():
                _sub(echo, ns, element, str(int(p[name])))
        if v2 and "recordxmlescaping" in p:
            _sub(echo, ns, "recordXMLEscaping", p["recordxmlescaping"] if p["recordxmlescaping"] in ("xml", "string") else "xml")
        if "recordpacking" in p:
            _sub(echo, ns, "recordPacking", p["recordpacking"])
        if "recordschema" in p:
            _sub(echo, ns, "recordSchema", p["recordschema"])

    # explain

    def _explain(self, req: _Request, partner_id: str) -> bytes:
        for name in req.params:
            if name not in _EXPLAIN_PARAMS and not name.startswith("x-"):
                req.diagnostics.append(Diagnostic(8, f"unsupported parameter {name!r}", details=name))
                break
        v2 = req.version == "2.0"
        ns = SRU2_NS if v2 else SRU1_NS
        root = etree.Element(f"{{{ns}}}explainResponse", nsmap={"zs": ns})
        if not v2:
            _sub(root, ns, "version", req.version)
        rec = _sub(root, ns, "record")
        _sub(rec, ns, "recordSchema", ZEEREX_SCHEMA)
        if v2:
            _sub(rec, ns, "recordPacking", "packed")
            _sub(rec, ns, "recordXMLEscaping", "xml")
        else:
            _sub(rec, ns, "recordPacking", "xml")
        data = _sub(rec, ns, "recordData")
        data.append(self._zeerex(req, partner_id))
        if not v2:
            _sub(rec, ns, "recordPosition", "1")
        _diagnostics(root, ns, req)
        return etree.tostring(root, encoding="utf-8", xml_declaration=True)

    def _zeerex(self, req: _Request, partner_id: str) -> etree._Element:
        partner = self.partners[partner_id]
        catalog = self.catalogs[partner_id]
        z = ZEEREX_NS
        explain = etree.Element(f"{{{z}}}explain", nsmap={None: z})
        host, _, port = req.base_url.split("://", 1)[-1].split("/", 1)[0].partition(":")
        server = _sub(explain, z, "serverInfo")
        server.set("protocol", "SRU")
        server.set("version", req.version)
        server.set("transport", req.base_url.split("://", 1)[0])
        _sub(server, z, "host", host)
        _sub(server, z, "port", port or ("443" if req.base_url.startswith("https") else "80"))
        _sub(server, z, "database", req.path.lstrip("/"))
        info = _sub(explain, z, "databaseInfo")
        title = _sub(info, z, "title", partner.name)
        title.set("lang", "id")
        title.set("primary", "true")
        desc = _sub(info, z, "description",
                    f"Demo catalog of a fictional library ({partner.city or 'Indonesia'}): real MARC records, "
                    f"generated DEMO holdings. Records: {len(catalog)}.")
        desc.set("lang", "en")
        if partner.contact.email:
            _sub(info, z, "contact", partner.contact.email)
        index_info = _sub(explain, z, "indexInfo")
        for name, identifier in _CONTEXT_SETS.items():
            s = _sub(index_info, z, "set")
            s.set("name", name)
            s.set("identifier", identifier)
        for canonical in catalog.indexes:
            index = _sub(index_info, z, "index")
            index.set("id", canonical)
            index.set("search", "true")
            index.set("scan", "false")
            index.set("sort", "true" if canonical in ("title", "author", "year", "id") else "false")
            _sub(index, z, "title", CANONICAL[canonical]).set("lang", "en")
            mapped = SRU_DEFAULT_MAP.get(canonical) or canonical
            prefix, dot, base = mapped.partition(".")
            m = _sub(index, z, "map")
            n = _sub(m, z, "name", base if dot else mapped)
            if dot:
                n.set("set", prefix)
        schema_info = _sub(explain, z, "schemaInfo")
        for s in SCHEMAS.values():
            el = _sub(schema_info, z, "schema")
            el.set("identifier", s.identifier)
            el.set("name", s.name)
            el.set("retrieve", "true")
            el.set("sort", "false")
            _sub(el, z, "title", s.title).set("lang", "en")
        config = _sub(explain, z, "configInfo")
        _sub(config, z, "default", str(DEFAULT_RECORDS)).set("type", "numberOfRecords")
        _sub(config, z, "default", partner.record_schema).set("type", "retrieveSchema")
        _sub(config, z, "setting", str(MAX_RECORDS)).set("type", "maximumRecords")
        for relation in ("=", "==", "all", "any", "adj", "<", ">", "<=", ">=", "<>", "within"):
            _sub(config, z, "supports", relation).set("type", "relation")
        for boolean in ("and", "or", "not"):
            _sub(config, z, "supports", boolean).set("type", "booleanOperator")
        _sub(config, z, "supports", "*").set("type", "maskingCharacter")
        _sub(config, z, "supports", "?").set("type", "maskingCharacter")
        return explain


def _positive(params: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        display = {"startrecord": "startRecord", "maximumrecords": "maximumRecords"}.get(name, name)
        raise Diagnostic(6, f"{display} must be an integer of at least {minimum}, not {raw!r}", details=display)
    return int(raw)


def _string_packing(req: _Request) -> bool:
    p = req.params
    packing = (p.get("recordpacking") or "").lower()
    escaping = (p.get("recordxmlescaping") or "").lower()
    if req.version == "2.0":
        if packing not in ("", "packed", "xml", "string"):
            raise Diagnostic(71, f"unsupported record packing {packing!r} (only packed)", details=packing)
        if escaping not in ("", "xml", "string"):
            raise Diagnostic(71, f"unsupported recordXMLEscaping {escaping!r}", details=escaping)
        return escaping == "string" or packing == "string"
    if packing not in ("", "xml", "string"):
        raise Diagnostic(71, f"unsupported record packing {packing!r} (xml or string)", details=packing)
    return packing == "string"


def _diagnostic(exc: QueryError) -> Diagnostic:
    details = exc.details
    if details is None and exc.position is not None:
        details = str(exc.position)
    return Diagnostic(getattr(exc, "diagnostic", 10), exc.message, details)


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        el.text = text
    return el


def _diagnostics(root: etree._Element, ns: str, req: _Request) -> None:
    if not req.diagnostics:
        return
    diag_ns = SRU2_DIAG_NS if ns == SRU2_NS else SRU1_DIAG_NS
    container = _sub(root, ns, "diagnostics")
    for d in req.diagnostics:
        el = etree.SubElement(container, f"{{{diag_ns}}}diagnostic", nsmap={"diag": diag_ns})
        _sub(el, diag_ns, "uri", f"{DIAG_PREFIX}{d.number}")
        if d.details is not None:
            _sub(el, diag_ns, "details", d.details)
        _sub(el, diag_ns, "message", d.message)


def _xcql(node: Node) -> etree._Element:
    """The query tree as XCQL (SRU 1.x xQuery), iteratively (long flat chains are legal)."""
    x = XCQL1_NS

    def clause(c: Clause) -> etree._Element:
        el = etree.Element(f"{{{x}}}searchClause", nsmap={None: x})
        _sub(el, x, "index", SRU_DEFAULT_MAP.get(c.index) or c.index)
        rel = _sub(el, x, "relation")
        _sub(rel, x, "value", c.relation)
        _modifiers(rel, c.modifiers)
        _sub(el, x, "term", c.term)
        return el

    def _modifiers(parent: etree._Element, mods: tuple[Modifier, ...]) -> None:
        if not mods:
            return
        container = _sub(parent, x, "modifiers")
        for m in mods:
            el = _sub(container, x, "modifier")
            _sub(el, x, "type", m.name)
            if m.comparison is not None and m.value is not None:
                _sub(el, x, "comparison", m.comparison)
                _sub(el, x, "value", m.value)

    out: list[etree._Element] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if isinstance(current, Clause):
            out.append(clause(current))
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
            _modifiers(b, current.modifiers)
            _sub(triple, x, "leftOperand").append(left)
            _sub(triple, x, "rightOperand").append(right)
            out.append(triple)
    return out[0]


def create_demo_app(partners: list[Partner], *, preload: bool = True) -> Starlette:
    """The ASGI app serving every demo partner at /{partner_id}/sru (GET and POST).

    `preload` builds the catalogs in a background thread now, so that the first search does not
    pay for parsing the record pools (a mounted app gets no lifespan events of its own).
    """
    sru = DemoSRU(partners)

    async def endpoint(request: Request) -> Response:
        partner_id = request.path_params["partner_id"]
        if partner_id not in sru.partners:
            return Response(f"no demo partner {partner_id!r}\n", status_code=404, media_type="text/plain")
        items = list(request.query_params.multi_items())
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await request.body()
            if content_type in ("", "application/x-www-form-urlencoded"):
                items += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            else:
                return Response(f"unsupported content type {content_type!r}: SRU POST takes "
                                "application/x-www-form-urlencoded\n", status_code=415, media_type="text/plain")
        latency = sru.partners[partner_id].demo.latency_ms  # type: ignore[union-attr]
        if latency:
            await asyncio.sleep(latency / 1000)
        base_url = str(request.base_url).rstrip("/")
        body = await run_in_threadpool(sru.respond, partner_id, items, base_url=base_url, path=request.url.path)
        return Response(body, media_type=MEDIA_TYPE)

    async def index(request: Request) -> Response:
        base = str(request.url).rstrip("/")
        return JSONResponse({
            "demo": "Bundled demo partner catalogs (fictional libraries; real records, DEMO holdings)",
            "partners": {pid: f"{base}/{pid}/sru" for pid in sru.partners},
        })

    app = Starlette(routes=[Route("/", index), Route("/{partner_id}/sru", endpoint, methods=["GET", "POST"])])
    app.state.sru = sru
    if preload:
        threading.Thread(target=sru.warm, name="demo-catalog-preload", daemon=True).start()
    return app

