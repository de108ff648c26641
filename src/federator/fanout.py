"""Concurrent fan-out of one query to many partners, under a per-search deadline (F1, F10).

Every partner ends as data, never as an exception: a PartnerOutcome with its status
(ok / timeout / error / unsupported), hits, records fetched, elapsed time, diagnostic and the
native query sent. Outcomes are yielded as partners finish, so callers can stream them; at the
deadline every partner still running is cancelled and reported as `timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from federator.config import Partner
from federator.connector import Connector
from federator.errors import PartnerError, PartnerTimeout, PartnerUnsupported
from federator.query.model import Query
from federator.records.model import Holding, Record

log = logging.getLogger(__name__)

OK = "ok"
TIMEOUT = "timeout"
ERROR = "error"
UNSUPPORTED = "unsupported"
SUSPENDED = "suspended"


@dataclass(slots=True)
class PartnerStatus:
    """How one partner did in one search; shown to users with every answer."""

    partner_id: str
    name: str
    status: str = OK
    hits: int | None = None  # what the partner reports; None when it did not answer
    fetched: int = 0  # records received and normalised
    skipped: int = 0  # records received that could not be normalised
    elapsed_ms: float = 0.0
    diagnostic: str | None = None
    native_query: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PartnerOutcome:
    status: PartnerStatus
    records: list[Record] = field(default_factory=list)


async def run_partner(partner: Partner, connector: Connector, query: Query, *, limit: int,
                      deadline_at: float) -> PartnerOutcome:
    """One partner's search, bounded by its own timeout and the search deadline."""
    st = PartnerStatus(partner.id, partner.name)
    started = time.perf_counter()
    try:
        st.native_query = connector.translate(query)
    except PartnerUnsupported as exc:
        st.status, st.diagnostic = UNSUPPORTED, exc.message
        return PartnerOutcome(st)
    budget = min(partner.timeout, deadline_at - time.monotonic())
    try:
        if budget <= 0:
            raise TimeoutError
        async with asyncio.timeout(budget):
            fetch = await connector.search(query, limit=min(limit, partner.max_records))
    except TimeoutError:
        st.status = TIMEOUT
        st.diagnostic = f"no answer within {budget:.1f} s"
    except PartnerError as exc:
        st.status = exc.status
        st.diagnostic = exc.message
        if isinstance(exc, PartnerTimeout) and not st.diagnostic:
            st.diagnostic = "timed out"
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a connector bug must not fail the search: it is this partner's error
        log.exception("connector %s failed", partner.id)
        st.status = ERROR
        st.diagnostic = f"internal error in {partner.protocol} connector: {type(exc).__name__}: {exc}"
    else:
        st.hits = fetch.hits
        st.fetched = len(fetch.records)
        st.skipped = fetch.skipped
        st.warnings = list(fetch.warnings)
        st.native_query = fetch.native_query or st.native_query
        return _finish(st, started, fetch.records)
    return _finish(st, started, [])


def _finish(st: PartnerStatus, started: float, records: list[Record]) -> PartnerOutcome:
    # A record in a partner's catalog means the partner holds the title, even when its format
    # carries no item data (Dublin Core never does): list it with availability unknown.
    for record in records:
        if not record.holdings:
            record.holdings.append(Holding(record.partner_id))
    st.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return PartnerOutcome(st, records)


async def fan_out(targets: Sequence[tuple[Partner, Connector]], query: Query, *, deadline: float,
                  limit: int) -> AsyncIterator[PartnerOutcome]:
    """Yield each partner's outcome as it finishes; at `deadline` seconds the rest as timeouts."""
    deadline_at = time.monotonic() + deadline
    started = time.perf_counter()
    tasks = {
        asyncio.ensure_future(run_partner(p, c, query, limit=limit, deadline_at=deadline_at)): p
        for p, c in targets
    }
    pending = set(tasks)
    try:
        while pending:
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                break
            done, pending = await asyncio.wait(pending, timeout=remaining,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        for task in pending:
            task.cancel()
            partner = tasks[task]
            yield PartnerOutcome(PartnerStatus(
                partner.id, partner.name, status=TIMEOUT, elapsed_ms=elapsed,
                diagnostic=f"no answer within the search deadline of {deadline:g} s"))
    finally:
        # Also reached when the consumer stops early (client gone): leave no task running.
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
