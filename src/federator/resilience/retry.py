"""Retries of transient partner failures with tenacity (F12): full-jitter exponential backoff,
only for the kinds in TRANSIENT_KINDS (connect errors, resets, HTTP 429/502/503/504), never
sooner than the partner asked (Retry-After), and never a try that could not start comfortably
before the search deadline (so a partner asking for a pause longer than the time left is not
asked again in this search)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.stop import stop_base

from federator.config import RetrySettings
from federator.errors import TRANSIENT_KINDS, PartnerError

__all__ = ["MIN_ATTEMPT_SECONDS", "is_transient", "retrying", "stop_before_deadline"]

T = TypeVar("T")

# A try with less time than this before the deadline would only time out: not worth starting.
MIN_ATTEMPT_SECONDS = 0.05


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, PartnerError) and exc.kind in TRANSIENT_KINDS


class stop_before_deadline(stop_base):  # noqa: N801 - named like tenacity's own stop conditions
    """Stop when the wait plus a minimal try would reach `deadline_at` (time.monotonic)."""

    def __init__(self, deadline_at: float, min_attempt: float = MIN_ATTEMPT_SECONDS):
        self.deadline_at = deadline_at
        self.min_attempt = min_attempt

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + (retry_state.upcoming_sleep or 0) + self.min_attempt >= self.deadline_at


async def retrying(call: Callable[[], Awaitable[T]], *, settings: RetrySettings, attempts: int, deadline_at: float,
                   on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    """`await call()`, tried up to `attempts` times while it fails transiently; the last error
    is re-raised as it was. `on_retry(error, wait)` hears about each retry."""
    # The first try runs outside tenacity: most partner searches succeed at once, and building
    # and driving tenacity's controller costs ~70 us of CPU per search (about 40 % of a partner
    # guard's own cost). Only after a transient failure does tenacity take over; its first
    # "attempt" replays that failure, so waits, stops and attempt counts are exactly as if it
    # had run from the start.
    try:
        return await call()
    except Exception as exc:
        if attempts <= 1 or not is_transient(exc):
            raise
        first: BaseException | None = exc

    async def replay_then_call() -> T:
        nonlocal first
        if first is not None:
            failed, first = first, None
            raise failed
        return await call()

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            on_retry(state.outcome.exception(), state.upcoming_sleep)

    jitter = wait_random_exponential(multiplier=settings.backoff, max=settings.max_backoff)

    def wait(state: RetryCallState) -> float:
        asked = getattr(state.outcome.exception(), "retry_after", None) if state.outcome else None
        return max(jitter(state), asked or 0.0)

    controller = AsyncRetrying(
        stop=stop_after_attempt(attempts) | stop_before_deadline(deadline_at),
        wait=wait,
        retry=retry_if_exception(is_transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    return await controller(replay_then_call)
