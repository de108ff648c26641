"""The example OPAC page on the streaming API (/examples/stream), in headless Chromium against a
real gateway: results show while a slow library is still searching, the slow library's records
join the list already shown, a failed library and a refused query are shown as such, and markup
in a partner's record data stays text and runs nothing."""

from __future__ import annotations

import httpx
import pytest

from federator.api.app import create_app
from federator.config import Partner, load_settings
from tests.support.browser import chromium
from tests.support.hostile import MARKUP, HostileServer
from tests.support.servers import SLOW_PARTNER as SLOW
from tests.support.servers import serve_app


# What the page shows at one moment: each library's status, and each result's id with the
# libraries listed as holding it.
SNAPSHOT = """() => ({
    state: document.querySelector('#state').dataset.state,
    text: document.querySelector('#state').textContent,
    partners: Object.fromEntries([...document.querySelectorAll('#partners li')]
        .map(li => [li.dataset.partner, li.dataset.status])),
    items: Object.fromEntries([...document.querySelectorAll('#results li')]
        .map(li => [li.dataset.id, [...li.querySelectorAll('.held [data-partner]')].map(s => s.dataset.partner)])),
})"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.problems = []  # script errors and failed loads: the page must have none
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    yield page
    page.close()


@pytest.fixture(scope="module")
def hostile_gateway():
    with HostileServer() as server:
        extra = [Partner(id="hostile-markup", name="Markup library", endpoint=server.url("markup"), timeout=10),
                 Partner(id="gone", name="Closed library", endpoint=server.refused_url, timeout=10)]
        base_settings = load_settings()
        settings = base_settings.model_copy(update={"partners": [*base_settings.partners, *extra]})
        with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
            yield base


def test_results_show_early_and_the_slow_library_joins_the_list_shown(slow_gateway, page):
    base, settings = slow_gateway
    page.goto(f"{base}/examples/stream#q=indonesia&page_size=100")
    # the first moment results are on the page
    first = page.wait_for_function(f"() => document.querySelector('#results li') && ({SNAPSHOT})()",
                                   polling="raf", timeout=20_000).json_value()
    assert first["partners"][SLOW] == "waiting", "results should show before the slow library answers"
    assert first["state"] == "partial" and "libraries answered" in first["text"]
    assert any(status == "ok" for status in first["partners"].values())

    page.wait_for_selector('#state[data-state="done"]', timeout=20_000)
    final = page.evaluate(SNAPSHOT)
    assert set(final["partners"].values()) == {"ok"}
    grown = [rid for rid, held in final["items"].items()
             if rid in first["items"] and SLOW in held and SLOW not in first["items"][rid]]
    assert grown, "no result already shown gained the slow library's holding"
    # what the page shows at the end is what GET /search answers
    body = httpx.get(f"{base}/search", params={"q": "indonesia", "page_size": 100}, timeout=30).json()
    assert list(final["items"]) == [r["id"] for r in body["records"]]
    n = len(settings.partners)
    assert final["text"].startswith(f"{body['total']} records from {n} of {n} libraries")
    assert page.problems == []


def test_markup_in_record_data_is_shown_as_text_and_runs_nothing(hostile_gateway, page):
    base = hostile_gateway
    page.goto(f"{base}/examples/stream#q=street")
    page.wait_for_selector('#state[data-state="done"]', timeout=20_000)
    results = page.text_content("#results")
    assert MARKUP + "E Street shuffle" in results  # the hostile partner's title, character for character
    assert page.query_selector("#results img") is None and page.query_selector("#results b") is None
    assert page.evaluate("window.__pwned") is None
    assert page.problems == []


def test_a_failed_library_is_named_and_the_others_still_answer(hostile_gateway, page):
    base = hostile_gateway
    page.goto(f"{base}/examples/stream#q=sejarah")
    page.wait_for_selector('#state[data-state="done"]', timeout=20_000)
    shown = page.evaluate(SNAPSHOT)
    assert shown["partners"]["gone"] == "error"
    assert shown["partners"]["pusnas-demo"] == "ok" and shown["items"]
    notices = page.text_content("#notices")
    assert "results may be incomplete" in notices and "Closed library (error)" in notices
    assert page.problems == []


def test_a_refused_query_shows_the_gateways_message(slow_gateway, page):
    base, _ = slow_gateway
    too_long = "sejarah " * 300  # over the default max_query_length of 2000 characters
    expected = httpx.get(f"{base}/search", params={"q": too_long}, timeout=30)
    assert expected.status_code == 400
    page.goto(f"{base}/examples/stream#{httpx.QueryParams({'q': too_long})}")
    page.wait_for_selector('#state[data-state="error"]', timeout=20_000)
    assert page.text_content("#state") == expected.json()["error"]["message"]
    assert page.query_selector("#results li") is None


def test_the_page_is_served_with_a_strict_content_security_policy(slow_gateway):
    base, _ = slow_gateway
    with httpx.Client(base_url=base, timeout=30) as client:
        for path, kind in (("/examples/stream", "text/html"), ("/examples/stream.js", "text/javascript"),
                           ("/examples/stream.css", "text/css")):
            response = client.get(path)
            assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert response.headers["x-content-type-options"] == "nosniff"
        refused = client.get("/examples/stream", params={"q": "x"})
        assert refused.status_code == 400 and "takes none" in refused.json()["error"]["message"]
        assert client.get("/").json()["endpoints"]["example_page"] == "/examples/stream#q=..."
