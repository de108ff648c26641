"""The FastAPI application: JSON search API, record permalinks, partner directory (F14, F18),
and the operations endpoints (federator.api.ops: /health, /ready, /metrics, /admin).

The bundled demo partner catalogs are mounted under /demo when the configuration has any, and
are reached by the gateway over real HTTP like any remote partner. Endpoints read the settings
from the service, so POST /admin/reload takes effect at once (demo catalogs mounted at start
stay as they are). No request can choose where the gateway connects: partners are picked by
configured id only, and unknown query parameters are refused on every endpoint.
"""

from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import StreamingResponse

from federator import __version__
from federator.api import errors, ops, stream, views
from federator.api.examples import examples_router
from federator.api.params import SearchRequest, search_params
from federator.api.sru import sru_router
from federator.api.responses import JSONResponse
from federator.config import Settings, config_path as resolve_config_path, load_settings
from federator.errors import UnsupportedParameterError
from federator.service import SearchService


def create_app(settings: Settings | None = None, *, gateway_url: str | None = None,
               config_path: str | FilePath | None = None) -> FastAPI:
    """Build the gateway app. `gateway_url` is this server's own base URL (for '{gateway}'
    endpoints, i.e. the bundled demo partners); $FEDERATOR_GATEWAY_URL, else port 8000.
    Without `settings` the configuration file is read (`config_path`, $FEDERATOR_CONFIG, else
    the demo one) and POST /admin/reload reads it again; given `settings`, only a given
    `config_path` can be reloaded."""
    if settings is None:
        config_path = resolve_config_path(config_path)
        settings = load_settings(config_path)
    elif config_path is not None:
        config_path = FilePath(config_path)
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
    ops.install_admin_errors(app)
    app.add_middleware(ops.RequestContextMiddleware, service=service)
    app.include_router(ops.ops_router(service, config_path=config_path))
    no_parameters = Depends(_no_parameters)
    app.include_router(sru_router(service))
    app.include_router(examples_router(no_parameters))

    demo_partners = [p for p in settings.partners if p.demo is not None]
    if demo_partners:
        from federator.demo.sru_app import create_demo_app
        app.mount("/demo", create_demo_app(demo_partners))

    search_request = Depends(search_params(service, settings))

    @app.get("/search", summary="Federated search")
    async def search(req: SearchRequest = search_request):
        started = time.perf_counter()
        result = await service.search(req.query, req.partners)
        # a Response skips FastAPI's jsonable_encoder walk over the page: orjson encodes it directly
        return JSONResponse(views.search_page(result, service.settings, sort=req.sort, page=req.page,
                                              page_size=req.page_size,
                                              elapsed_ms=round((time.perf_counter() - started) * 1000, 1)))

    @app.get("/search/stream", summary="Federated search, streamed as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}, "description": stream.EVENTS_DOC}})
    async def search_stream(req: SearchRequest = search_request):
        return stream.response(service, service.settings, req)

    @app.get("/records/{record_id}", summary="A merged record by its stable id", dependencies=[no_parameters])
    async def record(record_id: Annotated[str, Path(max_length=300)]):
        settings = service.settings
        merged, statuses = await service.record(record_id)
        if merged is None:
            return JSONResponse(errors.error_body("not_found", f"no partner holds record {record_id!r} now",
                                                  partners=[views.status(s) for s in statuses]),
                                status_code=404)
        return JSONResponse(views.record_detail(merged, settings))

    @app.get("/partners", summary="The partner directory", dependencies=[no_parameters])
    async def partner_directory():
        return views.directory(service.settings)

    @app.get("/partners/{partner_id}", summary="One partner library", dependencies=[no_parameters])
    async def partner(partner_id: Annotated[str, Path(max_length=100)]):
        found = service.settings.partner(partner_id)
        if found is None:
            return JSONResponse(errors.error_body("not_found", f"no partner {partner_id!r}"), status_code=404)
        return views.partner(found)

    @app.get("/", include_in_schema=False)
    async def root():
        return {"service": settings.title, "version": __version__,
                "endpoints": {"search": "/search?q=...", "record": "/records/{id}",
                              "partners": "/partners", "sru": "/sru", "openapi": "/openapi.json", "docs": "/docs",
                              "health": "/health", "ready": "/ready", "metrics": "/metrics",
                              "stream": "/search/stream?q=...", "example_page": "/examples/stream#q=..."}}

    return app


async def _no_parameters(request: Request) -> None:  # async: no thread-pool hop (see params.py)
    if request.query_params:
        raise UnsupportedParameterError(
            f"unknown parameter(s): {', '.join(sorted(request.query_params))}; this endpoint takes none")
