"""Prometheus metrics (F22): per partner (searches, outcomes, errors by kind, retries, latency,
breaker state) and per API route. Each SearchService owns one registry, so several gateways in
one process (tests) do not share counters. Labels are partner ids, routes and failure kinds only:
never free text, so never a credential.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from federator.resilience.breaker import STATE_VALUES, CircuitBreaker

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class _BreakerCollector(Collector):
    """Breaker state read at scrape time, so partners removed by a reload disappear."""

    def __init__(self, breakers: Callable[[], Mapping[str, CircuitBreaker]]):
        self.breakers = breakers

    def collect(self):
        state = GaugeMetricFamily("federator_partner_breaker_state",
                                  "Circuit breaker per partner: 0 closed, 1 half-open (probing), 2 open (suspended)",
                                  labels=["partner"])
        until = GaugeMetricFamily("federator_partner_suspended_until_seconds",
                                  "When a suspended partner is tried again (Unix time; 0 when not suspended)",
                                  labels=["partner"])
        for partner_id, breaker in sorted(self.breakers().items()):
            state.add_metric([partner_id], STATE_VALUES[breaker.state])
            until.add_metric([partner_id], breaker.retry_at or 0)
        yield state
        yield until


class Metrics:
    def __init__(self, breakers: Callable[[], Mapping[str, CircuitBreaker]] = dict):
        self.registry = CollectorRegistry()
        r = self.registry
        self.partner_requests = Counter("federator_partner_requests", "Searches sent to a partner, suspended ones included",
                                        ["partner"], registry=r)
        self.partner_outcomes = Counter("federator_partner_outcomes",
                                        "Partner searches by final status (ok, timeout, error, unsupported, suspended)",
                                        ["partner", "status"], registry=r)
        self.partner_errors = Counter("federator_partner_errors", "Failed partner searches by failure kind",
                                      ["partner", "kind"], registry=r)
        self.partner_retries = Counter("federator_partner_retries", "Retries after transient failures",
                                       ["partner"], registry=r)
        self.partner_latency = Histogram("federator_partner_latency_seconds",
                                         "Time a partner took for a search (suspended ones not included)",
                                         ["partner"], buckets=LATENCY_BUCKETS, registry=r)
        self.searches = Counter("federator_searches", "Federated searches run (answers from the cache not included)",
                                registry=r)
        self.http_requests = Counter("federator_http_requests", "API requests by route template, method and status",
                                     ["route", "method", "status"], registry=r)
        self.http_latency = Histogram("federator_http_request_duration_seconds", "API request duration by route",
                                      ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.shared_cache_errors = Counter("federator_shared_cache_errors",
                                           "Failed reads/writes of the shared (Redis) search cache; each counted as a miss",
                                           ["operation"], registry=r)
        self.rate_limited = Counter("federator_rate_limited", "Requests refused by the per-client rate limit",
                                    registry=r)
        r.register(_BreakerCollector(breakers))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
