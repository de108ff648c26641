"""MODS 3.x <-> Record.

Read by local name, so MODS in its namespace, in none, or wrapped in modsCollection all work.
Holdings travel as <location> elements: physicalLocation is the library, each
holdingSimple/copyInformation one copy (subLocation, shelfLocator, itemIdentifier, note).
Availability is written as copyInformation/note type="availability" with the phrase
availability_from_text reads back ("On loan, due 2015-08-07").
"""

from __future__ import annotations

from lxml import etree

from federator.records._text import (
    MAX_NOTES,
    availability_from_text,
    availability_text,
    clean,
    display,
    first_year,
    imprint_name,
    language_code,
    material_from_words,
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
from federator.records.model import Holding, MaterialType, Record
from federator.safexml import find_named, local_name

__all__ = ["MODS_NS", "mods_to_record", "record_to_mods"]

MODS_NS = "http://www.loc.gov/mods/v3"
MODS_VERSION = "3.7"
_NSMAP = {None: MODS_NS}
_SECONDARY_TITLES = frozenset(("alternative", "translated", "abbreviated", "uniform"))
_SERIAL_ISSUANCE = frozenset(("serial", "continuing", "integrating resource"))
_RESOURCE_TYPES = {
    "text": MaterialType.BOOK,
    "cartographic": MaterialType.MAP,
    "notated music": MaterialType.SCORE,
    "sound recording-musical": MaterialType.MUSIC,
    "sound recording-nonmusical": MaterialType.SOUND,
    "sound recording": MaterialType.SOUND,
    "still image": MaterialType.IMAGE,
    "moving image": MaterialType.VIDEO,
    "three dimensional object": MaterialType.OTHER,
    "software, multimedia": MaterialType.COMPUTER,
    "mixed material": MaterialType.MIXED,
}
# typeOfResource, genre and issuance written for each material type.
_MODS_TYPES: dict[MaterialType, tuple[str | None, str | None, str]] = {
    MaterialType.BOOK: ("text", "book", "monographic"),
    MaterialType.SERIAL: ("text", "periodical", "serial"),
    MaterialType.ARTICLE: ("text", "article", "monographic"),
    MaterialType.MAP: ("cartographic", "map", "monographic"),
    MaterialType.SCORE: ("notated music", None, "monographic"),
    MaterialType.SOUND: ("sound recording-nonmusical", None, "monographic"),
    MaterialType.MUSIC: ("sound recording-musical", None, "monographic"),
    MaterialType.VIDEO: ("moving image", None, "monographic"),
    MaterialType.IMAGE: ("still image", None, "monographic"),
    MaterialType.COMPUTER: ("software, multimedia", None, "monographic"),
    MaterialType.MANUSCRIPT: ("text", None, "monographic"),
    MaterialType.KIT: ("mixed material", "kit", "monographic"),
    MaterialType.MIXED: ("mixed material", None, "monographic"),
    MaterialType.OTHER: (None, None, "monographic"),
}


def _children(elem):
    """(local name, element) of the element children of elem."""
    for child in elem:
        name = local_name(child.tag)
        if name is not None:
            yield name, child


def _text(elem) -> str | None:
    return clean(elem.text)


def _first_text(elem, name: str) -> str | None:
    for child_name, child in _children(elem):
        if child_name == name:
            text = _text(child)
            if text:
                return text
    return None


def _title(title_infos: list) -> tuple[str | None, str | None]:
    """(title, part) from the primary titleInfo (the first without a secondary @type)."""
    ordered = [t for t in title_infos if t.get("type") not in _SECONDARY_TITLES]
    ordered += [t for t in title_infos if t.get("type") in _SECONDARY_TITLES]
    for info in ordered:
        non_sort = main = subtitle = None
        parts: list[str] = []
        for name, child in _children(info):
            if name == "nonSort":
                non_sort = child.text or None
            elif name == "title":
                main = main or _text(child)
            elif name == "subTitle":
                subtitle = subtitle or _text(child)
            elif name in ("partNumber", "partName"):
                text = strip_isbd(child.text)
                if text:
                    parts.append(text)
        if not main:
            continue
        if non_sort:
            joiner = "" if non_sort[-1:] in (" ", "'", "-", "\u2019") else " "
            main = non_sort.lstrip() + joiner + main
        if subtitle:
            title = f"{(clean(main) or '').rstrip(' /:;,=')} : {subtitle}"
        else:
            title = main
        return display(title), ", ".join(parts) or None
    return None, None


def _name(elem) -> tuple[str | None, str | None, bool]:
    """(display name, dates, primary) of a MODS <name>."""
    family = given = dates = display = None
    plain: list[str] = []
    address: list[str] = []
    for name, child in _children(elem):
        if name == "namePart":
            text = strip_isbd(child.text)
            if not text:
                continue
            kind = child.get("type")
            if kind == "family":
                family = family or text
            elif kind == "given":
                given = given or text
            elif kind == "date":
                dates = dates or text
            elif kind == "termsOfAddress":
                address.append(text)
            else:
                plain.append(text)
        elif name == "displayForm":
            display = display or strip_isbd(child.text)
    if family or given:
        full = ", ".join(p for p in (family, given) if p)
    elif plain:
        full = plain[0] if elem.get("type") != "corporate" else ". ".join(plain)
        if elem.get("type") != "corporate" and len(plain) > 1:
            full = ", ".join(plain)
    else:
        full = display
    if full and address:
        full = ", ".join([full] + address)
    return full, dates, elem.get("usage") == "primary"


def _subject(elem) -> str | None:
    parts: list[str] = []
    for name, child in _children(elem):
        if name in ("topic", "geographic", "temporal", "genre", "occupation"):
            text = strip_isbd(child.text)
            if text:
                parts.append(text)
        elif name == "name":
            full, dates, _ = _name(child)
            if full:
                parts.append(f"{full}, {dates}" if dates else full)
        elif name == "titleInfo":
            title, _ = _title([child])
            if title:
                parts.append(title)
        elif name == "hierarchicalGeographic":
            parts.extend(t for t in (strip_isbd(g.text) for _, g in _children(child)) if t)
    return " -- ".join(parts) or None


def _holdings(location, partner_id: str, urls: list[str]) -> list[Holding]:
    library = call_number = None
    copies = []
    for name, child in _children(location):
        if name == "physicalLocation":
            library = library or strip_isbd(child.text)
        elif name == "shelfLocator":
            call_number = call_number or _text(child)
        elif name == "url":
            url = _text(child)
            if url and url not in urls:
                urls.append(url)
        elif name == "holdingSimple":
            copies.extend(c for n, c in _children(child) if n == "copyInformation")
    holdings: list[Holding] = []
    for copy in copies:
        fields: dict[str, str] = {}
        notes: list[str] = []
        status = None
        for name, child in _children(copy):
            text = _text(child)
            if not text:
                continue
            if name == "note" and child.get("type") == "availability":
                status = text
            elif name in ("note", "enumerationAndChronology"):
                notes.append(text)
            else:
                fields.setdefault(name, text)
        note = "; ".join(notes) or None
        availability, due = availability_from_text(status or note)
        holdings.append(
            Holding(
                partner_id=partner_id,
                library=library,
                location=fields.get("subLocation"),
                call_number=fields.get("shelfLocator") or call_number,
                availability=availability,
                due_date=due,
                item_id=fields.get("itemIdentifier"),
                note=note,
            )
        )
    if not copies and (library or call_number):
        holdings.append(Holding(partner_id=partner_id, library=library, call_number=call_number))
    return holdings


def _material(resource: str | None, manuscript: bool, genres: list[str], issuance: set[str],
              isbns: list[str], issns: list[str]) -> MaterialType:
    if manuscript:
        return MaterialType.MANUSCRIPT
    by_genre = material_from_words(genres)
    if resource in (None, "text"):
        if issuance & _SERIAL_ISSUANCE:
            return MaterialType.SERIAL
        if by_genre in (MaterialType.ARTICLE, MaterialType.SERIAL):
            return by_genre
    if resource == "mixed material" and by_genre is MaterialType.KIT:
        return MaterialType.KIT
    if resource is not None:
        known = _RESOURCE_TYPES.get(resource) or material_from_words([resource])
        return known or MaterialType.OTHER
    if by_genre is not None:
        return by_genre
    if issns and not isbns:
        return MaterialType.SERIAL
    return MaterialType.BOOK if isbns else MaterialType.OTHER


def mods_to_record(elem, partner_id: str, *, raw: bytes | None = None) -> Record:
    """Map a MODS 3.x record (mods, or the first mods in a modsCollection) onto the Record model."""
    mods = find_named(elem, "mods")
    title_infos: list = []
    authors: list[str] = []
    primary: list[str] = []
    author_dates: dict[str, str] = {}
    place = publisher = edition = language = physical = responsibility = lccn = None
    years: dict[int, int] = {}  # by preference: keyDate, dateIssued, other dates
    resource: str | None = None
    manuscript = False
    genres: list[str] = []
    issuance: set[str] = set()
    subjects: list[str] = []
    isbns: list[str] = []
    invalid_isbns: list[str] = []
    issns: list[str] = []
    oclc_numbers: list[str] = []
    urls: list[str] = []
    notes: list[str] = []
    series: list[str] = []
    holdings: list[Holding] = []
    record_ids: list[str] = []
    local_ids: list[str] = []

    for name, child in _children(mods):
        if name == "titleInfo":
            title_infos.append(child)
        elif name == "name":
            full, dates, is_primary = _name(child)
            if full and full not in authors:
                (primary if is_primary else authors).append(full)
                if dates:
                    author_dates.setdefault(full, dates)
        elif name == "originInfo":
            for part, node in _children(child):
                if part == "place":
                    for _, term in _children(node):
                        if term.get("type") != "code":
                            place = place or imprint_name(term.text)
                elif part == "publisher":
                    publisher = publisher or imprint_name(node.text)
                elif part in ("dateIssued", "dateCreated", "copyrightDate"):
                    found = first_year(node.text)
                    if found:
                        key = node.get("keyDate") == "yes"
                        rank = 0 if key else 1 if part == "dateIssued" else 2
                        years.setdefault(rank, found)
                elif part == "edition":
                    edition = edition or strip_isbd(node.text)
                elif part == "issuance":
                    text = _text(node)
                    if text:
                        issuance.add(text.lower())
        elif name == "language":
            for _, term in _children(child):
                language = language or language_code(term.text)
        elif name == "typeOfResource":
            text = _text(child)
            resource = resource or (text.lower() if text else None)
            manuscript = manuscript or child.get("manuscript") == "yes"
        elif name == "genre":
            text = _text(child)
            if text:
                genres.append(text)
        elif name == "physicalDescription":
            physical = physical or strip_isbd(_first_text(child, "extent"))
        elif name == "subject":
            subject = _subject(child)
            if subject and subject not in subjects:
                subjects.append(subject)
        elif name == "note":
            text = strip_isbd(child.text)
            if not text:
                continue
            if (child.get("type") or "").lower() == "statement of responsibility":
                responsibility = responsibility or text
            elif len(notes) < MAX_NOTES:
                notes.append(text)
        elif name == "identifier":
            text = _text(child)
            if not text:
                continue
            kind = (child.get("type") or "").lower()
            if kind == "isbn":
                isbn = None if child.get("invalid") == "yes" else normalise_isbn(text)
                target, value = (isbns, isbn) if isbn else (invalid_isbns, text)
                if value not in target:
                    target.append(value)
            elif kind == "issn":
                issn = normalise_issn(text)
                if issn and child.get("invalid") != "yes" and issn not in issns:
                    issns.append(issn)
            elif kind == "lccn":
                lccn = lccn or normalise_lccn(text)
            elif kind == "oclc":
                number = normalise_oclc(text)
                if number and number not in oclc_numbers:
                    oclc_numbers.append(number)
            elif kind in ("uri", "url") and text.lower().startswith(("http://", "https://")):
                if text not in urls:
                    urls.append(text)
            elif kind == "local":
                local_ids.append(text)
        elif name == "relatedItem" and child.get("type") == "series":
            for part, node in _children(child):
                if part == "titleInfo":
                    title, number = _title([node])
                    if title:
                        series.append(f"{title} ; {number}" if number else title)
                    break
        elif name == "location":
            holdings.extend(_holdings(child, partner_id, urls))
        elif name == "recordInfo":
            for part, node in _children(child):
                if part == "recordIdentifier":
                    text = _text(node)
                    if text:
                        record_ids.append(text)

    title, part = _title(title_infos)
    year = years[min(years)] if years else None
    if record_ids or local_ids:
        local_id = (record_ids or local_ids)[0]
    else:
        local_id = stable_id(raw if raw is not None else etree.tostring(mods))
    return Record(
        partner_id=partner_id,
        local_id=local_id,
        source_format="mods",
        title=title,
        part=part,
        responsibility=responsibility,
        authors=primary + [a for a in authors if a not in primary],
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
        material_type=_material(resource, manuscript, genres, issuance, isbns, issns),
        subjects=subjects,
        series=series,
        physical_description=physical,
        notes=notes,
        urls=urls,
        holdings=holdings,
        raw=raw,
    )


# Writing ---------------------------------------------------------------------------------------


def _el(parent, name: str, text: str | None = None, **attrs):
    node = etree.SubElement(parent, f"{{{MODS_NS}}}{name}", **attrs)
    if text is not None:
        try:
            node.text = text
        except ValueError:
            node.text = xml_safe(text)
    return node


def _write_holding(root, holding: Holding) -> None:
    location = _el(root, "location")
    if holding.library:
        _el(location, "physicalLocation", holding.library)
    copy = _el(_el(location, "holdingSimple"), "copyInformation")
    if holding.location:
        _el(copy, "subLocation", holding.location)
    if holding.call_number:
        _el(copy, "shelfLocator", holding.call_number)
    if holding.note:
        _el(copy, "note", holding.note)
    status = availability_text(holding.availability, holding.due_date)
    if status:
        _el(copy, "note", status, type="availability")
    if holding.item_id:
        _el(copy, "itemIdentifier", holding.item_id)


def record_to_mods(record: Record):
    """A MODS 3.7 <mods> element for record, holdings included as <location> elements."""
    root = etree.Element(f"{{{MODS_NS}}}mods", nsmap=_NSMAP, version=MODS_VERSION)
    if record.title or record.part:
        info = _el(root, "titleInfo")
        if record.title:
            main, sep, subtitle = record.title.partition(" : ")
            _el(info, "title", main)
            if sep and subtitle:
                _el(info, "subTitle", subtitle)
        if record.part:
            _el(info, "partNumber", record.part)
    for index, author in enumerate(record.authors):
        name = _el(root, "name", usage="primary") if index == 0 else _el(root, "name")
        _el(name, "namePart", author)
        dates = record.author_dates.get(author)
        if dates:
            _el(name, "namePart", dates, type="date")
    resource, genre, issuance = _MODS_TYPES.get(record.material_type, (None, None, "monographic"))
    if resource:
        if record.material_type is MaterialType.MANUSCRIPT:
            _el(root, "typeOfResource", resource, manuscript="yes")
        else:
            _el(root, "typeOfResource", resource)
    if genre:
        _el(root, "genre", genre)
    origin = _el(root, "originInfo")
    if record.place:
        _el(_el(origin, "place"), "placeTerm", record.place, type="text")
    if record.publisher:
        _el(origin, "publisher", record.publisher)
    if record.year is not None:
        _el(origin, "dateIssued", str(record.year), keyDate="yes")
    if record.edition:
        _el(origin, "edition", record.edition)
    _el(origin, "issuance", issuance)
    if record.language:
        _el(_el(root, "language"), "languageTerm", record.language, type="code",
            authority="iso639-2b")
    if record.physical_description:
        _el(_el(root, "physicalDescription"), "extent", record.physical_description)
    if record.responsibility:
        _el(root, "note", record.responsibility, type="statement of responsibility")
    for note in record.notes:
        _el(root, "note", note)
    for subject in record.subjects:
        node = _el(root, "subject")
        for term in subject.split(" -- "):
            _el(node, "topic", term)
    for entry in record.series:
        info = _el(_el(root, "relatedItem", type="series"), "titleInfo")
        title, sep, number = entry.rpartition(" ; ")
        _el(info, "title", title if sep else entry)
        if sep and number:
            _el(info, "partNumber", number)
    for isbn in record.isbns:
        _el(root, "identifier", isbn, type="isbn")
    for isbn in record.invalid_isbns:
        _el(root, "identifier", isbn, type="isbn", invalid="yes")
    for issn in record.issns:
        _el(root, "identifier", issn, type="issn")
    if record.lccn:
        _el(root, "identifier", record.lccn, type="lccn")
    for number in record.oclc_numbers:
        _el(root, "identifier", number, type="oclc")
    for url in record.urls:
        _el(_el(root, "location"), "url", url)
    for holding in record.holdings:
        _write_holding(root, holding)
    info = _el(root, "recordInfo")
    _el(info, "recordIdentifier", record.local_id)
    return root

