"""Output formats of merged records, one registry keyed by format name (SRU recordSchema names).

`FORMATS[name](merged)` gives an lxml element; `serialise(merged, name)` its UTF-8 bytes.

MARC 21 / MARCXML (`merged_marc`), the layout other systems (and a federator that has this one
as a partner) read back:

- Base record: the MARC of the richest member (most fields; ties: member order) whose raw
  record is MARC (ISO 2709 or MARCXML, `Record.raw`). When no member came as MARC (all DC or
  MODS), a MARC record is built from the merged display fields.
- 001 is the merged record's stable id (its permalink); the base's 003 goes. Leader/09 is 'a'
  (Unicode). The base's own holdings (852, Koha 952 items) and Koha's 999 ids go.
- The merged identifiers (union over members) the base lacks are added: 020 ISBN, 022 ISSN,
  010 LCCN, 035 "(OCoLC)n".
- Provenance: one 035 "(partner-id)local-id" per member record, and one local 986 per member:
  $a partner id, $b the partner's record id, $c its source format (marc21, marcxml, dc, mods),
  $d how it joined the merged record (the match rule: isbn, lccn, oclc, issn+title, fuzzy; the
  first member says "first"), $e "base" on the member whose MARC is the base.
- Holdings: EVERY holding of every member, one 852 each: $a holding library (the partner id
  when the partner names none), $b location, $h call number, $p item id (barcode), $z the
  public note and the availability in the words federator's MARC reader reads back
  ("Available", "On loan, due 2026-03-01", "Not for loan", "Lost"), $x "partner <id>"
  (the partner that reported the holding).

Dublin Core and MODS are written from the merged display fields (records.dc, records.mods);
MODS lists every holding as a <location>.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Subfield

from federator.dedup.model import MergedRecord
from federator.records._text import availability_from_text, availability_text
from federator.records.dc import record_to_dc
from federator.records.identifiers import normalise_isbn, normalise_issn, normalise_lccn, normalise_oclc
from federator.records.marcxml import marc_to_element
from federator.records.model import Holding, MaterialType, Record
from federator.records.mods import record_to_mods
from federator.records.normalise import read_marc

__all__ = ["FORMATS", "PROVENANCE_TAG", "merged_as_record", "merged_marc", "serialise"]

PROVENANCE_TAG = "986"
_DROPPED = frozenset({"001", "003", "852", "952", "999"})
_LEADER_TYPES = {  # material type -> leader/06, leader/07
    MaterialType.BOOK: "am", MaterialType.SERIAL: "as", MaterialType.ARTICLE: "aa", MaterialType.MAP: "em",
    MaterialType.SCORE: "cm", MaterialType.SOUND: "im", MaterialType.MUSIC: "jm", MaterialType.VIDEO: "gm",
    MaterialType.IMAGE: "km", MaterialType.COMPUTER: "mm", MaterialType.MANUSCRIPT: "tm", MaterialType.KIT: "om",
    MaterialType.MIXED: "pc", MaterialType.OTHER: "rm",
}


def _blank() -> Indicators:
    return Indicators(" ", " ")


def _field(tag: str, subfields: list[tuple[str, str | None]], ind1: str = " ", ind2: str = " ") -> Field | None:
    subs = [Subfield(code, value) for code, value in subfields if value]
    return Field(tag, Indicators(ind1, ind2), subs) if subs else None


def _richest(merged: MergedRecord) -> tuple[int, pymarc.Record] | None:
    """(member index, MARC) of the member with the most MARC fields, or None."""
    best: tuple[int, pymarc.Record] | None = None
    for i, member in enumerate(merged.members):
        if member.raw is None or member.source_format not in ("marc21", "marcxml"):
            continue
        rec = read_marc(member.raw)
        if rec is not None and (best is None or len(rec.fields) > len(best[1].fields)):
            best = (i, rec)
    return best


def _values(rec: pymarc.Record, tag: str, code: str) -> list[str]:
    return [v for f in rec.get_fields(tag) for v in f.get_subfields(code)]


def _identifier_fields(rec: pymarc.Record, merged: MergedRecord) -> list[Field]:
    have_isbn = {normalise_isbn(v) for v in _values(rec, "020", "a")}
    have_issn = {normalise_issn(v) for v in _values(rec, "022", "a")}
    have_oclc = {normalise_oclc(v) for v in _values(rec, "035", "a") if "ocolc" in v.lower()}
    out = [Field("020", _blank(), [Subfield("a", v)]) for v in merged.isbns if v not in have_isbn]
    out += [Field("022", _blank(), [Subfield("a", v)]) for v in merged.issns if v not in have_issn]
    if merged.lccn and not any(normalise_lccn(v) == merged.lccn for v in _values(rec, "010", "a")):
        out.append(Field("010", _blank(), [Subfield("a", merged.lccn)]))
    out += [Field("035", _blank(), [Subfield("a", f"(OCoLC){v}")]) for v in merged.oclc_numbers
            if v not in have_oclc]
    return out


def _holding_field(holding: Holding) -> Field:
    notes = [holding.note] if holding.note else []
    if availability_from_text(holding.note)[0] is not holding.availability:
        status = availability_text(holding.availability, holding.due_date)
        if status:
            notes.insert(0, status)
    subfields = [("a", holding.library or holding.partner_id), ("b", holding.location),
                 ("h", holding.call_number), ("p", holding.item_id)]
    subfields += [("z", note) for note in notes]
    subfields.append(("x", f"partner {holding.partner_id}"))
    return _field("852", subfields)  # type: ignore[return-value]  # $a is never empty


def _provenance_fields(merged: MergedRecord, base: int | None) -> list[Field]:
    rules = {e.member: e.rule for e in merged.evidence}
    fields = [Field("035", _blank(), [Subfield("a", f"({m.partner_id}){m.local_id}")]) for m in merged.members]
    for i, m in enumerate(merged.members):
        fields.append(_field(PROVENANCE_TAG, [
            ("a", m.partner_id), ("b", m.local_id), ("c", m.source_format),
            ("d", rules.get(m.key, "first")), ("e", "base" if i == base else None)]))
    return fields


def _insert_ordered(rec: pymarc.Record, fields: list[Field]) -> None:
    """Add fields keeping the record's tag order (each after the last field with tag <= its own)."""
    for new in fields:
        position = len(rec.fields)
        for i, existing in enumerate(rec.fields):
            if existing.tag > new.tag:
                position = i
                break
        rec.fields.insert(position, new)


def merged_marc(merged: MergedRecord) -> pymarc.Record:
    """The merged record as MARC 21 (see the module docstring for the layout)."""
    found = _richest(merged)
    base_index = found[0] if found else None
    rec = found[1] if found else _from_fields(merged)
    rec.fields = [f for f in rec.fields if f.tag not in _DROPPED]
    leader = str(rec.leader or "").ljust(24)[:24]
    rec.leader = Leader(leader[:9] + "a" + leader[10:])
    rec.fields.insert(0, Field("001", data=merged.id))
    _insert_ordered(rec, _identifier_fields(rec, merged) + _provenance_fields(merged, base_index))
    _insert_ordered(rec, [_holding_field(h) for h in merged.holdings])
    return rec


def _from_fields(merged: MergedRecord) -> pymarc.Record:
    """A MARC record built from the merged display fields (no member came as MARC)."""
    kind = _LEADER_TYPES.get(merged.material_type, "rm")
    rec = pymarc.Record(leader=Leader(f"     n{kind} a22     7i 4500"))
    year = f"{merged.year:04d}" if merged.year is not None and 0 <= merged.year <= 9999 else None
    f008 = f"{'':6}{'s' if year else 'n'}{year or 'uuuu'}    xx {'':17}{(merged.language or 'und')[:3]:3} d"
    rec.add_field(Field("008", data=f008))
    title, _, subtitle = (merged.title or "").partition(" : ")
    fields = [
        *[_field("020", [("a", v)]) for v in merged.isbns],
        *[_field("022", [("a", v)]) for v in merged.issns],
        _field("010", [("a", merged.lccn)]),
        *[_field("035", [("a", f"(OCoLC){v}")]) for v in merged.oclc_numbers],
        _field("100", [("a", merged.authors[0])], "1") if merged.authors else None,
        _field("245", [("a", f"{title} :" if subtitle else title or "[untitled]"), ("b", subtitle), ("n", merged.part),
                       ("c", merged.responsibility)], "1" if merged.authors else "0", "0"),
        _field("250", [("a", merged.edition)]),
        _field("264", [("a", merged.place), ("b", merged.publisher), ("c", year)], " ", "1"),
        _field("300", [("a", merged.physical_description)]),
        *[_field("490", [("a", v)], "0") for v in merged.series],
        *[_field("650", [("a", v)], " ", "4") for v in merged.subjects],
        *[_field("700", [("a", v)], "1") for v in merged.authors[1:]],
        *[_field("856", [("u", v)], "4", "0") for v in merged.urls],
    ]
    for f in fields:
        if f is not None:
            rec.add_field(f)
    return rec


def merged_as_record(merged: MergedRecord) -> Record:
    """The merged record's display fields as one Record (for the DC and MODS writers): its id is
    the merged id, holdings are every member's, each naming its library (else its partner)."""
    notes = next((m.notes for m in merged.members if m.notes), [])
    author_dates: dict[str, str] = {}
    for m in merged.members:
        for name, dates in m.author_dates.items():
            author_dates.setdefault(name, dates)
    holdings = [_display_holding(h) for h in merged.holdings]
    return Record(
        partner_id=",".join(merged.partners), local_id=merged.id, source_format="merged",
        title=merged.title, part=merged.part, responsibility=merged.responsibility,
        authors=list(merged.authors), isbns=list(merged.isbns), issns=list(merged.issns), lccn=merged.lccn,
        oclc_numbers=list(merged.oclc_numbers), edition=merged.edition, publisher=merged.publisher,
        place=merged.place, year=merged.year, language=merged.language, material_type=merged.material_type,
        subjects=list(merged.subjects), series=list(merged.series),
        physical_description=merged.physical_description, notes=list(notes), urls=list(merged.urls),
        holdings=holdings, author_dates=author_dates)


def _display_holding(h: Holding) -> Holding:
    """A holding naming its library (else its partner), its note only when more than the
    availability the writers add anyway."""
    note = None if h.note == availability_text(h.availability, h.due_date) else h.note
    return replace(h, library=h.library or h.partner_id, note=note)


FORMATS: dict[str, Callable[[MergedRecord], etree._Element]] = {
    "marcxml": lambda merged: marc_to_element(merged_marc(merged)),
    "dc": lambda merged: record_to_dc(merged_as_record(merged)),
    "mods": lambda merged: record_to_mods(merged_as_record(merged)),
}


def serialise(merged: MergedRecord, name: str) -> bytes:
    """The merged record in format `name` (a FORMATS key) as UTF-8 XML bytes, no declaration."""
    return etree.tostring(FORMATS[name](merged), encoding="utf-8")
