"""Canonical search indexes, the CQL names that mean them, and the default per-protocol maps.

A partner's configuration may override any entry of the default map for its protocol; an entry
set to null means the partner cannot search that index, so a clause on it makes the partner's
status "unsupported" (never a silent drop).
"""

from __future__ import annotations

# canonical name -> description (documented in the API and the SRU explain record)
CANONICAL: dict[str, str] = {
    "any": "all indexed words (keyword search)",
    "title": "title words",
    "author": "personal or corporate author, contributor",
    "subject": "subject headings",
    "isbn": "ISBN (10 or 13 digits, hyphens ignored)",
    "issn": "ISSN",
    "year": "year of publication",
    "language": "language code (ISO 639-2, e.g. ind, eng)",
    "format": "material type (book, serial, sound, video, map, score, computer, ...)",
    "publisher": "publisher name",
    "lccn": "Library of Congress control number",
    "oclc": "OCLC number",
    "id": "the partner's own record id",
}

# Every CQL index name federator accepts, lower-cased, -> canonical name.
CQL_ALIASES: dict[str, str] = {
    "cql.serverchoice": "any",
    "cql.anywhere": "any",
    "cql.keywords": "any",
    "cql.allindexes": "any",
    "serverchoice": "any",
    "any": "any",
    "keyword": "any",
    "kw": "any",
    "dc.title": "title",
    "bath.title": "title",
    "title": "title",
    "ti": "title",
    "dc.creator": "author",
    "dc.contributor": "author",
    "bath.author": "author",
    "bath.name": "author",
    "bath.personalname": "author",
    "author": "author",
    "au": "author",
    "creator": "author",
    "dc.subject": "subject",
    "bath.subject": "subject",
    "subject": "subject",
    "su": "subject",
    "bath.isbn": "isbn",
    "isbn": "isbn",
    "bath.issn": "issn",
    "issn": "issn",
    "dc.date": "year",
    "date": "year",
    "year": "year",
    "dc.language": "language",
    "language": "language",
    "lang": "language",
    "dc.type": "format",
    "dc.format": "format",
    "format": "format",
    "type": "format",
    "dc.publisher": "publisher",
    "publisher": "publisher",
    "bath.lccn": "lccn",
    "lccn": "lccn",
    "oclc": "oclc",
    "bath.oclc": "oclc",
    "rec.id": "id",
    "id": "id",
}

# Default canonical -> SRU/CQL index of a partner (the widely deployed dc./bath. context sets).
SRU_DEFAULT_MAP: dict[str, str | None] = {
    "any": "cql.serverChoice",
    "title": "dc.title",
    "author": "dc.creator",
    "subject": "dc.subject",
    "isbn": "bath.isbn",
    "issn": "bath.issn",
    "year": "dc.date",
    "language": "dc.language",
    "format": "dc.type",
    "publisher": "dc.publisher",
    "lccn": "bath.lccn",
    "oclc": None,  # no standard CQL index; a partner that has one maps it in its config
    "id": "rec.id",
}

# Default canonical -> Bib-1 use attribute (the standard CQL-to-Bib-1 mapping), for Z39.50.
BIB1_DEFAULT_MAP: dict[str, int | None] = {
    "any": 1016,
    "title": 4,
    "author": 1003,
    "subject": 21,
    "isbn": 7,
    "issn": 8,
    "year": 31,
    "language": 54,
    "format": 1031,
    "publisher": 1018,
    "lccn": 9,
    "oclc": 1211,
    "id": 12,
}


def canonical_index(name: str) -> str | None:
    """The canonical name for a CQL index name, or None when federator does not know it."""
    return CQL_ALIASES.get(name.lower())
