"""The one place where federator's errors become HTTP answers (JSON API)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError

from federator.api.responses import JSONResponse
from federator.errors import QueryError
from federator.service import RecordIdError

_TYPES = {
    10: "query_syntax",
    16: "unsupported_index",
    19: "unsupported_relation",
    8: "unsupported_parameter",
}


def error_body(kind: str, message: str, **extra) -> dict:
    return {"error": {"type": kind, "message": message, **{k: v for k, v in extra.items() if v is not None}}}


def install(app: FastAPI) -> None:
    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError):
        return JSONResponse(error_body(_TYPES.get(exc.diagnostic, "query_error"), exc.message,
                                       position=exc.position, details=exc.details,
                                       diagnostic=f"info:srw/diagnostic/1/{exc.diagnostic}"),
                            status_code=400)

    @app.exception_handler(RecordIdError)
    async def _record_id(request: Request, exc: RecordIdError):
        return JSONResponse(error_body("bad_record_id", str(exc)), status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {err.get('msg')}")
        return JSONResponse(error_body("invalid_parameter", "; ".join(problems)), status_code=400)
