"""A real Redis server (Debian `redis-server`) on a free loopback port, for the shared cache tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port, stop_process


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(workdir: Path, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run redis-server until the block ends (no persistence, loopback only); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run the test command (scripts/test.sh), "
                           "which installs the Debian package redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _ping(port):
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {proc.stdout.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {port} within {startup_timeout} s")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)
