"""Merged records (one per edition, across partners) and works (editions of one work) (F7).

A merged record keeps every member record and holding, says for each display field which member
gave the value and why, and keeps the evidence of every merge, so "why were these merged" is
answered from the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, overload

from federator.records.model import Holding, MaterialType, Record

_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")


def _escape(text: str) -> str:
    """URL-safe and reversible: letters, digits, "." and "-" stay; every other byte is "_XX"."""
    return "".join(c if c in _ID_SAFE else "".join(f"_{b:02X}" for b in c.encode()) for c in text)


def _unescape(text: str) -> str:
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "_":
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(text[i].encode())
            i += 1
    return out.decode()


def member_ref(partner_id: str, local_id: str) -> str:
    """One partner record, URL-safe: "<partner>~<local id>" (both escaped)."""
    return f"{_escape(partner_id)}~{_escape(local_id)}"


def rec_id(partner_id: str, local_id: str) -> str:
    """The id of a merged record that has no identifier: its first member's partner and local id."""
    return f"rec-{member_ref(partner_id, local_id)}"


def split_rec_id(record_id: str) -> tuple[str, str]:
    """(partner_id, local_id) of a "rec-..." id."""
    partner, sep, local = record_id.removeprefix("rec-").partition("~")
    if not record_id.startswith("rec-") or not sep:
        raise ValueError(f"not a rec- id: {record_id!r}")
    return _unescape(partner), _unescape(local)


def parse_id(merged_id: str) -> tuple[str, str, tuple[str, str] | None]:
    """(kind, value, member) of a merged-record id.

    kind is "isbn", "lccn", "oclc", "issn" or "rec". Ids that would collide within one result
    (two different books listing one set ISBN) carry their first member:
    "isbn-9780141312026-loc~00011880" -> ("isbn", "9780141312026", ("loc", "00011880")).
    """
    kind, _, rest = merged_id.partition("-")
    if kind == "rec":
        return kind, rest, split_rec_id(merged_id)
    value, sep, ref = rest.partition("-") if kind != "issn" else _split_issn(rest)
    if not sep:
        return kind, value, None
    partner, _, local = ref.partition("~")
    return kind, value, (_unescape(partner), _unescape(local))


def _split_issn(rest: str) -> tuple[str, str, str]:
    # an ISSN has a hyphen of its own: "0301-2123" or "0301-2123-koha~123"
    head, sep, tail = rest[:9], rest[9:10], rest[10:]
    return head, sep, tail


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

    def full(self) -> MergedRecord:
        """The record itself (a compact view of one builds it: see MergedList)."""
        return self

    def why(self, names: Mapping[str, str] | None = None) -> list[str]:
        """"Why were these merged", in plain lines: every match that joined two members (its
        rule and reasons), then which member gave which display fields and why.

        `names` maps partner ids to library names for the member labels.
        """
        names = names or {}
        labels = ", ".join(
            f"{r.key} ({names[r.partner_id]})" if r.partner_id in names else r.key for r in self.members
        )
        if len(self.members) == 1:
            lines = [f"one record: {labels}"]
        else:
            lines = [f"{len(self.members)} records of one edition: {labels}"]
            for e in self.evidence:
                lines.append(f"{e.member} matched {e.matched_to} by {RULE_NAMES.get(e.rule, e.rule)}: {e.explanation}")
        grouped: dict[tuple[str, str], list[str]] = {}
        for name, src in self.provenance.items():
            grouped.setdefault((src.member, src.reason), []).append(name.replace("_", " "))
        for (member, reason), fields in grouped.items():
            lines.append(f"{', '.join(fields)} from {member}: {reason}" if member else f"{', '.join(fields)}: {reason}")
        return lines


# How a rule reads in an explanation.
RULE_NAMES = {
    "isbn": "a shared ISBN",
    "lccn": "a shared LCCN",
    "oclc": "a shared OCLC number",
    "issn+title": "a shared ISSN and title",
    "fuzzy": "title, authors and year",
}


@dataclass(slots=True)
class Work:
    """Editions and formats of one work (the merged records that share title and author)."""

    id: str  # "work-" + the smallest edition id
    edition_ids: list[str]  # sorted MergedRecord ids
    evidence: list[MatchEvidence] = field(default_factory=list)  # the work-level matches


class RecordView(Protocol):
    """What ranking and facets read of a merged record: a MergedRecord, or a compact view of one
    (federator.dedup.cluster.MergedView) that builds the record when asked (`full`)."""

    id: str
    title: str | None
    part: str | None
    responsibility: str | None
    authors: list[str]
    publisher: str | None
    year: int | None
    language: str | None
    material_type: MaterialType
    subjects: list[str]
    series: list[str]
    partners: list[str]
    score: float | None

    def full(self) -> MergedRecord: ...


class MergedList(Sequence[MergedRecord]):
    """Merged records in a fixed order, each built when first read (indexing, slicing,
    iterating); `views` are the compact records ranking and facets work on, so a search builds
    only the records it shows."""

    __slots__ = ("views",)

    def __init__(self, views: list[RecordView]):
        self.views = views

    def __len__(self) -> int:
        return len(self.views)

    @overload
    def __getitem__(self, i: int) -> MergedRecord: ...

    @overload
    def __getitem__(self, i: slice) -> list[MergedRecord]: ...

    def __getitem__(self, i: int | slice) -> MergedRecord | list[MergedRecord]:
        if isinstance(i, slice):
            return [v.full() for v in self.views[i]]
        return self.views[i].full()

    def __iter__(self) -> Iterator[MergedRecord]:
        return (v.full() for v in self.views)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MergedList):
            return self.views == other.views or list(self) == list(other)
        return list(self) == other

    def __repr__(self) -> str:
        return f"MergedList({len(self.views)} merged records)"
