"""The time the current partner search has left, for code that can stop by itself.

The guard sets it around a connector's search; a protocol client reads it to give its own
I/O timeouts (httpx connect/read/write/pool) that budget, so a slow partner usually ends with
the client's own timeout, cleanly, instead of a cancellation from outside, which some
libraries do not survive (httpcore can leave a cancelled connection in its pool). The guard's
cancellation stays as the backstop.
"""

from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager

__all__ = ["COOPERATIVE_MARGIN", "budget", "time_left"]

# A client's own timeout is set this much before the guard would cancel it.
COOPERATIVE_MARGIN = 0.015

_ends_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("federator_partner_budget", default=None)


@contextmanager
def budget(seconds: float):
    """Within the block, time_left() counts down from `seconds` (less the margin)."""
    token = _ends_at.set(time.monotonic() + seconds - COOPERATIVE_MARGIN)
    try:
        yield
    finally:
        _ends_at.reset(token)


def time_left() -> float | None:
    """Seconds the current partner search has left; None outside a guarded search."""
    ends = _ends_at.get()
    return None if ends is None else ends - time.monotonic()
