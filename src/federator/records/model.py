"""The one record model every partner format is normalised into (F6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Availability(str, Enum):
    """Circulation state of one copy, as far as the partner tells."""

    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    NOT_FOR_LOAN = "not_for_loan"  # reference-only, in processing, ...
    LOST = "lost"
    UNKNOWN = "unknown"


class MaterialType(str, Enum):
    """Coarse material types, derived from MARC leader/06-07, DC type or MODS typeOfResource."""

    BOOK = "book"
    SERIAL = "serial"
    ARTICLE = "article"  # component part
    MAP = "map"
    SCORE = "score"
    SOUND = "sound"
    MUSIC = "music"  # musical sound recording
    VIDEO = "video"
    IMAGE = "image"
    COMPUTER = "computer"  # computer file / electronic resource
    MANUSCRIPT = "manuscript"
    KIT = "kit"
    MIXED = "mixed"
    OTHER = "other"


@dataclass(slots=True)
class Holding:
    """One copy (or one holding statement) in one partner library."""

    partner_id: str
    location: str | None = None  # branch / collection / shelf, as the partner names it
    call_number: str | None = None
    availability: Availability = Availability.UNKNOWN
    due_date: str | None = None  # ISO date when on loan, if known
    item_id: str | None = None  # barcode or item number
    note: str | None = None  # public note, e.g. serial holdings "Vol. 1 (1990)-"
    library: str | None = None  # library within the partner (852 $a, Koha 952 $a homebranch)


@dataclass(slots=True)
class Record:
    """A bibliographic record from one partner, normalised.

    Strings are display forms (trailing ISBD punctuation removed); matching keys are derived
    from them in federator.dedup, never stored here.
    """

    partner_id: str
    local_id: str  # the partner's own record id (MARC 001, MODS recordIdentifier, ...)
    source_format: str  # "marc21" | "marcxml" | "dc" | "mods" | "json"
    title: str | None = None  # title proper with remainder (245 $a $b)
    part: str | None = None  # number/name of part (245 $n $p): different parts are different books
    responsibility: str | None = None  # statement of responsibility (245 $c)
    authors: list[str] = field(default_factory=list)  # main entry first ("Surname, Forename")
    isbns: list[str] = field(default_factory=list)  # valid ISBNs, normalised to ISBN-13
    invalid_isbns: list[str] = field(default_factory=list)  # cancelled/invalid ($z), as given
    issns: list[str] = field(default_factory=list)  # "NNNN-NNNC"
    lccn: str | None = None  # normalised per LC's LCCN normalisation
    oclc_numbers: list[str] = field(default_factory=list)  # digits only
    edition: str | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    language: str | None = None  # ISO 639-2/B code, lower case ("ind", "eng")
    material_type: MaterialType = MaterialType.OTHER
    subjects: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    physical_description: str | None = None
    notes: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    raw: bytes | None = None  # the record as received (ISO 2709 or XML), for export and SRU out
    # Author dates kept out of the display names in `authors`, by name
    # ({"Brady, Cyrus Townsend": "1861-1920"}): they tell namesakes apart in dedup.
    author_dates: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of this partner record: unique within one search."""
        return f"{self.partner_id}:{self.local_id}"
