"""Operations (F22): health and readiness, Prometheus metrics, structured logs with a request
id, per-client rate limiting and the token-guarded admin endpoints.

- `GET /health` answers while the process runs; `GET /ready` once the service has started
  (503 before and while shutting down), with every partner's circuit-breaker state.
- `GET /metrics`: the Prometheus text format (federator.resilience.metrics).
- `POST /admin/reload` re-reads the configuration file; `POST /admin/partners/{id}/resume` closes
  a partner's breaker. Both need `Authorization: Bearer <token>`, the token being the value of
  the environment variable named by `ops.admin_token_env`; unset, the endpoints are disabled.
- `RequestContextMiddleware` (pure ASGI, outermost of the app's own middleware): takes or makes
  the request id (X-Request-ID in and out), applies the rate limit, counts and times each
  request by route, and writes one JSON access-log line.
- `logging_config` makes every log line one JSON object carrying the request id, with
  partner credentials redacted.
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
import math
import os
import re
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path as P, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federator import __version__
from federator.api.errors import error_body
from federator.api.responses import JSONResponse
from federator.config import RateLimitSettings, load_settings
from federator.errors import ConfigError, FederatorError
from federator.resilience import CONTENT_TYPE, redact
from federator.service import SearchService

__all__ = ["JSONFormatter", "RateLimiter", "RequestContextMiddleware", "logging_config", "ops_router", "request_id"]

log = logging.getLogger("federator.ops")
access_log = logging.getLogger("federator.access")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("federator_request_id", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Not rate limited: probes, scrapes, and the bundled demo partners (which the gateway itself calls).
EXEMPT_PREFIXES = ("/health", "/ready", "/metrics", "/demo/")


Auth = Annotated[str | None, Header(description="Bearer <admin token>", max_length=1024)]


class AdminError(FederatorError):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


# --- endpoints -------------------------------------------------------------------------------------


def ops_router(service: SearchService, *, config_path: Path | None) -> APIRouter:
    """Health, readiness, metrics and admin routes for `service`. `config_path` is the file
    /admin/reload reads (None: the gateway was given its settings in memory, nothing to reload)."""
    router = APIRouter()

    @router.get("/health", summary="Liveness: the process answers", tags=["operations"])
    async def health():
        return {"status": "ok", "version": __version__}

    @router.get("/ready", summary="Readiness: the service has started; partner breaker states",
                tags=["operations"], responses={503: {"description": "Not started yet, or shutting down"}})
    async def ready():
        breakers = {pid: b.snapshot() for pid, b in service.breakers.items()}
        body = {"status": "ready" if service.started else "starting",
                "partners": len(service.guards),
                "suspended": sorted(pid for pid, b in breakers.items() if b["state"] != "closed"),
                "breakers": breakers}
        return JSONResponse(body, status_code=200 if service.started else 503)

    @router.get("/metrics", summary="Prometheus metrics", tags=["operations"],
                responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}})
    async def metrics():
        return Response(service.metrics.exposition(), media_type=CONTENT_TYPE)

    def authorise(authorization: str | None) -> None:
        env = service.settings.ops.admin_token_env
        token = os.environ.get(env, "")
        if not token:
            raise AdminError(403, "admin_disabled", f"admin endpoints are disabled: set ${env} to enable them")
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise AdminError(401, "unauthorised", "a valid 'Authorization: Bearer <admin token>' header is needed")

    admin_responses: dict[int | str, dict[str, Any]] = {
        401: {"description": "Missing or wrong admin token"}, 403: {"description": "Admin endpoints disabled"}}

    @router.post("/admin/reload", summary="Re-read the partner configuration", tags=["admin"],
                 responses={**admin_responses, 409: {"description": "No configuration file to read"},
                            422: {"description": "The configuration file is invalid; the old one stays"}})
    async def reload(authorization: Auth = None):
        authorise(authorization)
        if config_path is None:
            raise AdminError(409, "no_config_file", "this gateway was given its configuration in memory")
        try:
            settings = load_settings(config_path)
        except ConfigError as exc:
            raise AdminError(422, "invalid_configuration", str(exc)) from exc
        changes = await service.reload(settings)
        log.info("configuration reloaded", extra={"config": str(config_path), **changes})
        return {"status": "reloaded", "config": str(config_path), **changes}

    @router.post("/admin/partners/{partner_id}/resume", summary="End a partner's suspension now",
                 tags=["admin"], responses={**admin_responses, 404: {"description": "No such partner"}})
    async def resume(partner_id: Annotated[str, P(max_length=100)], authorization: Auth = None):
        authorise(authorization)
        pid = partner_id
        breaker = service.breakers.get(pid)
        if breaker is None:
            raise AdminError(404, "not_found", f"no enabled partner {pid!r}")
        breaker.reset()
        log.info("partner resumed", extra={"partner": pid})
        return {"partner": pid, "breaker": breaker.snapshot()}

    return router


def install_admin_errors(app) -> None:
    @app.exception_handler(AdminError)
    async def _admin(request: Request, exc: AdminError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.kind, exc.message), status_code=exc.status, headers=headers)


# --- rate limiting ---------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket per client: `burst` at once, refilled at `requests_per_minute`. The
    least recently seen clients are forgotten beyond `max_clients`, so memory stays bounded."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, when)

    def take(self, client: str, limits: RateLimitSettings) -> float:
        """0 when the request may go ahead, else the seconds until it could."""
        rate = limits.requests_per_minute / 60.0
        if rate <= 0:
            return 0.0
        now = self.clock()
        tokens, when = self.buckets.pop(client, (float(limits.burst), now))
        tokens = min(float(limits.burst), tokens + (now - when) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        self.buckets[client] = (tokens, now)
        while len(self.buckets) > limits.max_clients:
            self.buckets.popitem(last=False)
        return wait


# --- the middleware --------------------------------------------------------------------------------


class RequestContextMiddleware:
    """Request id, rate limit, metrics and access log for every HTTP request."""

    def __init__(self, app: ASGIApp, service: SearchService):
        self.app = app
        self.service = service
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        given = headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = [500]
        path = scope.get("path", "")
        accounted = [False]

        def account() -> None:
            # Once per request, just before the last byte of the answer is handed over: a
            # client that has the whole answer finds the request in /metrics and in the log.
            if accounted[0]:
                return
            accounted[0] = True
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            metrics = self.service.metrics
            metrics.http_requests.labels(route, scope.get("method", ""), str(status[0])).inc()
            metrics.http_latency.labels(route).observe(elapsed)
            if not path.startswith("/demo/"):
                access_log.info("request", extra={
                    "method": scope.get("method"), "path": path,
                    "query": scope.get("query_string", b"").decode("latin-1")[:500],
                    "status": status[0], "duration_ms": round(elapsed * 1000, 1),
                    "client": (scope.get("client") or ("", 0))[0]})

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                account()
            await send(message)

        try:
            limits = self.service.settings.ops.rate_limit
            wait = 0.0 if path.startswith(EXEMPT_PREFIXES) else self.limiter.take(self._client(scope, headers, limits),
                                                                                   limits)
            if wait > 0:
                self.service.metrics.rate_limited.inc()
                retry = max(1, math.ceil(wait))
                response = JSONResponse(
                    error_body("rate_limited", f"too many requests; try again in {retry} s"),
                    status_code=429, headers={"Retry-After": str(retry)})
                await response(scope, receive, send_with_id)
            else:
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    log.exception("unhandled error", extra={"path": path})
                    if status[0] == 500:  # nothing sent yet (or a 500 begun): answer it ourselves
                        response = JSONResponse(error_body("internal", "internal error", request_id=rid),
                                                status_code=500)
                        await response(scope, receive, send_with_id)
        finally:
            account()  # no complete answer went out (client gone, error): still counted and logged
            request_id.reset(token)

    @staticmethod
    def _client(scope: Scope, headers: dict[str, str], limits: RateLimitSettings) -> str:
        if limits.client_header:
            named = headers.get(limits.client_header.lower(), "").split(",")[0].strip()
            if named:
                return named[:100]
        return (scope.get("client") or ("unknown", 0))[0]


def _route_label(scope: Scope) -> str:
    """The route template (never the raw path: ids would explode the metric's label set)."""
    if scope.get("path", "").startswith("/demo/"):
        return "/demo"
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


# --- logs ------------------------------------------------------------------------------------------

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName",
                                                                               "color_message"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = request_id.get()
        if rid:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        return redact(super().format(record) + (f" [request {rid}]" if rid else ""))


def logging_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A logging.config.dictConfig for the gateway: every logger (uvicorn's too) through one
    stderr handler, as JSON lines or text. uvicorn applies it in each worker process."""
    formatter = {"()": JSONFormatter} if fmt == "json" else {
        "()": TextFormatter, "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"federator": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "federator",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},  # our access log replaces it
            "httpx": {"level": "WARNING"},  # one line per partner request is noise
        },
    }
