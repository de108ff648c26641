"""MARC 21 bibliographic record -> Record: the one mapping, over a list of MarcFields.

ISO 2709 and MARCXML readers (records/normalise.py, records/marcxml.py) turn what they read into
a leader and MarcFields (tag, indicators, subfields or control data) and call normalise_fields;
normalise_marc does the same for a pymarc.Record. Nothing here depends on where the fields came
from, so every format gives the same Record for the same MARC.

Written for the records partners really send: missing 245, short or broken 008, blank leader
bytes, 9999 dates, [s.n.]/[S.l.], 880 alternate script fields. It never raises on content.

- local_id: 001; else Koha's biblionumber (999 $c); else a hash of the record.
- title: 245 $a $b, else 245 $k, else the 880 linked to 245, else 240/130/246/740 $a.
- authors: 100/110/111 then 700/710/711/720, display form "Surname, Forename" ($a $b $c of
  personal names, $a $b of corporate ones); the dates ($d, or a trailing ", 1901-1970" in $a)
  go to Record.author_dates keyed by that display name. The 880 linked to 100/110/111 is used
  only when the record has no romanised main entry.
- material type: leader/06-07; a blank or unknown leader/06 falls back to ISSN-only -> serial,
  Koha's 942 $c item type, any ISBN -> book, else OTHER.

Holdings conventions:
- MARC 852: $a -> Holding.library, $b and $c -> location ("JRL, Gen"), $k $h $i $m -> call
  number ($j when those are absent), $p -> item_id, $z -> note. 852 has no status subfield, so
  availability is read from the $z public note text ("Available", "On loan, due 2024-05-01",
  "Not for loan", "Reference", "Lost", "Missing", and the Indonesian "Tersedia", "Dipinjam",
  "Hilang"); without a recognisable phrase it is UNKNOWN.
- Koha 952 items: $a homebranch -> library, $c shelving location -> location, $o -> call
  number, $p barcode -> item_id, $z -> note. Availability: $1 lost != 0 -> LOST; $0 withdrawn
  != 0 -> NOT_FOR_LOAN; $q on-loan date -> ON_LOAN with due_date; $7 not-for-loan != 0 ->
  NOT_FOR_LOAN; otherwise AVAILABLE. A 952 without $o, $p, $y or $9 is some other system's local
  field and is ignored, as is an 852 with nothing but notes for staff ($x).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import pymarc

from federator.records._text import (
    MAX_NOTES,
    MAX_YEAR,
    VALUE_CACHE_SIZE,
    availability_from_text,
    clean,
    display,
    first_year,
    imprint_name,
    marc_language,
    split_name_dates,
    stable_id,
    strip_isbd,
    unbracket,
)
from federator.records.identifiers import (
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
)
from federator.records.model import Availability, Holding, MaterialType, Record

__all__ = ["NORMALISED_TAGS", "MarcField", "marc_fields", "normalise_fields", "normalise_marc"]


class MarcField(NamedTuple):
    """One MARC field as the normaliser reads it, whatever it was read from (ISO 2709 through
    pymarc, MARCXML elements): a data field has `subfields` [(code, value), ...] and `data`
    None; a control field has `data` (a str) and no subfields or indicators. The attribute
    names are pymarc.Field's, so either can be read by the same code."""

    tag: str
    indicator1: str
    indicator2: str
    subfields: list | tuple  # [(code, value), ...]
    data: str | None


# Every tag normalise_fields reads. A reader may leave the other fields out (their subfields are
# most of a record's bytes: 040, 050, 082, 504/505 contents, 520 summaries, local 9xx) when it
# passes `raw`: only a record without raw, 001 or Koha number needs all fields (its hash id).
NORMALISED_TAGS = frozenset({
    "001", "008", "010", "020", "022", "035", "041", "100", "110", "111", "130", "240", "245", "246",
    "250", "260", "264", "300", "440", "490", "500", "600", "610", "611", "630", "650", "651", "700",
    "710", "711", "720", "740", "800", "810", "811", "830", "852", "856", "880", "942", "952", "999",
})
_new_tuple = tuple.__new__
_PYMARC_DEFAULT_LEADER = str(pymarc.Record().leader)  # a record read without a leader has this one


def marc_fields(rec: pymarc.Record) -> list[MarcField]:
    """The fields of a pymarc record as MarcFields."""
    out = []
    for f in rec.fields:
        if f.control_field:
            out.append(_new_tuple(MarcField, (f.tag, "", "", (), f.data)))
        else:
            out.append(_new_tuple(MarcField, (f.tag, f.indicator1, f.indicator2, f.subfields, None)))
    return out

_BY_LEADER_06 = {
    "c": MaterialType.SCORE,
    "d": MaterialType.SCORE,
    "e": MaterialType.MAP,
    "f": MaterialType.MAP,
    "g": MaterialType.VIDEO,
    "i": MaterialType.SOUND,
    "j": MaterialType.MUSIC,
    "k": MaterialType.IMAGE,
    "m": MaterialType.COMPUTER,
    "o": MaterialType.KIT,
    "p": MaterialType.MIXED,
    "r": MaterialType.OTHER,
    "t": MaterialType.MANUSCRIPT,
}
# Koha's default item types (942 $c), used only when the leader says nothing.
_KOHA_ITEM_TYPES = {
    "BK": MaterialType.BOOK,
    "EBOOK": MaterialType.BOOK,
    "CR": MaterialType.SERIAL,
    "CF": MaterialType.COMPUTER,
    "MP": MaterialType.MAP,
    "MU": MaterialType.MUSIC,
    "MX": MaterialType.MIXED,
    "VM": MaterialType.VIDEO,
    "KT": MaterialType.KIT,
}
_SUBJECT_TAGS = ("600", "610", "611", "630", "650", "651")
_SUBDIVISIONS = frozenset("vxyz")
_SUBJECT_SKIP = {"600": frozenset("e"), "610": frozenset("e"), "611": frozenset("j")}
_OCLC_001_RE = re.compile(r"(?:ocm|ocn|on)[0-9]+")


def _values(field, codes: str) -> list[str]:
    """Non-empty values of the given subfield codes, in field order."""
    return [value for code, value in field.subfields if code in codes and value and value.strip()]


def _joined(field, codes: str) -> str | None:
    values = _values(field, codes)
    return display(" ".join(values)) if values else None


def _first_value(field, code: str) -> str | None:
    for sub_code, value in field.subfields:
        if sub_code == code and value and value.strip():
            return value
    return None


def _linked_880(by_tag: dict[str, list], tag: str):
    """The 880 alternate-script field linked to tag ("$6 245-01/..."), if any."""
    for field in by_tag.get("880", ()):
        link = _first_value(field, "6")
        if link and link.startswith(tag):
            return field
    return None


def _title(by_tag: dict[str, list]) -> tuple[str | None, str | None, str | None]:
    """(title, part, responsibility) from 245, else its 880, else uniform/varying titles."""
    field = next(iter(by_tag.get("245", ())), None)
    title = part = responsibility = None
    for candidate in (field, _linked_880(by_tag, "245")):
        if candidate is None:
            continue
        title = _joined(candidate, "ab") or _joined(candidate, "k")
        part = part or _joined(candidate, "np")
        responsibility = responsibility or _joined(candidate, "c")
        if title:
            break
    if not title:
        for tag in ("240", "130", "246", "740"):
            for other in by_tag.get(tag, ()):
                title = _joined(other, "a")
                if title:
                    break
            if title:
                break
    return title, part, responsibility


def _name(field, codes: str) -> str | None:
    """A name heading without its dates; None without $a (some records carry only $b $c)."""
    if _first_value(field, "a") is None:
        return None
    return _joined(field, codes)


def _authors(by_tag: dict[str, list]) -> tuple[list[str], dict[str, str]]:
    """Main entry first, then added entries; names without dates, the dates kept by name."""
    authors: list[str] = []
    dates: dict[str, str] = {}
    main = [f for tag in ("100", "110", "111") for f in by_tag.get(tag, ())]
    if not main:
        for tag in ("100", "110", "111"):
            linked = _linked_880(by_tag, tag)
            if linked is not None:
                main.append(linked)
                break
    added = [f for tag in ("700", "710", "711", "720") for f in by_tag.get(tag, ())]
    for field in main + added:
        kind = field.tag if field.tag != "880" else (_first_value(field, "6") or "100")[:3]
        life = None
        if kind.endswith("00"):
            name = _name(field, "abc")
            life = _joined(field, "d")
            if name and life is None:  # dates typed into $a: "Soekarno, 1901-1970"
                name, life = split_name_dates(name)
        elif kind.endswith("10"):
            name = _name(field, "ab")
        elif kind.endswith("11"):
            name = _name(field, "aq")
        else:  # 720 uncontrolled name
            name = _name(field, "a")
        if not name:
            continue
        if name not in authors:
            authors.append(name)
        if life and name not in dates:
            dates[name] = life
    return authors, dates


def _imprint(by_tag: dict[str, list]) -> tuple[str | None, str | None, str | None]:
    """(place, publisher, date text) from 264 ind2=1, else 260, else any other 264."""
    candidates = [f for f in by_tag.get("264", ()) if f.indicator2 == "1"]
    candidates += by_tag.get("260", [])
    candidates += [f for f in by_tag.get("264", ()) if f.indicator2 != "1"]
    place = publisher = date = None
    for field in candidates:
        place = place or imprint_name(_first_value(field, "a"))
        publisher = publisher or imprint_name(_first_value(field, "b"))
        date = date or _first_value(field, "c")
        if place and publisher and date:
            break
    return place, publisher, date


def _year(f008: str, imprint_date: str | None) -> int | None:
    date1 = f008[7:11]
    if len(date1) == 4 and date1.isdigit() and 1000 <= int(date1) <= MAX_YEAR:
        return int(date1)
    return first_year(imprint_date)


def _material_type(leader: str, by_tag: dict[str, list], isbns: list, issns: list) -> MaterialType:
    kind, level = leader[6:7], leader[7:8]
    if kind in ("a", "b"):
        if level in ("s", "i"):
            return MaterialType.SERIAL
        if level in ("a", "b"):
            return MaterialType.ARTICLE
        return MaterialType.BOOK
    known = _BY_LEADER_06.get(kind)
    if known is not None:
        return known
    if issns and not isbns:
        return MaterialType.SERIAL
    for field in by_tag.get("942", ()):
        item_type = _first_value(field, "c")
        if item_type and item_type.strip().upper() in _KOHA_ITEM_TYPES:
            return _KOHA_ITEM_TYPES[item_type.strip().upper()]
    if isbns:
        return MaterialType.BOOK
    return MaterialType.OTHER


def _subject(field) -> str | None:
    skip = _SUBJECT_SKIP.get(field.tag, frozenset())
    heading: list[str] = []
    subdivisions: list[str] = []
    for code, value in field.subfields:
        if not value or not code.isalpha() or code in skip:
            continue
        if code in _SUBDIVISIONS:
            part = strip_isbd(value)
            if part:
                subdivisions.append(part)
        elif not subdivisions:
            heading.append(value)
    main = strip_isbd(" ".join(heading)) if heading else None
    parts = [main] + subdivisions if main else subdivisions
    return " -- ".join(parts) if parts else None


def _series(by_tag: dict[str, list]) -> list[str]:
    series: list[str] = []
    seen: set[str] = set()
    for tag in ("490", "440", "800", "810", "811", "830"):
        for field in by_tag.get(tag, ()):
            title = _joined(field, "tnp" if tag in ("800", "810", "811") else "anp")
            if not title:
                continue
            key = title.casefold()
            if key in seen:
                continue
            seen.add(key)
            volume = _joined(field, "v")
            series.append(f"{title} ; {volume}" if volume else title)
    return series


def _holdings_852(field, partner_id: str) -> Holding | None:
    """The holding an 852 describes; None when it has none of $a $b $c $h $i $j $k $p $z (one
    pass over the subfields: a record may carry many)."""
    library = item = None
    only_m = True  # $m (call number suffix) alone makes no holding
    notes: list[str] = []
    location: list[str] = []
    call: list[str] = []
    call_j: list[str] = []
    for code, value in field.subfields:
        if not value or code not in _852_CODES or not value.strip():
            continue
        if code != "m":
            only_m = False
        if code == "z":
            notes.append(value)
        elif code == "b" or code == "c":
            location.append(value)
        elif code == "a":
            if library is None:
                library = value
        elif code == "p":
            if item is None:
                item = value
        elif code == "j":
            call_j.append(value)
        else:  # k h i m
            call.append(value)
    if only_m:
        return None
    note = clean("; ".join(notes)) if notes else None
    availability, due = availability_from_text(note)
    location_parts = [_holding_name(v) for v in location]
    call_number = (display(" ".join(call)) if call else None) or (display(" ".join(call_j)) if call_j else None)
    return Holding(
        partner_id=partner_id,
        library=_holding_name(library),
        location=", ".join(p for p in location_parts if p) or None,
        call_number=call_number,
        availability=availability,
        due_date=due,
        item_id=clean(item),
        note=note,
    )


_852_CODES = frozenset("abchijkmpz")
# A partner's libraries, branches and shelving locations are a small vocabulary repeated in
# every holding it sends: their display forms are memoised (bounded).
_holding_name = lru_cache(maxsize=VALUE_CACHE_SIZE)(strip_isbd)


def _flag(field, code: str) -> bool:
    value = _first_value(field, code)
    return bool(value) and value.strip() not in ("0", "")


def _holding_952(field, partner_id: str) -> Holding | None:
    if not _values(field, "opy9"):
        return None
    due = clean(_first_value(field, "q"))
    if _flag(field, "1"):
        availability = Availability.LOST
    elif _flag(field, "0"):
        availability = Availability.NOT_FOR_LOAN
    elif due:
        availability = Availability.ON_LOAN
    elif _flag(field, "7"):
        availability = Availability.NOT_FOR_LOAN
    else:
        availability = Availability.AVAILABLE
    return Holding(
        partner_id=partner_id,
        library=clean(_first_value(field, "a")),
        location=clean(_first_value(field, "c")),
        call_number=clean(_first_value(field, "o")),
        availability=availability,
        due_date=due[:10] if due and availability is Availability.ON_LOAN else None,
        item_id=clean(_first_value(field, "p")),
        note=clean(_first_value(field, "z")),
    )


def _koha_biblionumber(by_tag: dict[str, list]) -> str | None:
    """Koha keeps its biblionumber in 999 $c (and biblioitemnumber in $d), not always in 001."""
    if "942" not in by_tag:
        return None
    for field in by_tag.get("999", ()):
        number = (_first_value(field, "c") or "").strip()
        item = (_first_value(field, "d") or "").strip()
        if number.isdigit() and item.isdigit():
            return number
    return None


def _fallback_id(leader: str, fields: list[MarcField], raw: bytes | None) -> str:
    if raw:
        return stable_id(raw)
    parts = [leader]
    for field in fields:
        if field.data is not None:
            parts.append(f"{field.tag}{field.data}")
        else:
            parts.append(field.tag + "".join(f"${c}{v}" for c, v in field.subfields))
    return stable_id("\x1e".join(parts))


def normalise_marc(
    rec: pymarc.Record,
    partner_id: str,
    *,
    source_format: str = "marc21",
    raw: bytes | None = None,
) -> Record:
    """Map one pymarc record onto the Record model (see normalise_fields)."""
    return normalise_fields(str(rec.leader or ""), marc_fields(rec), partner_id, source_format=source_format,
                            raw=raw)


def normalise_fields(
    leader: str | None,
    fields: list[MarcField],
    partner_id: str,
    *,
    source_format: str = "marc21",
    raw: bytes | None = None,
) -> Record:
    """Map one MARC 21 bibliographic record, as its leader (None: the record had none) and
    fields, onto the Record model (see the module docstring). The one MARC -> Record mapping:
    ISO 2709 (through pymarc) and MARCXML (straight from the elements) both come here."""
    if leader is None:
        leader = _PYMARC_DEFAULT_LEADER
    by_tag: dict[str, list] = {}
    for field in fields:
        by_tag.setdefault(field.tag, []).append(field)

    def control(tag: str) -> str:
        fields = by_tag.get(tag)
        data = fields[0].data if fields else None
        return data if isinstance(data, str) else ""

    f008 = control("008")
    local_id = clean(control("001")) or _koha_biblionumber(by_tag) or _fallback_id(leader, fields, raw)

    title, part, responsibility = _title(by_tag)
    authors, author_dates = _authors(by_tag)

    isbns: list[str] = []
    invalid_isbns: list[str] = []
    for field in by_tag.get("020", ()):
        for code, value in field.subfields:
            if code == "a":
                isbn = normalise_isbn(value)
                if isbn:
                    if isbn not in isbns:
                        isbns.append(isbn)
                    continue
            if code in "az":
                given = clean(value)
                if given and given not in invalid_isbns:
                    invalid_isbns.append(given)

    issns: list[str] = []
    for field in by_tag.get("022", ()):
        for value in _values(field, "a"):
            issn = normalise_issn(value)
            if issn and issn not in issns:
                issns.append(issn)

    lccn = None
    for field in by_tag.get("010", ()):
        lccn = normalise_lccn(_first_value(field, "a"))
        if lccn:
            break

    oclc_numbers: list[str] = []
    f001 = local_id if _OCLC_001_RE.fullmatch(local_id) else None
    for value in [f001] + [v for f in by_tag.get("035", ()) for v in _values(f, "a")]:
        number = normalise_oclc(value)
        if number and number not in oclc_numbers:
            oclc_numbers.append(number)

    edition = None
    for field in by_tag.get("250", ()):
        edition = _joined(field, "ab")
        if edition:
            break

    place, publisher, imprint_date = _imprint(by_tag)
    year = _year(f008, imprint_date)

    language = marc_language(f008[35:38])
    if language is None:
        for field in by_tag.get("041", ()):
            language = marc_language(_first_value(field, "a"))
            if language:
                break

    subjects: list[str] = []
    for tag in _SUBJECT_TAGS:
        for field in by_tag.get(tag, ()):
            subject = _subject(field)
            if subject and subject not in subjects:
                subjects.append(subject)

    physical = None
    for field in by_tag.get("300", ()):
        physical = _joined(field, "abcefg")
        if physical:
            break

    notes: list[str] = []
    for field in by_tag.get("500", ()):
        note = _joined(field, "a")
        if note:
            notes.append(note)
            if len(notes) == MAX_NOTES:
                break

    urls: list[str] = []
    for field in by_tag.get("856", ()):
        for value in _values(field, "u"):
            url = value.strip()
            if url not in urls:
                urls.append(url)

    holdings: list[Holding] = []
    for field in by_tag.get("852", ()):
        holding = _holdings_852(field, partner_id)
        if holding is not None:
            holdings.append(holding)
    for field in by_tag.get("952", ()):
        holding = _holding_952(field, partner_id)
        if holding is not None:
            holdings.append(holding)

    return Record(
        partner_id=partner_id,
        local_id=local_id,
        source_format=source_format,
        title=title,
        part=part,
        responsibility=responsibility,
        authors=authors,
        author_dates=author_dates,
        isbns=isbns,
        invalid_isbns=invalid_isbns,
        issns=issns,
        lccn=lccn,
        oclc_numbers=oclc_numbers,
        edition=edition,
        publisher=publisher,
        place=place,
        year=year,
        language=language,
        material_type=_material_type(leader, by_tag, isbns, issns),
        subjects=subjects,
        series=_series(by_tag),
        physical_description=physical,
        notes=notes,
        urls=urls,
        holdings=holdings,
        raw=raw,
    )
