"""JSON views of search results, merged records and the partner directory.

Plain functions from federator's data to JSON-ready dicts; one place decides the API's shape.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from federator.config import Partner, Settings
from federator.dedup.model import MergedRecord
from federator.fanout import PartnerStatus
from federator.records.model import Holding, Record


def status(st: PartnerStatus) -> dict[str, Any]:
    return {
        "id": st.partner_id,
        "name": st.name,
        "status": st.status,
        "hits": st.hits,
        "fetched": st.fetched,
        "skipped": st.skipped,
        "elapsed_ms": st.elapsed_ms,
        "diagnostic": st.diagnostic,
        "error_kind": st.error_kind,
        "retry_at": st.retry_at,
        "native_query": st.native_query,
        "warnings": st.warnings,
    }


def holding(h: Holding, names: dict[str, str]) -> dict[str, Any]:
    return {
        "partner": h.partner_id,
        "library": names.get(h.partner_id, h.partner_id),
        # the library or branch the partner names in the holding (852 $a, Koha branch; for a
        # chained federator, the inner network's library), when it gives one
        "holding_library": h.library,
        "location": h.location,
        "call_number": h.call_number,
        "availability": h.availability.value,
        "due_date": h.due_date,
        "item_id": h.item_id,
        "note": h.note,
    }


def _names(settings: Settings) -> dict[str, str]:
    return {p.id: p.name for p in settings.partners}


def record_summary(m: MergedRecord, settings: Settings, *, editions: int = 1) -> dict[str, Any]:
    names = _names(settings)
    return {
        "id": m.id,
        "title": m.title,
        "part": m.part,
        "responsibility": m.responsibility,
        "authors": m.authors,
        "edition": m.edition,
        "publisher": m.publisher,
        "place": m.place,
        "year": m.year,
        "language": m.language,
        "material_type": m.material_type.value,
        "isbns": m.isbns,
        "issns": m.issns,
        "subjects": m.subjects[:10],
        "series": m.series,
        "urls": m.urls,
        "partners": [{"id": p, "name": names.get(p, p)} for p in m.partners],
        "holdings": [holding(h, names) for h in m.holdings],
        "available_at": sorted({h.partner_id for h in m.holdings if h.availability.value == "available"}),
        "work": {"id": m.work_id, "editions": editions},
        "score": None if m.score is None else round(m.score, 4),
        "links": {"self": f"/records/{m.id}"},
    }


def member(r: Record) -> dict[str, Any]:
    data = asdict(r)
    data.pop("raw", None)
    data.pop("holdings", None)
    data["material_type"] = r.material_type.value
    data["key"] = r.key
    return data


def record_detail(m: MergedRecord, settings: Settings, *, editions: list[str] | None = None) -> dict[str, Any]:
    """A merged record with everything that says why it is one record: each member with the
    matches that joined it to the others (rule, scores, explanation), where each display field
    came from, and the same in plain lines (`merge.why`)."""
    data = record_summary(m, settings, editions=len(editions or [m.id]))
    evidence = [asdict(e) for e in m.evidence]
    members = []
    for r in m.members:
        entry = member(r)
        entry["matched"] = [
            {"with": e["matched_to"] if e["member"] == r.key else e["member"], "rule": e["rule"],
             "scores": e["scores"], "explanation": e["explanation"]}
            for e in evidence if r.key in (e["member"], e["matched_to"])
        ]
        members.append(entry)
    data.update(
        physical_description=m.physical_description,
        lccn=m.lccn,
        oclc_numbers=m.oclc_numbers,
        subjects=m.subjects,
        work={"id": m.work_id, "editions": len(editions or [m.id]), "edition_ids": editions or [m.id]},
        merge={
            "members": members,
            "provenance": {name: asdict(src) for name, src in m.provenance.items()},
            "evidence": evidence,
            "why": m.why(_names(settings)),
        },
    )
    return data


def search_page(result, settings: Settings, *, sort: str, page: int, page_size: int,
                elapsed_ms: float) -> dict[str, Any]:
    ranked = result.ranked(sort)
    editions = {w.id: len(w.edition_ids) for w in result.works}
    start = (page - 1) * page_size
    return {
        "query": {"cql": result.query.text, "sort": sort},
        "total": len(ranked),
        "works": len(result.works),
        "page": page,
        "page_size": page_size,
        "pages": math.ceil(len(ranked) / page_size) if ranked else 0,
        "records": [record_summary(m, settings, editions=editions.get(m.work_id, 1))
                    for m in ranked[start:start + page_size]],
        "facets": {name: [{"value": v, "count": c} for v, c in values]
                   for name, values in result.facets(settings.partner_networks()).items()},
        "partners": [status(s) for s in result.statuses],
        "notices": notices(result.statuses),
        "hits_reported": sum(s.hits or 0 for s in result.statuses),
        "search_ms": result.elapsed_ms,
        "elapsed_ms": elapsed_ms,
    }


def notices(statuses: list[PartnerStatus]) -> list[str]:
    """Plain-language warnings that the result is incomplete, so a partner that failed never
    looks like "no results"."""
    failed = [s for s in statuses if s.status != "ok"]
    if not failed:
        return []
    if all(s.status == "unsupported" for s in statuses):
        reasons = "; ".join(f"{s.name}: {s.diagnostic}" for s in statuses)
        return [f"No selected partner can run this query ({reasons})."]
    answered = len(statuses) - len(failed)
    details = ", ".join(f"{s.name} ({s.status})" for s in failed)
    return [f"{answered} of {len(statuses)} partners answered; results may be incomplete: {details}."]


def partner(p: Partner) -> dict[str, Any]:
    """A partner as the directory shows it: never its credentials (only whether it has some)."""
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "address": p.address,
        "city": p.city,
        "region": p.region,
        "contact": p.contact.model_dump(exclude_none=True),
        "networks": p.networks,
        "protocol": p.protocol,
        "endpoint": p.endpoint,
        "database": p.database,
        "record_schema": p.record_schema,
        "enabled": p.enabled,
        "demo": p.demo is not None,
    }


def directory(settings: Settings) -> dict[str, Any]:
    return {
        "networks": [n.model_dump(exclude_none=True) for n in settings.networks],
        "partners": [partner(p) for p in settings.partners],
    }
