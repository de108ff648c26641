"""Partner credentials never appear in answers, logs or metrics.

The service registers every partner's resolved credentials here; `redact` replaces them (and
the Basic-auth encoding of user:password, which a hostile partner could echo back) in any text
that leaves the process: partner diagnostics and warnings, and every log line (see
federator.api.ops). Metrics carry only partner ids and failure kinds, never free text.
"""

from __future__ import annotations

import base64
import re
import threading

__all__ = ["MASK", "redact", "register_partner_secrets"]

MASK = "[redacted]"
MIN_SECRET_LENGTH = 3  # shorter values would mask ordinary words

_lock = threading.Lock()
_by_partner: dict[str, frozenset[str]] = {}
_pattern: re.Pattern[str] | None = None


def _variants(user: str | None, password: str | None, group: str | None) -> set[str]:
    values = {v for v in (user, password, group) if v}
    if password:
        pair = f"{user or ''}:{password}".encode()
        values.add(base64.b64encode(pair).decode("ascii"))
    return {v for v in values if len(v) >= MIN_SECRET_LENGTH}


def register_partner_secrets(partner_id: str, user: str | None, password: str | None, group: str | None) -> None:
    """Remember one partner's credentials (replacing what was known for it) for `redact`."""
    global _pattern
    with _lock:
        values = _variants(user, password, group)
        if values:
            _by_partner[partner_id] = frozenset(values)
        else:
            _by_partner.pop(partner_id, None)
        every = sorted({v for vs in _by_partner.values() for v in vs}, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, every))) if every else None


def redact(text: str) -> str:
    """`text` with every registered credential replaced by MASK."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)
