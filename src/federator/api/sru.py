"""The gateway's own SRU endpoint (F13): the whole network as one SRU database at /sru.

explain, searchRetrieve and scan in SRU 1.1, 1.2 and 2.0 (no `version`: 2.0), GET or POST form;
the protocol is federator.protocols.sru_server, shared with the demo partners. Another
federator, an OPAC or `yaz-client` uses the network as one big catalog:

    /sru?version=1.2&operation=searchRetrieve&query=dc.title=sejarah&recordSchema=marcxml

- Records are MERGED records (federator.formats): MARCXML with every partner's holdings as 852
  fields and provenance in 035/986, Dublin Core or MODS; numberOfRecords counts merged records.
- Partner selection through SRU extension parameters: `x-partners` (comma-separated ids) and
  `x-network`; unknown values are diagnostic 1/6.
- Sorting: CQL `sortBy` or the `sortKeys` parameter, on title, author (ascending), dc.date
  (either way), relevance or holdings; one key (1/84 for more), 1/88 for other indexes, 1/90
  for a descending title or author.
- Result sets: every search answers with a resultSetId (and resultSetIdleTime / resultSetTTL);
  `query=cql.resultSetId="<id>"` (optionally with `sortBy`) pages or re-sorts it without asking
  the partners again; an expired id is 1/51. Repeating the same query within the cache time also
  reuses the finished search.
- Partners that failed are reported, never hidden as zero hits: some failed -> non-fatal
  diagnostic 1/59 (valid partial results) naming them; all failed -> a fatal diagnostic (the
  partners' own, e.g. 1/16, when every one found the query unsupported; else 1/2, system
  temporarily unavailable). A fault of the gateway itself is 1/1 with HTTP 500; every other
  SRU answer, diagnostics included, is HTTP 200 as SRU defines it.
- scan: browses one index (title, author, subject, publisher, isbn, issn, year, language,
  format) over the merged records that a prefix search across the partners finds, with the
  number of merged records per term; partners are asked with a search because connectors
  have no scan of their own.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from federator.config import Settings
from federator.dedup.keys import fold
from federator.dedup.model import MergedRecord
from federator.errors import QueryError, UnsupportedIndexError
from federator.fanout import OK, UNSUPPORTED
from federator.formats import serialise
from federator.protocols import sru_server as sru
from federator.protocols.sru_server import Diagnostic, diagnostic_from
from federator.query.cql import parse_cql, render
from federator.query.indexes import CANONICAL, SRU_DEFAULT_MAP
from federator.query.model import Clause, Query, SortKey
from federator.resultsets import ResultSets
from federator.service import SearchResult, SearchService

__all__ = ["DEFAULT_VERSION", "SRUServer", "sru_router"]

log = logging.getLogger(__name__)

DEFAULT_VERSION = "2.0"
DEFAULT_RECORDS = 10
_RESULT_SET_RE = re.compile(r'^\s*cql\.resultsetid\s*(?:=|==|exact)\s*("(?:[^"\\]|\\.)*"|[^\s"()]+)\s*(sortby\s.*)?$',
                            re.IGNORECASE | re.DOTALL)
# (canonical sort index, ascending) -> the service's sort
_SORTS = {("title", True): "title", ("author", True): "author", ("year", True): "year_asc",
          ("year", False): "year", ("relevance", True): "relevance", ("relevance", False): "relevance",
          ("holdings", True): "holdings", ("holdings", False): "holdings"}
_SORTABLE = frozenset(index for index, _ in _SORTS)
# scannable index -> the merged record's values for it
_SCAN_VALUES = {
    "title": lambda m: [m.title] if m.title else [],
    "author": lambda m: m.authors,
    "subject": lambda m: m.subjects,
    "publisher": lambda m: [m.publisher] if m.publisher else [],
    "isbn": lambda m: m.isbns,
    "issn": lambda m: m.issns,
    "year": lambda m: [str(m.year)] if m.year is not None else [],
    "language": lambda m: [m.language] if m.language else [],
    "format": lambda m: [m.material_type.value],
}
_SRU_DIAGNOSTIC_RE = re.compile(r"info:srw/diagnostic/1/(\d+)")
_QUOTED_RE = re.compile(r"'([^']+)'")


class SRUServer:
    """The SRU protocol over the search service: one request's parameters in, XML bytes out."""

    def __init__(self, service: SearchService):
        self.service = service
        self.result_sets = ResultSets(service.settings.search.cache_ttl)
        service.expiring.append(self.result_sets.expire)

    # Read from the service on every request, so POST /admin/reload (new partners, title,
    # limits, TTL) reaches the SRU endpoint at once, as it reaches /search.
    @property
    def settings(self) -> Settings:
        return self.service.settings

    @property
    def max_records(self) -> int:
        return self.settings.search.max_page_size

    async def respond(self, req: sru.Request) -> bytes:
        if req.operation == "explain":
            sru.check_explain(req)
            return sru.explain_response(req, sru.zeerex(req, self.explain_info()))
        if req.operation not in ("searchRetrieve", "scan") and not req.diagnostics:
            req.diagnostics.append(Diagnostic(4, f"unsupported operation {req.operation!r}", details=req.operation))
        if req.diagnostics:
            return sru.error_response(req)
        if req.operation == "scan":
            return await self._scan(req)
        return await self._search(req)

    # searchRetrieve

    async def _search(self, req: sru.Request) -> bytes:
        try:
            params = sru.search_params(req, default_schema="marcxml", default_records=DEFAULT_RECORDS,
                                       max_records=self.max_records, sort_keys=True)
            result, keys = await self._result(req)
            sort = _service_sort(req.sort_keys or keys)
        except Diagnostic as diag:
            req.diagnostics.append(diag)
            return sru.search_response(req, hits=0)
        fatal, warning = _partner_diagnostics(result)
        if fatal is not None:
            req.diagnostics.append(fatal)
            return sru.search_response(req, hits=0)
        if warning is not None:
            req.diagnostics.append(warning)
        ranked = result.ranked(sort)
        hits = len(ranked)
        self.result_sets.ttl = self.settings.search.cache_ttl
        result_set = self.result_sets.name(result, params.result_set_ttl)
        if hits and params.start > hits:
            req.diagnostics.append(Diagnostic(61, f"first record position {params.start} is out of range "
                                                  f"(there are {hits} records)", details=str(params.start)))
            return sru.search_response(req, hits=hits, result_set=result_set)
        page = ranked[params.start - 1:params.start - 1 + params.maximum]
        records = await asyncio.to_thread(_serialised, page, params.start, params.schema)
        return sru.search_response(req, hits=hits, records=records,
                                   schema_shown=req.params.get("recordschema") or params.schema,
                                   string_packing=params.string_packing, result_set=result_set,
                                   count_precision=_count_precision(result))

    async def _result(self, req: sru.Request) -> tuple[SearchResult, tuple[SortKey, ...]]:
        """The finished search a request asks for (a named result set, or the federated search
        of its query) and the query's sortBy keys; raises Diagnostic."""
        text = req.params["query"]
        named = _RESULT_SET_RE.match(text)
        if named:
            rsid = named.group(1).strip('"')
            req.query_tree = Clause("cql.resultSetId", "=", rsid)
            keys = self._parse(f"cql.serverChoice = x {named.group(2)}").sort if named.group(2) else ()
            result = self.result_sets.get(rsid)
            if result is None:
                raise Diagnostic(51, f"result set {rsid!r} does not exist or has expired", details=rsid)
            return result, keys
        query = self._parse(text)
        req.query_tree = query.root
        return await self._run(req, query.root), query.sort

    def _parse(self, text: str) -> Query:
        try:
            return parse_cql(text, max_length=self.settings.search.max_query_length)
        except UnsupportedIndexError as exc:
            if (exc.details or "").lower() == "cql.resultsetid":
                raise Diagnostic(55, "a result set cannot be combined with search clauses",
                                 details=exc.details) from None
            raise diagnostic_from(exc) from None
        except QueryError as exc:
            raise diagnostic_from(exc) from None

    async def _run(self, req: sru.Request, root) -> SearchResult:
        """The federated search of `root` over the partners x-partners / x-network select; the
        sort is left out of the query, so every order of one search is the same cached result."""
        ids = [p.strip() for p in req.params.get("x-partners", "").split(",") if p.strip()] or None
        network = req.params.get("x-network") or None
        try:
            partners = self.service.select(ids, network)
        except QueryError as exc:
            name = "x-network" if "network" in exc.message and network else "x-partners"
            raise Diagnostic(6, exc.message, details=name) from None
        return await self.service.search(Query(root, text=render(root)), partners)

    # scan

    async def _scan(self, req: sru.Request) -> bytes:
        try:
            params = sru.scan_params(req)
            clause = self._parse(params.clause).root
            if not isinstance(clause, Clause):
                raise Diagnostic(10, "scanClause must be one search clause (index relation term)",
                                 details=params.clause)
            req.query_tree = clause
            if clause.index not in _SCAN_VALUES:
                raise Diagnostic(16, f"index {clause.index!r} cannot be scanned; scannable: "
                                     f"{', '.join(_SCAN_VALUES)}", details=clause.index)
            if params.position > params.maximum + 1:
                raise Diagnostic(120, f"responsePosition {params.position} is out of range "
                                      f"(0 to maximumTerms + 1)", details=str(params.position))
            term = clause.term.strip().rstrip("*")
            if not term:
                raise Diagnostic(27, "scan needs a start term", details=params.clause)
            result = await self._run(req, _scan_query(clause.index, term))
        except Diagnostic as diag:
            req.diagnostics.append(diag)
            return sru.scan_response(req)
        fatal, warning = _partner_diagnostics(result)
        if fatal is not None:
            req.diagnostics.append(fatal)
            return sru.scan_response(req)
        if warning is not None:
            req.diagnostics.append(warning)
        return sru.scan_response(req, _scan_terms(result.merged, clause.index, term, params))

    # explain

    def explain_info(self) -> sru.ExplainInfo:
        indexes = [sru.IndexInfo(canonical, description, SRU_DEFAULT_MAP.get(canonical) or canonical,
                                 sort=canonical in _SORTABLE, scan=canonical in _SCAN_VALUES)
                   for canonical, description in CANONICAL.items()]
        partners = [p for p in self.settings.partners if p.enabled]
        networks = sorted({n for p in partners for n in p.networks})
        return sru.ExplainInfo(
            title=self.settings.title,
            description=(
                f"Federated union catalog: every search goes live to {len(partners)} partner libraries and "
                "answers with merged records (one per edition) listing every holding library (MARC 852). "
                "SRU extension parameters: x-partners (comma-separated partner ids: "
                f"{', '.join(p.id for p in partners)}) and x-network ({', '.join(networks) or 'none'}). "
                "Sort keys: dc.title, dc.creator, dc.date, relevance, holdings."),
            indexes=indexes, default_schema="marcxml", default_records=DEFAULT_RECORDS,
            max_records=self.max_records, result_set_ttl=int(self.settings.search.cache_ttl),
            examples=["dc.title = sejarah", "bath.isbn = 9780596000271",
                      "dc.subject = indonesia and dc.date >= 1990 sortBy dc.date/sort.descending"])


def _serialised(page: list[MergedRecord], start: int, schema: str) -> list[tuple[int, bytes]]:
    return [(start + i, serialise(merged, schema)) for i, merged in enumerate(page)]


def _count_precision(result: SearchResult) -> str:
    """numberOfRecords counts the merged records of what the partners sent; when a partner
    found more than it sent, the whole network holds at least that many."""
    cut = any(s.hits is not None and s.hits > s.fetched + s.skipped for s in result.statuses)
    return sru.MINIMUM_COUNT if cut else sru.EXACT_COUNT


def _service_sort(keys: tuple[SortKey, ...]) -> str:
    """The service's sort for CQL sortBy / sortKeys keys; raises Diagnostic."""
    if not keys:
        return "relevance"
    if len(keys) > 1:
        raise Diagnostic(84, f"at most one sort key is supported, not {len(keys)}", details="1")
    key = keys[0]
    if key.index not in _SORTABLE:
        raise Diagnostic(88, f"cannot sort by {key.index!r}; sortable: {', '.join(sorted(_SORTABLE))}",
                         details=SRU_DEFAULT_MAP.get(key.index) or key.index)
    sort = _SORTS.get((key.index, key.ascending))
    if sort is None:
        raise Diagnostic(90, f"{key.index} sorts ascending only", details="descending")
    return sort


def _partner_diagnostics(result: SearchResult) -> tuple[Diagnostic | None, Diagnostic | None]:
    """(fatal, warning): partners that did not answer, never shown as zero hits."""
    failed = [s for s in result.statuses if s.status != OK]
    if not failed:
        return None, None
    listing = "; ".join(f"{s.partner_id}: {s.status}" + (f" ({s.diagnostic})" if s.diagnostic else "")
                        for s in failed)
    if len(failed) < len(result.statuses):
        return None, Diagnostic(59, f"partial result: {len(failed)} of {len(result.statuses)} partners did not "
                                    f"answer: {listing}", details=",".join(s.partner_id for s in failed))
    if all(s.status == UNSUPPORTED for s in failed):
        reason = failed[0].diagnostic or ""
        named = _QUOTED_RE.search(reason)
        return Diagnostic(_unsupported_number(reason), f"no partner could answer: {listing}",
                          details=named.group(1) if named else None), None
    return Diagnostic(2, f"no partner could answer: {listing}"), None


def _unsupported_number(message: str) -> int:
    """The SRU diagnostic a partner's "unsupported" status stands for."""
    found = _SRU_DIAGNOSTIC_RE.search(message)
    if found:
        return int(found.group(1))
    lowered = message.lower()
    if lowered.startswith("relation"):
        return 19
    if "modifier" in lowered:
        return 20
    if lowered.startswith("boolean"):
        return 37
    return 16 if "index" in lowered or "not supported" in lowered else 48


def _scan_query(index: str, term: str):
    if index == "year":
        if not term.isdigit():
            raise Diagnostic(36, f"a year scan starts at a year, not {term!r}", details=term)
        return Clause(index, ">=", term)
    return Clause(index, "=", term + "*")


def _scan_terms(merged: list[MergedRecord], index: str, term: str, params: sru.ScanParams) -> list[sru.ScanTerm]:
    """Distinct values of `index` over the merged records, in folded order, positioned at `term`."""
    counts: dict[str, int] = defaultdict(int)
    shown: dict[str, str] = {}
    for m in merged:
        for key in {fold(v) or v for v in _SCAN_VALUES[index](m) if v}:
            counts[key] += 1
        for v in _SCAN_VALUES[index](m):
            shown.setdefault(fold(v) or v, v)
    keys = sorted(counts)
    wanted = fold(term) or term
    at = bisect.bisect_left(keys, wanted)
    if params.position == 0:
        start = at + (1 if at < len(keys) and keys[at] == wanted else 0)
    else:
        start = max(0, at - params.position + 1)
    return [sru.ScanTerm(shown[k], counts[k]) for k in keys[start:start + params.maximum]]


def sru_router(service: SearchService) -> APIRouter:
    """The /sru route (GET and POST) of the gateway app."""
    server = SRUServer(service)
    router = APIRouter()

    async def sru_endpoint(request: Request):
        items = await sru.form_items(request)
        if items is None:
            return sru.not_a_form(request.headers.get("content-type", ""))
        req = sru.read_request(items, default_version=DEFAULT_VERSION,
                               base_url=str(request.base_url).rstrip("/"), path=request.url.path)
        try:
            return sru.xml_response(await server.respond(req))
        except Exception:  # a bug of ours: still an SRU answer (1/1), with the HTTP status it deserves
            log.exception("SRU request failed: %s", req.params)
            req.diagnostics = [Diagnostic(1, "internal error of the gateway; see its log")]
            return sru.xml_response(sru.error_response(req), status_code=500)

    for method in ("GET", "POST"):
        router.add_api_route("/sru", sru_endpoint, methods=[method], response_class=Response,
                             operation_id=f"sru_{method.lower()}",
                             summary=f"SRU 1.1/1.2/2.0 over {method}: explain, searchRetrieve, scan (merged records)",
                             responses={200: {"content": {"application/xml": {}}}})
    return router
