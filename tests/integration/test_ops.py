"""Operations endpoints and middleware through real HTTP (federator.api.ops): health and
readiness, Prometheus metrics, request ids, JSON logs, rate limiting, the admin token and
configuration reload."""

from __future__ import annotations

import httpx
import pytest
import yaml

from federator.api.app import create_app
from federator.config import PROJECT_CONFIG, load_settings
from federator.demo.sru_app import demo_catalog
from tests.support.logs import json_logs
from tests.support.servers import serve_app

TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="module", autouse=True)
def demo_loaded():
    for partner in load_settings().partners:
        demo_catalog(partner).load()


@pytest.fixture(scope="module")
def gateway():
    with serve_app(factory=lambda url: create_app(load_settings(), gateway_url=url)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


def test_health_and_ready(gateway):
    assert gateway.get("/health").json() == {"status": "ok", "version": gateway.get("/").json()["version"]}
    ready = gateway.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["suspended"] == []
    assert set(body["breakers"]) == {p.id for p in load_settings().partners}
    assert all(b["state"] == "closed" for b in body["breakers"].values())


def test_metrics_per_partner(gateway):
    gateway.get("/search", params={"q": "history"})
    response = gateway.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    for partner in load_settings().partners:
        assert f'federator_partner_requests_total{{partner="{partner.id}"}}' in text
        assert f'federator_partner_outcomes_total{{partner="{partner.id}",status="ok"}}' in text
        assert f'federator_partner_latency_seconds_bucket{{le="0.5",partner="{partner.id}"}}' in text
        assert f'federator_partner_breaker_state{{partner="{partner.id}"}} 0.0' in text
    assert 'federator_http_requests_total{method="GET",route="/search",status="200"}' in text
    assert "federator_searches_total" in text


def test_request_id_in_and_out(gateway):
    given = gateway.get("/health", headers={"X-Request-ID": "abc.123-XYZ"})
    assert given.headers["x-request-id"] == "abc.123-XYZ"
    made = gateway.get("/health").headers["x-request-id"]
    assert len(made) == 32
    for bad in ("bad id with spaces", "x" * 200, "<script>"):
        replaced = gateway.get("/health", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert replaced != bad and len(replaced) == 32
    error = gateway.get("/search", params={"bogus": "1"}, headers={"X-Request-ID": "err-1"})
    assert error.status_code == 400 and error.headers["x-request-id"] == "err-1"


def test_json_logs_carry_the_request_id(gateway):
    with json_logs() as logged:
        gateway.get("/search", params={"q": "perl programming"}, headers={"X-Request-ID": "log-test-1"})
    lines = logged()
    access = [x for x in lines if x["logger"] == "federator.access" and x.get("request_id") == "log-test-1"]
    assert access and access[0]["path"] == "/search" and access[0]["status"] == 200
    partners = [x for x in lines if x["logger"] == "federator.partners" and x.get("request_id") == "log-test-1"]
    assert {x["partner"] for x in partners} == {p.id for p in load_settings().partners}, lines
    assert all(x["level"] == "info" and x["ts"].endswith("Z") for x in partners)


def test_rate_limit_answers_429_with_retry_after():
    settings = load_settings()
    ops = settings.ops.model_copy(update={"rate_limit": settings.ops.rate_limit.model_copy(
        update={"requests_per_minute": 6, "burst": 3})})
    limited = settings.model_copy(update={"ops": ops})
    with serve_app(factory=lambda url: create_app(limited, gateway_url=url)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            codes = [client.get("/partners").status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            refused = client.get("/partners")
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 10
            assert refused.json()["error"]["type"] == "rate_limited"
            assert client.get("/health").status_code == 200  # probes are never limited
            # the gateway's own calls to its demo partners are not limited either
            body = client.get("/metrics").text
            assert "federator_rate_limited_total 2.0" in body
            other = client.get("/partners", headers={"X-Request-ID": "x"})
            assert other.status_code == 429


def test_rate_limit_by_forwarded_client():
    settings = load_settings()
    rate = settings.ops.rate_limit.model_copy(update={"requests_per_minute": 1, "burst": 1,
                                                      "client_header": "X-Forwarded-For"})
    limited = settings.model_copy(update={"ops": settings.ops.model_copy(update={"rate_limit": rate})})
    with serve_app(factory=lambda url: create_app(limited, gateway_url=url)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            def get(client_ip):
                return client.get("/partners", headers={"X-Forwarded-For": f"{client_ip}, 10.0.0.1"}).status_code
            assert [get("192.0.2.1"), get("192.0.2.1"), get("192.0.2.2")] == [200, 429, 200]


@pytest.fixture
def config_file(tmp_path):
    data = yaml.safe_load(PROJECT_CONFIG.read_text())
    path = tmp_path / "federator.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path, data


def test_admin_endpoints_need_the_token(config_file, monkeypatch):
    path, _ = config_file
    monkeypatch.delenv("FEDERATOR_ADMIN_TOKEN", raising=False)
    with serve_app(factory=lambda url: create_app(gateway_url=url, config_path=path)) as base:
        disabled = httpx.post(f"{base}/admin/reload")
        assert disabled.status_code == 403 and "FEDERATOR_ADMIN_TOKEN" in disabled.json()["error"]["message"]
        monkeypatch.setenv("FEDERATOR_ADMIN_TOKEN", TOKEN)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": f"Bearer {TOKEN}x"}):
            refused = httpx.post(f"{base}/admin/reload", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{base}/admin/reload").status_code == 405


def test_admin_reload_changes_the_partners(config_file, monkeypatch):
    path, data = config_file
    monkeypatch.setenv("FEDERATOR_ADMIN_TOKEN", TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serve_app(factory=lambda url: create_app(gateway_url=url, config_path=path)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            before = {p["id"] for p in client.get("/partners").json()["partners"]}
            removed = data["partners"][-1]["id"]
            data["partners"] = data["partners"][:-1]
            data["partners"][0]["name"] = "Renamed library"
            path.write_text(yaml.safe_dump(data, allow_unicode=True))
            answer = client.post("/admin/reload", headers=auth)
            assert answer.status_code == 200, answer.text
            assert answer.json()["removed"] == [removed] and answer.json()["added"] == []
            after = client.get("/partners").json()["partners"]
            assert {p["id"] for p in after} == before - {removed}
            assert after[0]["name"] == "Renamed library"
            body = client.get("/search", params={"q": "indonesia"}).json()
            assert removed not in {p["id"] for p in body["partners"]}
            assert client.get("/search", params={"q": "x", "partners": removed}).status_code == 400
            assert removed not in client.get("/ready").json()["breakers"]
            # ... and the SRU endpoint serves the reloaded directory too
            explain = client.get("/sru", params={"version": "1.2", "operation": "explain"}).text
            assert f"to {len(before) - 1} partner libraries" in explain and removed not in explain
            sru = client.get("/sru", params={"version": "1.2", "operation": "searchRetrieve",
                                             "query": "dc.title=indonesia", "x-partners": removed})
            assert "info:srw/diagnostic/1/" in sru.text and removed in sru.text

            path.write_text("partners: [{id: 'Bad Id', name: x, endpoint: y}]")
            invalid = client.post("/admin/reload", headers=auth)
            assert invalid.status_code == 422 and "invalid" in invalid.json()["error"]["message"]
            assert {p["id"] for p in client.get("/partners").json()["partners"]} == before - {removed}


def test_reload_without_a_file_and_resume(monkeypatch):
    monkeypatch.setenv("FEDERATOR_ADMIN_TOKEN", TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    settings = load_settings()
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        assert httpx.post(f"{base}/admin/reload", headers=auth).status_code == 409
        pid = settings.partners[0].id
        resumed = httpx.post(f"{base}/admin/partners/{pid}/resume", headers=auth)
        assert resumed.status_code == 200 and resumed.json()["breaker"]["state"] == "closed"
        assert httpx.post(f"{base}/admin/partners/nobody/resume", headers=auth).status_code == 404
