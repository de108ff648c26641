"""Resilience around partners (F12): deadlines, retries, circuit breaking, bounded and redacted
answers, metrics, composed in one place (PartnerGuard) instead of inside each connector.

- `guard.PartnerGuard` wraps one connector: metrics -> breaker -> time budget -> retries.
- `breaker.CircuitBreaker` suspends a failing partner (status `suspended`) and probes it back.
- `retry.retrying` retries transient failures with tenacity, never past the deadline.
- `metrics.Metrics` is the Prometheus registry of one gateway.
- `secrets.redact` keeps partner credentials out of answers and logs.

Failure kinds (PartnerError.kind) are listed in federator.errors.FAILURE_KINDS.
"""

from federator.resilience.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, iso_time
from federator.resilience.guard import DEADLINE_MARGIN, PartnerGuard
from federator.resilience.metrics import CONTENT_TYPE, Metrics
from federator.resilience.retry import is_transient, retrying, stop_before_deadline
from federator.resilience.secrets import MASK, redact, register_partner_secrets

__all__ = [
    "CLOSED",
    "CONTENT_TYPE",
    "DEADLINE_MARGIN",
    "HALF_OPEN",
    "MASK",
    "OPEN",
    "CircuitBreaker",
    "Metrics",
    "PartnerGuard",
    "is_transient",
    "iso_time",
    "redact",
    "register_partner_secrets",
    "retrying",
    "stop_before_deadline",
]
