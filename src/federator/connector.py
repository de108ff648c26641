"""The connector interface: what every partner connector (SRU, Z39.50, other APIs) provides.

A connector turns the query tree into the partner's native query and fetches normalised
records. It does not handle deadlines, retries, circuit breaking or status reporting: those
wrap every connector in one place (federator.resilience). Connectors are found through the
entry-point group `federator.connectors`; the built-ins register the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import ClassVar, Protocol

import httpx

from federator.config import Partner
from federator.errors import ConfigError
from federator.query.model import Query
from federator.records.model import Record

ENTRY_POINT_GROUP = "federator.connectors"
MAX_WARNINGS = 20  # kept per partner and search: 10,000 bad records do not make 10,000 warnings


@dataclass(slots=True)
class Fetch:
    """What a connector got from its partner for one search."""

    native_query: str
    hits: int  # total hits the partner reports (may exceed len(records))
    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # non-fatal diagnostics
    skipped: int = 0  # records the partner sent that could not be normalised


class Connector(Protocol):
    """One partner's connection. Constructed once per partner, reused across searches."""

    protocol: ClassVar[str]
    schemas: ClassVar[tuple[str, ...]]  # record schemas it can ask for and normalise

    def __init__(self, partner: Partner, *, http: httpx.AsyncClient, gateway_url: str) -> None: ...

    def translate(self, query: Query) -> str:
        """The native query for this partner; raises PartnerUnsupported naming what it cannot run."""
        ...

    async def search(self, query: Query, *, limit: int) -> Fetch:
        """Run the query, fetch up to `limit` records; raises PartnerError subclasses on failure."""
        ...

    async def close(self) -> None: ...


def connector_class(protocol: str) -> type[Connector]:
    """The connector class registered for `protocol` in the entry-point group."""
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == protocol:
            return ep.load()
    known = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    raise ConfigError(f"no connector for protocol {protocol!r} (installed: {', '.join(known) or 'none'})")
