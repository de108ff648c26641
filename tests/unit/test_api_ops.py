"""federator.api.ops without a server: the token bucket, JSON log lines, the logging config."""

from __future__ import annotations

import json
import logging
import logging.config

from federator.api.ops import JSONFormatter, RateLimiter, logging_config, request_id
from federator.config import RateLimitSettings
from federator.resilience import register_partner_secrets


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_token_bucket():
    clock = Clock()
    limiter = RateLimiter(clock)
    limits = RateLimitSettings(requests_per_minute=60, burst=2)
    assert [limiter.take("a", limits) for _ in range(2)] == [0, 0]
    assert limiter.take("a", limits) == 1.0  # one per second refills
    assert limiter.take("b", limits) == 0  # per client
    clock.now += 0.5
    assert limiter.take("a", limits) == 0.5
    clock.now += 10
    assert limiter.take("a", limits) == 0 and limiter.take("a", limits) == 0  # refilled to the burst, no more
    assert limiter.take("a", limits) > 0


def test_rate_limit_off_and_bounded_memory():
    limiter = RateLimiter(Clock())
    assert all(limiter.take("a", RateLimitSettings()) == 0 for _ in range(1000))  # 0 per minute: off
    limits = RateLimitSettings(requests_per_minute=10, max_clients=100)
    for i in range(1000):
        limiter.take(f"client-{i}", limits)
    assert len(limiter.buckets) == 100 and "client-999" in limiter.buckets


def test_json_lines_with_request_id_extras_and_redaction():
    register_partner_secrets("ops-test", "opsuser", "ops-pass-xyz", None)
    record = logging.LogRecord("federator.partners", logging.WARNING, __file__, 1,
                               "login %s failed", ("ops-pass-xyz",), None)
    record.partner = "p1"
    record.diagnostic = "server said ops-pass-xyz"
    token = request_id.set("rid-9")
    try:
        line = json.loads(JSONFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "login [redacted] failed" and line["diagnostic"] == "server said [redacted]"
    assert line["request_id"] == "rid-9" and line["partner"] == "p1" and line["level"] == "warning"


def test_logging_config_is_valid_for_both_formats():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        for fmt in ("json", "text"):
            logging.config.dictConfig(logging_config("warning", fmt))
            assert root.level == logging.WARNING and len(root.handlers) == 1
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
