"""'Why were these merged', through the API: a merged record of the bundled demo partners, read
back at GET /records/{id} over real HTTP, says for every member which match joined it (rule,
scores, explanation) and for every display field which member gave it and why."""

from __future__ import annotations

import httpx
import pytest

from federator.api.app import create_app
from federator.config import load_settings
from tests.support.servers import serve_app

RULES = {"isbn", "lccn", "oclc", "issn+title", "fuzzy"}


@pytest.fixture(scope="module")
def gateway():
    settings = load_settings()
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client, settings


def _merged_record(client: httpx.Client) -> dict:
    """The detail of a merged record with two or more members from a demo search."""
    for q in ("indonesia", "sejarah", "history"):
        response = client.get("/search", params={"q": q, "page_size": 100})
        assert response.status_code == 200, response.text
        for summary in response.json()["records"]:
            if len({h["partner"] for h in summary["holdings"]}) < 2:
                continue
            detail = client.get(summary["links"]["self"])
            assert detail.status_code == 200, detail.text
            body = detail.json()
            if len(body["merge"]["members"]) >= 2:
                return body
    pytest.fail("no merged record with two or more members in the demo searches")


def test_merged_record_explains_every_member_and_field(gateway):
    client, settings = gateway
    body = _merged_record(client)
    merge = body["merge"]
    members = merge["members"]
    keys = {m["key"] for m in members}
    assert len(keys) == len(members) >= 2

    # one match per member after the first, each between two members, with a known rule
    assert len(merge["evidence"]) == len(members) - 1
    for e in merge["evidence"]:
        assert {e["member"], e["matched_to"]} <= keys and e["member"] != e["matched_to"]
        assert e["rule"] in RULES
        assert e["explanation"]
        assert isinstance(e["scores"], dict)
        if e["rule"] == "fuzzy":
            assert "title" in e["scores"]
    # every member says how it matched the others (the matches form one connected group)
    for m in members:
        assert m["matched"], m["key"]
        for link in m["matched"]:
            assert link["with"] in keys and link["rule"] in RULES and link["explanation"]
    reached, frontier = set(), [members[0]["key"]]
    by_key = {m["key"]: m for m in members}
    while frontier:
        k = frontier.pop()
        if k not in reached:
            reached.add(k)
            frontier.extend(link["with"] for link in by_key[k]["matched"])
    assert reached == keys

    # every display field says which member gave it and why
    assert "title" in merge["provenance"]
    for name in ("authors", "isbns", "publisher", "year"):
        if body[name]:
            assert name in merge["provenance"], name
    for name, src in merge["provenance"].items():
        assert src["reason"], name
        assert src["member"] in keys or (src["member"] == "" and src["reason"] == "union of all members"), (name, src)
        if src["member"]:
            assert src["partner_id"] == src["member"].split(":", 1)[0]
    # and holdings from every member's partner are listed
    assert {m["partner_id"] for m in members} <= {h["partner"] for h in body["holdings"]}

    # the same in plain lines a librarian can read
    why = merge["why"]
    assert why[0].startswith(f"{len(members)} records of one edition")
    assert sum(" matched " in line for line in why) == len(members) - 1
    names = {p.id: p.name for p in settings.partners}
    assert any(names[m["partner_id"]] in why[0] for m in members)
    assert any(line.startswith("title") for line in why)
