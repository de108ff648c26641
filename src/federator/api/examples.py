"""/examples/stream: a runnable example OPAC results page on GET /search/stream (issue 7).

Frontend developers open it on any running gateway (`/examples/stream#q=sejarah`) and copy it:
partner statuses as each library answers, the first results as soon as the fastest one has,
later libraries' records merged into the list already shown (docs/streaming.md). The page, its
script and its style are package files served as they are, under a Content-Security-Policy that
allows this origin's script and style only: no inline script runs, so even a page that set
record data as HTML (this one sets it as text) would not run markup from a partner's catalog.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, params
from fastapi.responses import Response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_FILES = {  # path under /examples -> (package file, media type)
    "/examples/stream": ("stream.html", "text/html; charset=utf-8"),
    "/examples/stream.js": ("stream.js", "text/javascript; charset=utf-8"),
    "/examples/stream.css": ("stream.css", "text/css; charset=utf-8"),
}


def examples_router(no_parameters: params.Depends) -> APIRouter:
    """The example's files, each refusing query parameters like every other endpoint."""
    router = APIRouter()
    static = files("federator.api") / "static"
    for path, (name, media_type) in _FILES.items():
        router.add_api_route(path, _endpoint((static / name).read_bytes(), media_type), methods=["GET"],
                             include_in_schema=False, dependencies=[no_parameters])
    return router


def _endpoint(body: bytes, media_type: str):
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "public, max-age=300"}

    async def serve() -> Response:
        return Response(body, media_type=media_type, headers=headers)

    return serve
