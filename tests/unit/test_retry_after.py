"""HTTP Retry-After as the SRU client reads it (federator.protocols.sru.retry_after_seconds)."""

from __future__ import annotations

from federator.protocols.sru import RETRY_AFTER_MAX, retry_after_seconds

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def test_delta_seconds():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(" 0 ") == 0.0


def test_http_date_is_seconds_from_now():
    assert retry_after_seconds("Tue, 14 Nov 2023 22:15:20 GMT", now=NOW) == 120.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:00:00 GMT", now=NOW) == 0.0  # already past


def test_unreadable_or_absent_is_none_and_huge_is_capped():
    for value in (None, "", "soon", "-5", "1.5", "Tue, 99 Foo 2023"):
        assert retry_after_seconds(value, now=NOW) is None, value
    assert retry_after_seconds("99999999") == RETRY_AFTER_MAX
