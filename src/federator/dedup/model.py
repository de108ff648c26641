"""Merged records (one per edition, across partners) and works (editions of one work) (F7).

A merged record keeps every member record and holding, says for each display field which member
gave the value and why, and keeps the evidence of every merge, so "why were these merged" is
answered from the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from federator.records.model import Holding, MaterialType, Record


@dataclass(slots=True)
class MatchEvidence:
    """Why `member` joined the cluster: the pairwise match with `matched_to` that admitted it."""

    member: str  # Record.key of the record that joined
    matched_to: str  # Record.key of the record it matched
    rule: str  # "isbn" | "lccn" | "oclc" | "issn+title" | "fuzzy"
    scores: dict[str, float]  # e.g. title, author, year, publisher (0-100; year: difference)
    explanation: str


@dataclass(slots=True)
class FieldSource:
    """Where one display value of a merged record came from."""

    member: str  # Record.key of the member that gave the value ("" for a union of members)
    partner_id: str  # that member's partner ("" for a union)
    reason: str  # "only member", "most common among members (2 of 3)", "longest title", ...


@dataclass(slots=True)
class MergedRecord:
    """One edition as held across partners: a cluster of partner records that describe it."""

    id: str  # stable, URL-safe: "isbn-978...", "lccn-...", "oclc-...", "issn-...", "rec-..."
    members: list[Record]  # deterministic order (partner_id, local_id)
    holdings: list[Holding]  # every member's holdings, in member order
    partners: list[str]  # sorted unique partner ids of the members
    evidence: list[MatchEvidence]  # one per member after the first
    provenance: dict[str, FieldSource]  # display field name -> where its value came from
    work_id: str = ""
    # display fields, chosen among the members (see provenance)
    title: str | None = None
    part: str | None = None
    responsibility: str | None = None
    authors: list[str] = field(default_factory=list)
    edition: str | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    language: str | None = None
    material_type: MaterialType = MaterialType.OTHER
    physical_description: str | None = None
    isbns: list[str] = field(default_factory=list)  # union over members
    issns: list[str] = field(default_factory=list)  # union over members
    lccn: str | None = None
    oclc_numbers: list[str] = field(default_factory=list)  # union over members
    subjects: list[str] = field(default_factory=list)  # union over members
    series: list[str] = field(default_factory=list)  # union over members
    urls: list[str] = field(default_factory=list)  # union over members
    score: float | None = None  # set by federator.rank.rank; None until ranked


@dataclass(slots=True)
class Work:
    """Editions and formats of one work (the merged records that share title and author)."""

    id: str  # "work-" + the smallest edition id
    edition_ids: list[str]  # sorted MergedRecord ids
    evidence: list[MatchEvidence] = field(default_factory=list)  # the work-level matches
