"""Run an ASGI app with uvicorn on a free 127.0.0.1 port in a background thread, for tests that
need a real HTTP round trip.

    from tests.support.servers import serve_app

    with serve_app(app) as base_url:       # e.g. "http://127.0.0.1:40123"
        httpx.get(f"{base_url}/health")

    # an app that must know its own URL (the gateway, for its '{gateway}' demo partners):
    with serve_app(factory=lambda url: create_app(gateway_url=url)) as base_url:
        ...

Start-up and shutdown are bounded in time; the listening socket is bound before the server
starts, so there is no race for the port.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

__all__ = ["ServerError", "free_port", "serve_app"]


class ServerError(RuntimeError):
    """The test server did not start (or stop) in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (prefer serve_app, which keeps the socket bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(app: Any = None, *, factory: Callable[[str], Any] | None = None, host: str = "127.0.0.1",
              startup_timeout: float = 15.0, shutdown_timeout: float = 10.0, lifespan: str = "auto",
              log_level: str = "warning") -> Iterator[str]:
    """Serve `app` (or `factory(base_url)`) until the block ends; yields the base URL
    ("http://127.0.0.1:<port>")."""
    if (app is None) == (factory is None):
        raise TypeError("give exactly one of app and factory")
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and
    # without it every keep-alive answer waits 40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    if factory is not None:
        try:
            app = factory(f"http://{host}:{port}")
        except BaseException:
            sock.close()
            raise
    config = uvicorn.Config(app, host=host, port=port, lifespan=lifespan, log_level=log_level,
                            access_log=False, timeout_graceful_shutdown=max(1, int(shutdown_timeout / 2)))
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-test-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise ServerError(f"test server on port {port} failed to start: {failure[0] if failure else 'exited'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(shutdown_timeout)
            sock.close()
            raise ServerError(f"test server on port {port} did not start within {startup_timeout} s")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(2)
        sock.close()
        if thread.is_alive():
            raise ServerError(f"test server on port {port} did not stop within {shutdown_timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Stop a server process started by a test: SIGTERM, then SIGKILL if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


SLOW_PARTNER = "pusnas-demo"  # holds every Indonesian-language record, so it shares many with the others
SLOW_MS = 1200


def with_slow_demo_partner(settings, partner_id: str = SLOW_PARTNER, latency_ms: int = SLOW_MS):
    """The settings with one bundled demo partner answering `latency_ms` later than the others:
    the slow library of the streaming tests (the `slow_gateway` fixture)."""
    partners = [p.model_copy(update={"demo": p.demo.model_copy(update={"latency_ms": latency_ms})})
                if p.id == partner_id else p for p in settings.partners]
    return settings.model_copy(update={"partners": partners})
