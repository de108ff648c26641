"""Dublin Core (oai_dc, srw_dc or bare dc elements) <-> Record.

DC is flat, so some fields cannot survive it: part, responsibility, edition, place, series and
holdings are not written, and material type is carried by dc:type words (MODS typeOfResource
vocabulary, as the LoC MARC-to-DC crosswalk writes them, plus "serial", "article", "manuscript",
"kit" where that vocabulary is too coarse).
"""

from __future__ import annotations

import re

from lxml import etree

from federator.records._text import (
    MAX_NOTES,
    clean,
    first_year,
    language_code,
    material_from_words,
    split_name_dates,
    stable_id,
    strip_isbd,
    unbracket,
    xml_safe,
)
from federator.records.identifiers import (
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
)
from federator.records.model import MaterialType, Record

__all__ = ["DC_NS", "SRW_DC_NS", "dc_to_record", "record_to_dc"]

DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
_DC_NAMESPACES = frozenset((DC_NS, DCTERMS_NS, ""))
_DC_ELEMENTS = frozenset(
    "title creator contributor subject description publisher date type format identifier "
    "source language relation coverage rights".split()
)
_NSMAP = {"srw_dc": SRW_DC_NS, "dc": DC_NS}
_MIME_RE = re.compile(r"[a-z]+/[a-z0-9.+-]+(?:;.*)?", re.IGNORECASE)
_BARE_ISBN13_RE = re.compile(r"97[89][0-9]{10}|97[89](?:-[0-9]+){3}-[0-9]")
_BARE_ISSN_RE = re.compile(r"[0-9]{4}-[0-9]{3}[0-9Xx]")

# dc:type words written for each material type; the first is the MODS typeOfResource term.
DC_TYPES: dict[MaterialType, tuple[str, ...]] = {
    MaterialType.BOOK: ("text",),
    MaterialType.SERIAL: ("text", "serial"),
    MaterialType.ARTICLE: ("text", "article"),
    MaterialType.MAP: ("cartographic",),
    MaterialType.SCORE: ("notated music",),
    MaterialType.SOUND: ("sound recording-nonmusical",),
    MaterialType.MUSIC: ("sound recording-musical",),
    MaterialType.VIDEO: ("moving image",),
    MaterialType.IMAGE: ("still image",),
    MaterialType.COMPUTER: ("software, multimedia",),
    MaterialType.MANUSCRIPT: ("text", "manuscript"),
    MaterialType.KIT: ("mixed material", "kit"),
    MaterialType.MIXED: ("mixed material",),
    MaterialType.OTHER: (),
}


def _dc_children(elem):
    """(local name, text) of the DC elements in or under elem, in document order."""
    found = []
    for node in elem.iter():
        tag = node.tag
        if node is elem or not isinstance(tag, str):
            continue
        if tag[:1] == "{":
            namespace, _, local = tag[1:].partition("}")
        else:
            namespace, local = "", tag
        if local in _DC_ELEMENTS and namespace in _DC_NAMESPACES:
            text = clean(node.text)
            if text:
                found.append((local, text))
    return found


def _identifier(value: str) -> tuple[str, str | None]:
    """(kind, normalised value): kind is isbn, bad-isbn, issn, lccn, oclc, url or local."""
    low = value.lower()
    if low.startswith(("http://", "https://", "ftp://")):
        return "url", value
    for prefix, kind in (
        ("urn:isbn:", "isbn"),
        ("isbn", "isbn"),
        ("urn:issn:", "issn"),
        ("issn", "issn"),
        ("info:lccn/", "lccn"),
        ("lccn", "lccn"),
        ("info:oclcnum/", "oclc"),
        ("(ocolc)", "oclc"),
        ("oclc", "oclc"),
    ):
        if low.startswith(prefix):
            rest = value[len(prefix) :].lstrip(" :")
            if kind == "isbn":
                isbn = normalise_isbn(rest)
                return ("isbn", isbn) if isbn else ("bad-isbn", value)
            if kind == "issn":
                return "issn", normalise_issn(rest)
            if kind == "lccn":
                return "lccn", normalise_lccn(rest)
            return "oclc", normalise_oclc(value if prefix == "(ocolc)" else rest)
    if _BARE_ISBN13_RE.fullmatch(value):
        isbn = normalise_isbn(value)
        if isbn:
            return "isbn", isbn
    if _BARE_ISSN_RE.fullmatch(value):
        issn = normalise_issn(value)
        if issn:
            return "issn", issn
    return "local", value


def _append(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def dc_to_record(elem, partner_id: str, *, raw: bytes | None = None) -> Record:
    """Map an oai_dc / srw_dc / plain Dublin Core record element onto the Record model."""
    title = publisher = physical = language = lccn = None
    year = None
    creators: list[str] = []
    contributors: list[str] = []
    author_dates: dict[str, str] = {}
    subjects: list[str] = []
    coverage: list[str] = []
    notes: list[str] = []
    types: list[str] = []
    isbns: list[str] = []
    invalid_isbns: list[str] = []
    issns: list[str] = []
    oclc_numbers: list[str] = []
    urls: list[str] = []
    local_ids: list[str] = []

    for name, text in _dc_children(elem):
        if name == "title":
            title = title or unbracket(strip_isbd(text))
        elif name in ("creator", "contributor"):
            person, dates = split_name_dates(strip_isbd(text) or text)
            person = strip_isbd(person)
            if person:
                _append(creators if name == "creator" else contributors, person)
                if dates and person not in author_dates:
                    author_dates[person] = dates
        elif name == "subject":
            _append(subjects, strip_isbd(text))
        elif name == "coverage":
            _append(coverage, strip_isbd(text))
        elif name == "date":
            year = year or first_year(text)
        elif name == "language":
            language = language or language_code(text)
        elif name == "type":
            types.append(text)
        elif name == "publisher":
            publisher = publisher or unbracket(strip_isbd(text))
        elif name == "format":
            if physical is None and not _MIME_RE.fullmatch(text):
                physical = strip_isbd(text)
        elif name == "description":
            if len(notes) < MAX_NOTES:
                _append(notes, strip_isbd(text))
        elif name == "identifier":
            kind, value = _identifier(text)
            if kind == "isbn":
                _append(isbns, value)
            elif kind == "bad-isbn":
                _append(invalid_isbns, value)
            elif kind == "issn":
                _append(issns, value)
            elif kind == "lccn":
                lccn = lccn or value
            elif kind == "oclc":
                _append(oclc_numbers, value)
            elif kind == "url":
                _append(urls, value)
            if kind == "local":  # a plain id is the partner's own; prefer it to lccn/oclc/urls
                local_ids.insert(sum(1 for i in local_ids if _identifier(i)[0] == "local"), text)
            elif kind not in ("isbn", "bad-isbn", "issn"):
                local_ids.append(text)

    material = material_from_words(types)
    if material is None:
        if not types and issns and not isbns:
            material = MaterialType.SERIAL
        elif not types and isbns:
            material = MaterialType.BOOK
        else:
            material = MaterialType.OTHER
    authors = creators + [c for c in contributors if c not in creators]
    if local_ids:
        local_id = local_ids[0]
    else:
        local_id = stable_id(raw if raw is not None else etree.tostring(elem))
    return Record(
        partner_id=partner_id,
        local_id=local_id,
        source_format="dc",
        title=title,
        authors=authors,
        author_dates=author_dates,
        isbns=isbns,
        invalid_isbns=invalid_isbns,
        issns=issns,
        lccn=lccn,
        oclc_numbers=oclc_numbers,
        publisher=publisher,
        year=year,
        language=language,
        material_type=material,
        subjects=subjects + [c for c in coverage if c not in subjects],
        physical_description=physical,
        notes=notes,
        urls=urls,
        raw=raw,
    )


def _add(parent, name: str, value: str | None) -> None:
    if not value:
        return
    node = etree.SubElement(parent, f"{{{DC_NS}}}{name}")
    try:
        node.text = value
    except ValueError:
        node.text = xml_safe(value)


def record_to_dc(record: Record):
    """An srw_dc:dc element (dc elements in the DC 1.1 namespace) for record."""
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap=_NSMAP)
    _add(root, "title", record.title)
    _add(root, "identifier", record.local_id)  # first: the record's own id, read back as local_id
    for author in record.authors:
        dates = record.author_dates.get(author)
        _add(root, "creator", f"{author}, {dates}" if dates else author)
    for subject in record.subjects:
        _add(root, "subject", subject)
    for note in record.notes:
        _add(root, "description", note)
    _add(root, "publisher", record.publisher)
    if record.year is not None:
        _add(root, "date", str(record.year))
    for word in DC_TYPES.get(record.material_type, ()):
        _add(root, "type", word)
    _add(root, "format", record.physical_description)
    for isbn in record.isbns:
        _add(root, "identifier", f"URN:ISBN:{isbn}")
    for issn in record.issns:
        _add(root, "identifier", f"URN:ISSN:{issn}")
    if record.lccn:
        _add(root, "identifier", f"info:lccn/{record.lccn}")
    for number in record.oclc_numbers:
        _add(root, "identifier", f"info:oclcnum/{number}")
    for url in record.urls:
        _add(root, "identifier", url)
    _add(root, "language", record.language)
    return root
