"""GET /search/stream through real HTTP: event order and content, and a slow partner whose
records arrive after the others' and are merged into the page already sent."""

from __future__ import annotations

import json
import time

import httpx

from tests.support.servers import SLOW_MS
from tests.support.servers import SLOW_PARTNER as SLOW


def read_events(base: str, **params) -> list[tuple[str, dict, float]]:
    """(event name, data, seconds since the request) for every event of one stream."""
    events = []
    started = time.perf_counter()
    with httpx.stream("GET", f"{base}/search/stream", params=params, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:]), time.perf_counter() - started))
    return events


def test_event_order_and_content(slow_gateway):
    base, settings = slow_gateway
    events = read_events(base, q="jawa", page_size=10)
    names = [name for name, _, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    assert names.count("done") == 1
    partner_events = [data for name, data, _ in events if name == "partner"]
    assert sorted(p["id"] for p in partner_events) == sorted(p.id for p in settings.partners)
    # a records event follows each partner that brought records, before the next partner event
    for i, (name, data, _) in enumerate(events):
        if name == "partner" and data["fetched"]:
            assert events[i + 1][0] == "records"
    start = events[0][1]
    assert {p["id"] for p in start["partners"]} == {p.id for p in settings.partners}
    done = events[-1][1]
    for key in ("records", "facets", "partners", "total"):
        assert key in done
    with httpx.Client(base_url=base, timeout=30) as client:
        plain = client.get("/search", params={"q": "jawa", "page_size": 10}).json()
    assert [r["id"] for r in plain["records"]] == [r["id"] for r in done["records"]]
    # records events grow monotonically in partners done
    done_counts = [data["partners_done"] for name, data, _ in events if name == "records"]
    assert done_counts == sorted(done_counts)


def test_slow_partner_records_merge_into_the_page_already_sent(slow_gateway):
    base, _ = slow_gateway
    events = read_events(base, q="indonesia", page_size=100)
    arrival = {data["id"]: t for name, data, t in events if name == "partner"}
    assert max(arrival, key=arrival.get) == SLOW
    first_records = next((data, t) for name, data, t in events if name == "records")
    # early results: the first page is out long before the slow partner answers
    assert first_records[1] < arrival[SLOW] - SLOW_MS / 1000 / 2
    before = {r["id"]: r for name, data, t in events if name == "records" and t < arrival[SLOW]
              for r in data["records"]}
    final = {r["id"]: r for r in events[-1][1]["records"]}
    grown = [rid for rid, r in final.items()
             if rid in before and SLOW in {p["id"] for p in r["partners"]}
             and SLOW not in {p["id"] for p in before[rid]["partners"]}]
    assert grown, "no record already sent gained the slow partner's holdings"
    rid = grown[0]
    assert len(final[rid]["holdings"]) > len(before[rid]["holdings"])
    # the records event after the slow partner names the records it changed, the grown one too
    slow_records = next(data for name, data, t in events if name == "records" and t >= arrival[SLOW])
    assert rid in slow_records["changed"]
    assert slow_records["changed"] == sorted(slow_records["changed"])


def test_stream_errors_are_4xx_before_streaming(slow_gateway):
    base, _ = slow_gateway
    response = httpx.get(f"{base}/search/stream", params={"cql": "title = (x"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["position"]


def test_a_repeated_stream_is_served_from_the_cache(slow_gateway):
    base, settings = slow_gateway
    read_events(base, q="bahasa")
    started = time.perf_counter()
    events = read_events(base, q="bahasa")
    assert time.perf_counter() - started < SLOW_MS / 1000  # the slow partner is not asked again
    assert [n for n, _, _ in events].count("partner") == len(settings.partners)
    assert events[-1][0] == "done"
