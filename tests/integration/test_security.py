"""Hostile input gets nowhere (issue 6): no request can make the gateway contact an address that
is not a configured partner, a partner cannot redirect it elsewhere, and partner credentials
never appear in answers, logs or metrics, even when a hostile partner echoes them back."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse

import httpx
import pytest

from federator.api.app import create_app
from federator.config import Credentials, Partner, load_settings
from federator.demo.sru_app import demo_catalog
from tests.support.hostile import HostileServer
from tests.support.logs import json_logs
from tests.support.servers import serve_app

USER, PASSWORD = "katalog-user", "Sup3r-s3cret-pa55word"


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(hostile):
    mp = pytest.MonkeyPatch()
    mp.setenv("HOSTILE_SRU_USER", USER)
    mp.setenv("HOSTILE_SRU_PASSWORD", PASSWORD)
    creds = Credentials(user_env="HOSTILE_SRU_USER", password_env="HOSTILE_SRU_PASSWORD")
    extra = [Partner(id="echo", name="Echoing partner", endpoint=hostile.url("echo-auth"), credentials=creds),
             Partner(id="redirecting", name="Redirecting partner", endpoint=hostile.url("redirect"), credentials=creds),
             Partner(id="xxe", name="XXE partner", endpoint=hostile.url("xxe"))]
    base = load_settings()
    for partner in base.partners:
        demo_catalog(partner).load()
    settings = base.model_copy(update={"partners": [*base.partners, *extra],
                                       "search": base.search.model_copy(update={"cache_ttl": 0, "deadline": 3})})
    try:
        with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as url:
            with httpx.Client(base_url=url, timeout=30) as client:
                yield client
    finally:
        mp.undo()


def secrets_in(text: str) -> list[str]:
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return [s for s in (PASSWORD, encoded, urllib.parse.quote(PASSWORD)) if s in text]


def test_credentials_never_leave_the_gateway(gateway, hostile):
    with json_logs(logging.DEBUG) as logged:
        answer = gateway.get("/search", params={"q": "indonesia", "partners": "unr-jakarta,echo,redirecting"})
        stream_answer = gateway.get("/search/stream", params={"q": "perl", "partners": "echo"})
    log_text = json.dumps(logged())
    assert hostile.auth_seen and PASSWORD in hostile.auth_seen[-1]  # the partner did get the password
    echo = next(p for p in answer.json()["partners"] if p["id"] == "echo")
    assert echo["status"] == "error" and echo["error_kind"] == "auth"
    assert "[redacted]" in echo["diagnostic"]  # what the partner echoed, masked
    for text in (answer.text, stream_answer.text, log_text, gateway.get("/metrics").text,
                 gateway.get("/partners").text, gateway.get("/partners/echo").text, gateway.get("/ready").text,
                 gateway.get("/openapi.json").text):
        assert secrets_in(text) == [], text[:500]


def test_partner_redirects_are_not_followed(gateway, hostile):
    before = hostile.hits["canary"]
    body = gateway.get("/search", params={"q": "x", "partners": "redirecting"}).json()
    status = body["partners"][0]
    assert status["status"] == "error" and "302" in status["diagnostic"]
    assert hostile.hits["canary"] == before == 0


def test_nothing_in_a_request_chooses_an_address(gateway, hostile):
    canary = f"http://127.0.0.1:{hostile.port}/canary"
    attempts = [
        ("/search", {"q": "x", "partners": canary}),
        ("/search", {"q": "x", "partners": f"unr-jakarta,{canary}"}),
        ("/search", {"q": "x", "network": canary}),
        ("/search", {"q": "x", "endpoint": canary}),
        ("/search", {"q": "x", "url": canary}),
        ("/search", {"cql": f'dc.identifier = "{canary}"', "partners": "unr-jakarta"}),
        ("/search", {"cql": f'> dc = "{canary}" dc.title = x', "partners": "unr-jakarta"}),
        ("/search/stream", {"q": "x", "partners": canary}),
        (f"/records/rec-{urllib.parse.quote(canary, safe='')}~1", {}),
        ("/records/isbn-9780670026623", {"partners": canary}),
        (f"/partners/{urllib.parse.quote(canary, safe='')}", {}),
        ("/sru", {"version": "1.2", "operation": "searchRetrieve", "query": "dc.title=x", "x-partners": canary}),
        ("/sru", {"version": "1.2", "operation": "searchRetrieve", "query": "dc.title=x", "x-target": canary}),
    ]
    for path, params in attempts:
        response = gateway.get(path, params=params, headers={
            "Host": f"127.0.0.1:{hostile.port}", "X-Forwarded-Host": f"127.0.0.1:{hostile.port}",
            "Forwarded": f"host=127.0.0.1:{hostile.port}"})
        assert response.status_code < 500, (path, params, response.text)
    assert hostile.hits["canary"] == 0


def test_xxe_from_a_partner_reads_and_fetches_nothing(gateway, hostile):
    body = gateway.get("/search", params={"q": "x", "partners": "xxe"}).text
    assert "root:x:0:0" not in body and hostile.hits["canary"] == 0


def test_configuration_refuses_credentials_in_an_endpoint():
    with pytest.raises(ValueError, match="must not hold credentials"):
        Partner(id="p", name="P", endpoint="https://user:secret@opac.example/sru")
    assert Partner(id="p", name="P", endpoint="https://opac.example/sru?x=a@b").endpoint  # '@' after the host is fine


def test_nothing_in_the_directory_names_a_secret(gateway):
    directory = json.dumps(gateway.get("/partners").json())
    assert "password" not in directory.lower() and "HOSTILE_SRU_PASSWORD" not in directory
