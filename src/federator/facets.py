"""Facets over the merged list (F9): how many merged records have each value.

Counts are of merged records, not of partner records: a book held by three partners counts
once under each of those partners, and once (not three times) under its year or subject.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence

from federator.dedup.model import MergedList, MergedRecord

FACETS = ("partner", "network", "year", "material_type", "language", "author", "subject")


def facets(
    merged: Sequence[MergedRecord], *, partner_networks: dict[str, list[str]], limit: int = 20
) -> dict[str, list[tuple[str, int]]]:
    """Facet name -> up to `limit` (value, count) pairs, by count (most first), then value.

    Facets: partner, network (a partner's networks from `partner_networks`; a partner may be in
    several), year, material_type, language, author, subject. Every value is a string.
    A MergedList is counted on its compact views (no merged record is built).
    """
    records = merged.views if isinstance(merged, MergedList) else merged
    partner: Counter[str] = Counter()
    network: Counter[str] = Counter()
    year: Counter[str] = Counter()
    material: Counter[str] = Counter()
    language: Counter[str] = Counter()
    author: Counter[str] = Counter()
    subject: Counter[str] = Counter()
    networks_of: dict[tuple[str, ...], set[str]] = {}  # partner set -> union of their networks
    for m in records:
        partners = tuple(m.partners)
        partner.update(partners)
        nets = networks_of.get(partners)
        if nets is None:
            nets = networks_of[partners] = {n for p in partners for n in partner_networks.get(p, ())}
        network.update(nets)
        if m.year is not None:
            year[str(m.year)] += 1
        material[m.material_type.value] += 1
        if m.language:
            language[m.language] += 1
        author.update(set(m.authors) if len(m.authors) > 1 else m.authors)
        subject.update(set(m.subjects) if len(m.subjects) > 1 else m.subjects)
    counters = {
        "partner": partner, "network": network, "year": year, "material_type": material,
        "language": language, "author": author, "subject": subject,
    }
    return {
        name: heapq.nsmallest(limit, counter.items(), key=lambda kv: (-kv[1], kv[0]))
        for name, counter in counters.items()
    }
