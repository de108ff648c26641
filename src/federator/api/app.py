"""The FastAPI application: JSON search API, record permalinks, partner directory (F14, F18).

The bundled demo partner catalogs are mounted under /demo when the configuration has any, and
are reached by the gateway over real HTTP like any remote partner.
"""

from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Path, Query as Q, Request

from federator import __version__
from federator.api import errors, views
from federator.api.sru import sru_router
from federator.api.responses import JSONResponse
from federator.config import Settings, load_settings
from federator.errors import UnsupportedParameterError
from federator.query.params import query_from_params
from federator.service import SORTS, SearchService

SEARCH_PARAMS = frozenset({
    "q", "cql", "title", "author", "subject", "isbn", "issn", "year_from", "year_to", "language",
    "format", "partners", "network", "sort", "page", "page_size",
})


def create_app(settings: Settings | None = None, *, gateway_url: str | None = None) -> FastAPI:
    """Build the gateway app. `gateway_url` is this server's own base URL (for '{gateway}'
    endpoints, i.e. the bundled demo partners); $FEDERATOR_GATEWAY_URL, else port 8000."""
    settings = settings or load_settings()
    gateway_url = gateway_url or os.environ.get("FEDERATOR_GATEWAY_URL", "http://127.0.0.1:8000")
    service = SearchService(settings, gateway_url=gateway_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(
        title=settings.title,
        version=__version__,
        description="Federated union-catalog search: one live search over the partner libraries' "
                    "catalogs, deduplicated into merged records that list every holding library.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    app.state.service = service
    app.state.settings = settings
    errors.install(app)
    app.include_router(sru_router(service, settings))

    demo_partners = [p for p in settings.partners if p.demo is not None]
    if demo_partners:
        from federator.demo.sru_app import create_demo_app
        app.mount("/demo", create_demo_app(demo_partners))

    @app.get("/search", summary="Federated search")
    async def search(
        request: Request,
        q: Annotated[str | None, Q(description="Keywords, searched in all indexes")] = None,
        cql: Annotated[str | None, Q(description="A CQL 1.2 query (ANDed with the other parameters)")] = None,
        title: Annotated[str | None, Q(description="Title words")] = None,
        author: Annotated[str | None, Q(description="Author words")] = None,
        subject: Annotated[str | None, Q(description="Subject words")] = None,
        isbn: Annotated[str | None, Q(description="ISBN-10 or ISBN-13")] = None,
        issn: Annotated[str | None, Q(description="ISSN")] = None,
        year_from: Annotated[int | None, Q(ge=0, le=9999, description="Earliest year of publication")] = None,
        year_to: Annotated[int | None, Q(ge=0, le=9999, description="Latest year of publication")] = None,
        language: Annotated[str | None, Q(description="Language code (ISO 639-2), e.g. ind")] = None,
        format: Annotated[str | None, Q(description="Material type, e.g. book, serial")] = None,
        partners: Annotated[str | None, Q(description="Comma-separated partner ids (default: all)")] = None,
        network: Annotated[str | None, Q(description="Only partners in this network/region")] = None,
        sort: Annotated[str, Q(description=f"One of {', '.join(SORTS)}")] = "relevance",
        page: Annotated[int, Q(ge=1, le=10000, description="Page number, from 1")] = 1,
        page_size: Annotated[int | None, Q(ge=1, description="Merged records per page")] = None,
    ):
        _reject_unknown(request, SEARCH_PARAMS)
        limits = settings.search
        text_len = sum(len(v) for v in (q, cql, title, author, subject) if v)
        if text_len > limits.max_query_length:
            raise UnsupportedParameterError(
                f"query too long: {text_len} characters (at most {limits.max_query_length})")
        if sort not in SORTS:
            raise UnsupportedParameterError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        size = page_size or limits.default_page_size
        if size > limits.max_page_size:
            raise UnsupportedParameterError(f"page_size {size} is over the maximum {limits.max_page_size}")
        query = query_from_params(q=q, cql=cql, title=title, author=author, subject=subject,
                                  isbn=isbn, issn=issn, year_from=year_from, year_to=year_to,
                                  language=language, format=format)
        chosen = service.select(_split(partners), network)
        started = time.perf_counter()
        result = await service.search(query, chosen)
        return views.search_page(result, settings, sort=sort, page=page, page_size=size,
                                 elapsed_ms=round((time.perf_counter() - started) * 1000, 1))

    @app.get("/records/{record_id}", summary="A merged record by its stable id")
    async def record(record_id: Annotated[str, Path(max_length=300)]):
        merged, statuses = await service.record(record_id)
        if merged is None:
            return JSONResponse(errors.error_body("not_found", f"no partner holds record {record_id!r} now",
                                                  partners=[views.status(s) for s in statuses]),
                                status_code=404)
        return views.record_detail(merged, settings)

    @app.get("/partners", summary="The partner directory")
    async def partner_directory():
        return views.directory(settings)

    @app.get("/partners/{partner_id}", summary="One partner library")
    async def partner(partner_id: str):
        found = settings.partner(partner_id)
        if found is None:
            return JSONResponse(errors.error_body("not_found", f"no partner {partner_id!r}"), status_code=404)
        return views.partner(found)

    @app.get("/", include_in_schema=False)
    async def root():
        return {"service": settings.title, "version": __version__,
                "endpoints": {"search": "/search?q=...", "record": "/records/{id}",
                              "partners": "/partners", "sru": "/sru", "openapi": "/openapi.json", "docs": "/docs"}}

    return app


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _reject_unknown(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise UnsupportedParameterError(
            f"unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
