"""Capture what the gateway logs, as `federator serve` writes it (JSON lines), during a block.

    with json_logs() as lines:
        client.get("/search", ...)
    records = lines()          # the JSON objects logged so far
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from federator.api.ops import JSONFormatter

__all__ = ["json_logs"]


@contextmanager
def json_logs(level: int = logging.INFO) -> Iterator[Callable[[], list[dict]]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
