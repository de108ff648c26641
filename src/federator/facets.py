"""Facets over the merged list (F9): how many merged records have each value.

Counts are of merged records, not of partner records: a book held by three partners counts
once under each of those partners, and once (not three times) under its year or subject.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable

from federator.dedup.model import MergedRecord

FACETS = ("partner", "network", "year", "material_type", "language", "author", "subject")


def _values(m: MergedRecord, partner_networks: dict[str, list[str]]) -> Iterable[tuple[str, Iterable[str]]]:
    yield "partner", m.partners
    networks: set[str] = set()
    for p in m.partners:
        networks.update(partner_networks.get(p, ()))
    yield "network", networks
    yield "year", (str(m.year),) if m.year is not None else ()
    yield "material_type", (m.material_type.value,)
    yield "language", (m.language,) if m.language else ()
    yield "author", set(m.authors)
    yield "subject", set(m.subjects)


def facets(
    merged: list[MergedRecord], *, partner_networks: dict[str, list[str]], limit: int = 20
) -> dict[str, list[tuple[str, int]]]:
    """Facet name -> up to `limit` (value, count) pairs, by count (most first), then value.

    Facets: partner, network (a partner's networks from `partner_networks`; a partner may be in
    several), year, material_type, language, author, subject. Every value is a string.
    """
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for m in merged:
        for name, values in _values(m, partner_networks):
            counters[name].update(values)
    return {
        name: heapq.nsmallest(limit, counter.items(), key=lambda kv: (-kv[1], kv[0]))
        for name, counter in counters.items()
    }
