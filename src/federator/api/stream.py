"""GET /search/stream: a federated search as server-sent events (F11).

Users see early results instead of a blank page while a slow partner answers: one `partner`
event as each partner finishes, a `records` event with the updated first page whenever records
arrive (merged incrementally into what was already sent), and a final `done` event with the
same body as GET /search. See docs/streaming.md for the event reference and an example.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import orjson
from fastapi.responses import StreamingResponse

from federator.api import views
from federator.api.params import SearchRequest
from federator.config import Settings
from federator.rank import rank
from federator.service import SearchService

EVENTS_DOC = (
    "Server-sent events: `start` (query, partners asked, deadline), `partner` (one per partner as "
    "it finishes: its status), `records` (after each partner that brought records: total so far "
    "and the current first page, merged and ranked), `done` (the same body as GET /search). "
    "Record ids in a page may change between events when a later partner's record merges two "
    "clusters or brings an identifier: replace the page, do not append."
)


def response(service: SearchService, settings: Settings, req: SearchRequest) -> StreamingResponse:
    return StreamingResponse(events(service, settings, req), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _event(name: str, data: dict, seq: int) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, name.encode(), orjson.dumps(data))


async def events(service: SearchService, settings: Settings, req: SearchRequest) -> AsyncIterator[bytes]:
    started = time.perf_counter()
    seq = 0

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    yield _event("start", {"query": {"cql": req.query.text, "sort": req.sort},
                           "partners": [{"id": p.id, "name": p.name} for p in req.partners],
                           "deadline": settings.search.deadline}, seq)
    key = (req.query.text, tuple(p.id for p in req.partners))
    cached = await service.lookup(key, req.query)
    if cached is not None:
        for st in cached.statuses:
            seq += 1
            yield _event("partner", views.status(st), seq)
        yield _event("done", views.search_page(cached, settings, sort=req.sort, page=req.page,
                                               page_size=req.page_size, elapsed_ms=elapsed()), seq + 1)
        return
    done = 0
    async for step in service.progress(req.query, req.partners):
        seq += 1
        if step.result is not None:
            yield _event("done", views.search_page(step.result, settings, sort=req.sort, page=req.page,
                                                   page_size=req.page_size, elapsed_ms=elapsed()), seq)
            return
        done += 1
        yield _event("partner", {**views.status(step.outcome.status), "elapsed_search_ms": elapsed()}, seq)
        if step.outcome.records:
            seq += 1
            ranked = rank(step.clusterer.merged(), req.query, sort=req.sort)
            editions = {w.id: len(w.edition_ids) for w in step.clusterer.works()}
            start = (req.page - 1) * req.page_size
            yield _event("records", {
                "total": len(ranked),
                "partners_done": done,
                "partners_total": len(req.partners),
                "page": req.page,
                "page_size": req.page_size,
                "records": [views.record_summary(m, settings, editions=editions.get(m.work_id, 1))
                            for m in ranked[start:start + req.page_size]],
                "changed": step.changed,
                "elapsed_ms": elapsed(),
            }, seq)
