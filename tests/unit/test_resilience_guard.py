"""federator.resilience.guard and .retry: the layers around a connector. Faults come from a
scripted connector (what it raises, how long it takes); the happy path uses the real SRU
connector against yaz-ztest."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from federator.config import BreakerSettings, Partner, ResilienceSettings, RetrySettings
from federator.connector import Fetch
from federator.errors import PartnerError, PartnerSuspended, PartnerTimeout
from federator.query.cql import parse_cql
from federator.resilience import CircuitBreaker, Metrics, PartnerGuard, register_partner_secrets
from federator_connectors.sru import SRUConnector

QUERY = parse_cql("dc.title = 3")


class Scripted:
    """A connector that plays a script: each search takes the next step (an exception to
    raise, or seconds to sleep before answering)."""

    protocol = "scripted"

    def __init__(self, *steps):
        self.steps = list(steps)
        self.calls = 0

    def translate(self, query) -> str:
        return "native"

    async def search(self, query, *, limit):
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        await asyncio.sleep(step)
        return Fetch(native_query="native", hits=1)

    async def close(self):
        pass


def guard(connector, *, timeout=5.0, attempts=3, backoff=0.01, threshold=3, metrics=None, **partner):
    resilience = ResilienceSettings(retry=RetrySettings(attempts=attempts, backoff=backoff, max_backoff=backoff * 4),
                                    breaker=BreakerSettings(failure_threshold=threshold))
    p = Partner(id="p", name="P", endpoint="http://127.0.0.1:9/sru", timeout=timeout, **partner)
    return PartnerGuard(p, connector, resilience=resilience, breaker=CircuitBreaker("p", resilience.breaker),
                        metrics=metrics)


def soon(seconds: float = 2.0) -> float:
    return time.monotonic() + seconds


def refused():
    return PartnerError("connection refused", kind="connect")


async def test_transient_failures_are_retried():
    metrics = Metrics()
    connector = Scripted(refused(), PartnerError("HTTP 503", kind="unavailable"), 0)
    g = guard(connector, metrics=metrics)
    fetch = await g.search(QUERY, limit=10, deadline_at=soon())
    assert connector.calls == 3
    assert fetch.warnings == ["answered on try 3 after transient failures"]
    assert metrics.partner_retries.labels("p")._value.get() == 2
    assert metrics.partner_outcomes.labels("p", "ok")._value.get() == 1


@pytest.mark.parametrize("error", [PartnerError("HTTP 500", kind="http"), PartnerError("garbage", kind="malformed"),
                                   PartnerTimeout("slow")])
async def test_other_failures_are_not_retried(error):
    connector = Scripted(error, 0)
    with pytest.raises(PartnerError) as info:
        await guard(connector).search(QUERY, limit=10, deadline_at=soon())
    assert connector.calls == 1
    assert info.value is error and "tries" not in info.value.message


async def test_retries_give_up_with_the_tries_named():
    connector = Scripted(refused())
    with pytest.raises(PartnerError, match=r"connection refused \(after 3 tries\)") as info:
        await guard(connector).search(QUERY, limit=10, deadline_at=soon())
    assert info.value.kind == "connect" and connector.calls == 3


async def test_retries_never_pass_the_deadline():
    connector = Scripted(refused())
    started = time.monotonic()
    with pytest.raises(PartnerError) as info:
        await guard(connector, attempts=10, backoff=0.2).search(QUERY, limit=10, deadline_at=soon(0.3))
    assert time.monotonic() - started < 0.3
    assert info.value.kind == "connect"  # the last real error, not a timeout of our making
    assert 1 <= connector.calls < 10


async def test_budget_is_the_partner_timeout_or_the_deadline():
    with pytest.raises(PartnerTimeout, match=r"within 0\.2 s \(the partner's timeout\)"):
        await guard(Scripted(5), timeout=0.2).search(QUERY, limit=10, deadline_at=soon())
    started = time.monotonic()
    with pytest.raises(PartnerTimeout, match=r"\(the search deadline\)"):
        await guard(Scripted(5)).search(QUERY, limit=10, deadline_at=soon(0.3))
    assert time.monotonic() - started < 0.3  # ends just before the deadline, to report it
    with pytest.raises(PartnerTimeout, match="no time left"):
        await guard(Scripted(0)).search(QUERY, limit=10, deadline_at=time.monotonic())


async def test_a_connector_bug_is_the_partners_error():
    with pytest.raises(PartnerError, match="internal error in sru connector: KeyError") as info:
        await guard(Scripted(KeyError("oops"))).search(QUERY, limit=10, deadline_at=soon())
    assert info.value.kind == "error"


async def test_breaker_suspends_without_asking_and_counts_it():
    metrics = Metrics()
    connector = Scripted(PartnerError("HTTP 500", kind="http"))
    g = guard(connector, threshold=2, metrics=metrics)
    for _ in range(2):
        with pytest.raises(PartnerError):
            await g.search(QUERY, limit=10, deadline_at=soon())
    with pytest.raises(PartnerSuspended) as info:
        await g.search(QUERY, limit=10, deadline_at=soon())
    assert connector.calls == 2
    assert info.value.status == "suspended" and info.value.retry_at > time.time()
    assert metrics.partner_outcomes.labels("p", "suspended")._value.get() == 1
    assert metrics.partner_errors.labels("p", "http")._value.get() == 2
    assert g.breaker.state == "open"


async def test_cancelled_early_is_no_verdict():
    g = guard(Scripted(5), threshold=1)
    task = asyncio.ensure_future(g.search(QUERY, limit=10, deadline_at=soon(5)))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert g.breaker.state == "closed" and g.breaker.failures == 0


async def test_credentials_are_redacted_from_diagnostics():
    register_partner_secrets("leaky", "librarian", "s3cr3t-pass", None)
    with pytest.raises(PartnerError) as info:
        await guard(Scripted(PartnerError("login librarian/s3cr3t-pass refused", kind="auth"))).search(
            QUERY, limit=10, deadline_at=soon())
    assert "s3cr3t-pass" not in info.value.message and "librarian" not in info.value.message
    assert "[redacted]" in info.value.message


async def test_real_connector_through_the_guard(sru_ztest):
    metrics = Metrics()
    async with httpx.AsyncClient() as http:
        partner = Partner(id="ztest", name="yaz-ztest", endpoint=sru_ztest)
        g = PartnerGuard(partner, SRUConnector(partner, http=http, gateway_url=""), metrics=metrics)
        fetch = await g.search(QUERY, limit=10, deadline_at=soon(5))
    assert fetch.hits == 3 and len(fetch.records) == 3 and not fetch.warnings
    assert metrics.partner_latency.labels("ztest")._sum.get() > 0


async def test_a_retry_waits_as_long_as_the_partner_asked():
    connector = Scripted(PartnerError("HTTP 503", kind="unavailable", retry_after=0.4), 0)
    g = guard(connector, backoff=0.001)
    started = time.monotonic()
    fetch = await g.search(QUERY, limit=10, deadline_at=soon())
    assert connector.calls == 2 and fetch.warnings == ["answered on try 2 after transient failures"]
    assert time.monotonic() - started >= 0.4  # not the 1-4 ms backoff: the pause it asked for


async def test_a_pause_past_the_deadline_is_not_waited_for_and_suspends_the_partner():
    connector = Scripted(PartnerError("HTTP 429", kind="unavailable", retry_after=30), 0)
    g = guard(connector, backoff=0.001)
    started = time.monotonic()
    with pytest.raises(PartnerError) as info:
        await g.search(QUERY, limit=10, deadline_at=soon(1.0))
    assert connector.calls == 1 and info.value.kind == "unavailable"
    assert time.monotonic() - started < 0.9  # it answered at once instead of sleeping to the deadline
    with pytest.raises(PartnerSuspended):  # the next search does not ask it before the 30 s are over
        await g.search(QUERY, limit=10, deadline_at=soon())
    assert connector.calls == 1
