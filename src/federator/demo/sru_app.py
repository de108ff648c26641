"""The demo partners' SRU servers: one standard SRU endpoint per demo partner, at /{partner_id}/sru.

The gateway mounts this app at /demo and reaches it over real HTTP, the same code path as a
remote partner. Each endpoint speaks SRU 1.1 and 1.2 (namespace http://www.loc.gov/zing/srw/)
and 2.0 (OASIS searchRetrieve, http://docs.oasis-open.org/ns/search-ws/sruResponse), chosen by
the `version` parameter (absent: the partner's configured `sru_version`), over GET and POST
(application/x-www-form-urlencoded). Operations: explain (a ZeeRex record listing the indexes
and schemas) and searchRetrieve with CQL, startRecord/maximumRecords, recordSchema marcxml, dc or
mods (short names or info:srw/schema/1/... identifiers), record packing xml or string. The SRU
protocol itself (request reading, parameter checks, response writing) is
federator.protocols.sru_server, shared with the gateway's own /sru endpoint; this module only
searches the demo catalogs.

Errors are SRU diagnostics in an HTTP 200 answer, numberOfRecords always present: 1/4 operation,
1/5 version, 1/6 parameter value, 1/7 missing parameter, 1/8 unsupported parameter, 1/10 query
syntax, 1/16 index, 1/19 relation, 1/61 first record out of range, 1/66 schema, 1/71 record
packing, 1/72 XPath, 1/80 sort, and those of the catalog (federator.demo.catalog).

A partner's `demo.latency_ms` delays every answer, to play a slow library.
"""

from __future__ import annotations

import asyncio
import gc
import threading

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federator.config import Partner
from federator.demo.catalog import DemoCatalog
from federator.errors import QueryError
from federator.protocols import sru_server as sru
from federator.protocols.sru_server import SCHEMAS, Diagnostic, diagnostic_from
from federator.query.cql import parse_cql
from federator.query.indexes import CANONICAL, SRU_DEFAULT_MAP

__all__ = ["SCHEMAS", "DemoSRU", "create_demo_app", "demo_catalog"]

DEFAULT_RECORDS = 10
MAX_RECORDS = 1000
_SORTABLE = ("title", "author", "year", "id")

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


class DemoSRU:
    """The demo catalogs behind the shared SRU protocol layer (pure: parameters in, XML bytes out)."""

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
        req = sru.read_request(items, default_version=partner.sru_version, base_url=base_url, path=path)
        if req.operation == "explain":
            sru.check_explain(req)
            return sru.explain_response(req, sru.zeerex(req, self._explain_info(partner_id)))
        if req.operation != "searchRetrieve" and not req.diagnostics:
            req.diagnostics.append(Diagnostic(4, f"unsupported operation {req.operation!r}", details=req.operation))
        if req.diagnostics:
            return sru.error_response(req)
        return self._search(req, partner_id)

    def _search(self, req: sru.Request, partner_id: str) -> bytes:
        catalog = self.catalogs[partner_id]
        default = self.partners[partner_id].record_schema
        try:
            params = sru.search_params(req, default_schema=default if default in SCHEMAS else "marcxml",
                                       default_records=DEFAULT_RECORDS, max_records=MAX_RECORDS, sort_keys=False)
            try:
                query = parse_cql(req.params["query"])
                req.query_tree = query.root
                found = catalog.search(query)
            except QueryError as exc:
                raise diagnostic_from(exc) from None
        except Diagnostic as diag:
            req.diagnostics.append(diag)
            return sru.search_response(req, hits=0)
        hits = len(found)
        if hits and params.start > hits:
            req.diagnostics.append(Diagnostic(61, f"first record position {params.start} is out of range "
                                                  f"(there are {hits} records)", details=str(params.start)))
            return sru.search_response(req, hits=hits)
        page = found[params.start - 1:params.start - 1 + params.maximum]
        records = [(params.start + i, catalog.serialised(pos, params.schema)) for i, pos in enumerate(page)]
        return sru.search_response(req, hits=hits, records=records,
                                   schema_shown=req.params.get("recordschema") or params.schema,
                                   string_packing=params.string_packing)

    def _explain_info(self, partner_id: str) -> sru.ExplainInfo:
        partner = self.partners[partner_id]
        catalog = self.catalogs[partner_id]
        indexes = [sru.IndexInfo(canonical, CANONICAL[canonical], SRU_DEFAULT_MAP.get(canonical) or canonical,
                                 sort=canonical in _SORTABLE)
                   for canonical in catalog.indexes]
        return sru.ExplainInfo(
            title=partner.name, title_lang="id",
            description=f"Demo catalog of a fictional library ({partner.city or 'Indonesia'}): real MARC records, "
                        f"generated DEMO holdings. Records: {len(catalog)}.",
            contact=partner.contact.email, indexes=indexes,
            default_schema=partner.record_schema if partner.record_schema in SCHEMAS else "marcxml",
            default_records=DEFAULT_RECORDS, max_records=MAX_RECORDS,
            examples=["dc.title = sejarah", 'dc.creator = "Tjhan"'])


def create_demo_app(partners: list[Partner], *, preload: bool = True) -> Starlette:
    """The ASGI app serving every demo partner at /{partner_id}/sru (GET and POST).

    `preload` builds the catalogs in a background thread now, so that the first search does not
    pay for parsing the record pools (a mounted app gets no lifespan events of its own).
    """
    demo = DemoSRU(partners)

    async def endpoint(request: Request) -> Response:
        partner_id = request.path_params["partner_id"]
        if partner_id not in demo.partners:
            return Response(f"no demo partner {partner_id!r}\n", status_code=404, media_type="text/plain")
        items = await sru.form_items(request)
        if items is None:
            return sru.not_a_form(request.headers.get("content-type", ""))
        latency = demo.partners[partner_id].demo.latency_ms  # type: ignore[union-attr]
        if latency:
            await asyncio.sleep(latency / 1000)
        base_url = str(request.base_url).rstrip("/")
        body = await run_in_threadpool(demo.respond, partner_id, items, base_url=base_url, path=request.url.path)
        return sru.xml_response(body)

    async def index(request: Request) -> Response:
        base = str(request.url).rstrip("/")
        return JSONResponse({
            "demo": "Bundled demo partner catalogs (fictional libraries; real records, DEMO holdings)",
            "partners": {pid: f"{base}/{pid}/sru" for pid in demo.partners},
        })

    app = Starlette(routes=[Route("/", index), Route("/{partner_id}/sru", endpoint, methods=["GET", "POST"])])
    app.state.sru = demo
    if preload:
        threading.Thread(target=_warm_and_freeze, args=(demo,), name="demo-catalog-preload", daemon=True).start()
    return app


def _warm_and_freeze(demo: DemoSRU) -> None:
    """Build the catalogs, then take them out of the cycle collector's sight.

    The five demo catalogs are about 560,000 tracked objects (pymarc records, the indexes) that
    live as long as the process. Left in the collector's oldest generation, every full
    collection walks them all: a pause of 0.3-0.8 s of the event loop on this machine, which
    every search in flight waits out. `gc.freeze()` moves everything alive now into the
    permanent generation, which collections skip (CPython's documented use for data loaded
    once at start-up). Objects frozen now are still freed by reference counting; only a
    reference cycle among them would never be collected, and what is alive at this moment is
    the catalogs and start-up state."""
    demo.warm()
    gc.collect()
    gc.freeze()

