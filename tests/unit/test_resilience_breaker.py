"""federator.resilience.breaker: suspension by failure kind, probing back, doubling, snapshot."""

from __future__ import annotations

import pytest

from federator.config import BreakerSettings
from federator.errors import PartnerSuspended
from federator.resilience import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def breaker(**settings) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    return CircuitBreaker("p", BreakerSettings(**settings), clock=clock), clock


def test_opens_after_threshold_consecutive_failures():
    b, clock = breaker(failure_threshold=3)
    for _ in range(2):
        assert b.admit() is False
        b.failed("connect", "refused")
    assert b.state == CLOSED
    b.failed("connect", "refused")
    assert b.state == OPEN and b.kind == "connect"
    assert b.retry_at == clock.now + 60  # the default suspension for connect errors
    with pytest.raises(PartnerSuspended) as info:
        b.admit()
    assert info.value.retry_at == b.retry_at
    assert "3 failed searches in a row" in info.value.message and "refused" in info.value.message
    assert "next try at 2023-11-14T22:14:20Z" in info.value.message


def test_an_answer_resets_the_count():
    b, _ = breaker(failure_threshold=2)
    b.failed("timeout", "slow")
    b.failed("unsupported", "no ISBN index")  # the partner answered: it is alive
    b.failed("timeout", "slow")
    assert b.state == CLOSED and b.failures == 1


@pytest.mark.parametrize("kind, seconds", [("timeout", 30), ("auth", 600), ("too_large", 300), ("malformed", 120)])
def test_suspension_depends_on_the_kind(kind, seconds):
    b, clock = breaker(failure_threshold=1)
    b.failed(kind, "x")
    assert b.retry_at - clock.now == seconds


def test_configured_suspension_overrides_one_kind_and_keeps_the_others():
    settings = BreakerSettings(suspension={"timeout": 5})
    assert settings.suspension["timeout"] == 5 and settings.suspension["connect"] == 60
    with pytest.raises(ValueError, match="unknown failure kind"):
        BreakerSettings(suspension={"sunspots": 5})


def test_probe_closes_on_success_and_doubles_on_failure():
    b, clock = breaker(failure_threshold=1, suspension={"timeout": 10}, max_suspension=25)
    b.failed("timeout", "slow")
    clock.now += 10
    assert b.admit() is True and b.state == HALF_OPEN  # this search is the probe
    with pytest.raises(PartnerSuspended, match="probe search"):
        b.admit()  # others wait while it probes
    b.failed("timeout", "slow again")
    assert b.state == OPEN and b.retry_at == clock.now + 20 and "probe failed" in b.reason
    clock.now += 20
    assert b.admit() is True
    b.failed("timeout", "still slow")
    assert b.retry_at == clock.now + 25  # capped by max_suspension
    clock.now += 25
    assert b.admit() is True
    b.succeeded()
    assert b.state == CLOSED and b.failures == 0 and b.level == 0 and b.retry_at is None
    assert b.admit() is False


def test_abandoned_probe_lets_the_next_search_probe():
    b, clock = breaker(failure_threshold=1)
    b.failed("reset", "dropped")
    clock.now += 30
    assert b.admit() is True
    b.abandoned()
    assert b.state == OPEN
    assert b.admit() is True


def test_disabled_breaker_never_suspends():
    b, _ = breaker(enabled=False, failure_threshold=1)
    for _ in range(5):
        b.failed("connect", "refused")
        assert b.admit() is False


def test_snapshot():
    b, _ = breaker(failure_threshold=1)
    assert b.snapshot()["state"] == "closed"
    b.failed("http", "HTTP 500")
    snap = b.snapshot()
    assert snap["state"] == "open" and snap["kind"] == "http" and snap["retry_at"].endswith("Z")


def test_a_partner_asking_for_a_pause_is_kept_out_until_then_however_few_failures():
    b, clock = breaker(failure_threshold=3)
    b.failed("unavailable", "HTTP 503 and asks to wait 120 s", retry_after=120)
    assert b.state == OPEN and b.retry_at == clock.now + 120  # the partner's pause, not the kind's 30 s
    with pytest.raises(PartnerSuspended) as info:
        b.admit()
    assert "asked for a pause of 120 s" in info.value.message
    clock.now += 120
    assert b.admit() is True  # the probe, once the pause is over
    b.succeeded()
    assert b.state == CLOSED


def test_a_pause_longer_than_the_suspension_wins_and_the_maximum_still_bounds_it():
    b, clock = breaker(failure_threshold=1, max_suspension=600)
    b.failed("unavailable", "HTTP 503", retry_after=300)
    assert b.retry_at == clock.now + 300  # longer than the 30 s for `unavailable`
    b2, clock2 = breaker(failure_threshold=1, max_suspension=600)
    b2.failed("unavailable", "HTTP 429", retry_after=86400)
    assert b2.retry_at == clock2.now + 600


def test_a_pause_asked_by_a_partner_that_answered_is_not_a_failure():
    b, _ = breaker()
    b.failed("diagnostic", "query diagnostic", retry_after=60)  # not a sign the partner is unwell
    assert b.state == CLOSED
