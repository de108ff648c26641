"""Matching keys: normalised forms of a record's title, author, edition, part and identifiers.

Computed once per record (`record_keys`) and then compared many times, so everything the
matcher needs is precomputed here and the pairwise code does no string normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from federator.records.model import MaterialType, Record

# Leading articles dropped from title keys (English, French, German, Spanish, Italian,
# Portuguese, Dutch). Indonesian has none. Only the first word is ever dropped, and never when
# it is the whole title ("A", "Die" alone are titles too).
LEADING_ARTICLES = frozenset(
    """a an the le la les l un une des der die das den dem ein eine einen einer el los las lo
    uno una il gli i o os as de het een""".split()
)

# Words too common to make a block specific; dropped from blocking keys only.
_STOPWORDS = frozenset(
    """a an the and or of in on for to with by at from as about into
    le la les l un une des de du et en au aux pour par sur dans
    der die das den dem des ein eine und von zu im mit fur uber auf
    el los las lo un una y del al en con por para sobre
    dan di ke dari yang untuk dalam pada dengan atau oleh sebuah
    il gli i o os as e da do dos het een van""".split()
)

_NON_WORD = re.compile(r"[^\w]+")
# Apostrophes and romanisation marks (ayn, alif, soft sign) vanish rather than split a word:
# "Yŏnʼgu" and "Yŏn'gu", "Japan's" and "Japans" must fold alike.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bb\u02bc\u02be\u02bf\u02b9\u02ba`\u00b4]")
_SUBTITLE_SPLIT = re.compile(r"\s[:=;/]\s|\s[:=;]|[:=;]\s")

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
    "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5,
    "erste": 1, "zweite": 2, "dritte": 3, "vierte": 4, "funfte": 5,
    "primera": 1, "segunda": 2, "tercera": 3, "cuarta": 4, "quinta": 5,
    "pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5, "keenam": 6,
}
# "2nd ed.", "2. Aufl.", "2e éd.", "Cet. 1", "Cet. ke-2", "Edisi ke-3", "ed. 4", "3a ed."
_EDITION_NUMBER = re.compile(
    r"\b(\d{1,3})(?:st|nd|rd|th|e|er|re|eme|a|o|\.)?\s*(?=ed|aufl|edicion|edition|cet|impr|print|rev)"
    r"|\b(?:ed|edition|edisi|cet|cetakan|aufl|auflage|edicion|impr|printing)\s*(?:ke\s*)?(\d{1,3})"
    r"(?:st|nd|rd|th|e|er|re|eme|a|o)?\b"
)
# Failing the patterns above, a lone number in the statement ("Di 1 ban", "Chap-i 3", "3. nashri").
_ANY_NUMBER = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th|e|er|re|eme|a|o)?\b")
# Statements that announce a changed text without numbering it.
_REVISED = re.compile(
    r"\b(rev|revised|revisi|revisada|revue|neubearb|ueberarb|uberarb|expanded|enl|enlarged|updated"
    r"|aum|aumentada|augm|augmentee|erw|erweiterte|diperbarui)\b"
)
# "v. 2", "vol. 3", "Bd. 4", "jilid 2", "t. 1", "pt. 2": a number after a volume word. Roman
# numerals only after a whole volume word ("Part II"), never after a one-letter abbreviation.
_VOLUME = re.compile(
    r"\b(?:v|vol|volume|pt|part|partie|bd|band|t|tome|tomo|jil|jilid|buku|bk|book|no|nr)\s*(\d{1,4})\b"
    r"|\b(?:vol|volume|part|partie|band|tome|tomo|jilid|buku|book)\s+([ivxl]{1,6})\b"
)
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ELECTRONIC = re.compile(r"\b(online resource|electronic resource|e-?book|computer file|cd-?rom)\b")
_PUBLISHER_NOISE = frozenset(
    """press pub publ publisher publishers publishing publications co company inc ltd llc
    corp corporation house books book verlag editorial editions editora ediciones pt cv
    penerbit the and of gmbh ag sa srl group""".split()
)


def fold(text: str | None) -> str:
    """Lower case, no diacritics, no punctuation, single spaces: the base of every key."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = _APOSTROPHES.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def _drop_article(words: list[str]) -> list[str]:
    if len(words) > 1 and words[0] in LEADING_ARTICLES:
        return words[1:]
    return words


def title_key(title: str | None) -> str:
    """The whole title (with remainder) folded, leading article dropped."""
    return " ".join(_drop_article(fold(title).split()))


def title_proper_key(title: str | None) -> str:
    """The title proper only (before ` : `, ` = `, ` ; `): partners disagree about subtitles."""
    if not title:
        return ""
    return title_key(_SUBTITLE_SPLIT.split(title, maxsplit=1)[0])


def has_subtitle(title: str | None) -> bool:
    return bool(title) and len(_SUBTITLE_SPLIT.split(title, maxsplit=1)) > 1  # type: ignore[arg-type]


def significant_words(key: str) -> list[str]:
    """Words of a key that say something (no stop words, no single letters)."""
    return [w for w in key.split() if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())]


def surname(name: str | None) -> str:
    """Folded surname of one name, "Surname, Forename" or "Forename Surname"."""
    if not name:
        return ""
    if "," in name:
        return fold(name.split(",", 1)[0])
    words = fold(name).split()
    return words[-1] if words else ""


def forename_initial(name: str | None) -> str:
    """First letter of the forename of one name ("" when the name has none)."""
    if not name:
        return ""
    if "," in name:
        words = fold(name.split(",", 1)[1]).split()
        return words[0][0] if words and not words[0].isdigit() else ""
    words = fold(name).split()
    return words[0][0] if len(words) > 1 else ""


def author_key(authors: list[str]) -> str:
    """Surname of the main author (the first listed), diacritics-free."""
    return surname(authors[0]) if authors else ""


def edition_number(edition: str | None) -> int | None:
    """The edition or printing number an edition statement names, if any."""
    key = fold(edition)
    if not key:
        return None
    m = _EDITION_NUMBER.search(key)
    if m:
        return int(m.group(1) or m.group(2))
    for word in key.split():
        if word in _ORDINAL_WORDS:
            return _ORDINAL_WORDS[word]
    m = _ANY_NUMBER.search(key)
    return int(m.group(1)) if m else None


def is_revised(edition: str | None) -> bool:
    return bool(edition) and _REVISED.search(fold(edition)) is not None


def _roman(s: str) -> int | None:
    total, prev = 0, 0
    for ch in reversed(s):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def volume_key(part: str | None, title: str | None) -> str:
    """Which part/volume of a multi-part work a record describes ("" when it is not a part).

    A volume number found in `part` (or, failing that, in the title) gives the key "v<n>";
    a named part without a number gives its folded name.
    """
    for text in (part, title):
        key = fold(text)
        if not key:
            continue
        m = _VOLUME.search(key)
        if m:
            n = int(m.group(1)) if m.group(1) else _roman(m.group(2))
            if n is not None:
                return f"v{n}"
        if text is part:
            return key
    return ""


def publisher_key(publisher: str | None) -> str:
    """Publisher name with the generic words ("Press", "Inc.", "Penerbit") dropped."""
    return " ".join(w for w in fold(publisher).split() if w not in _PUBLISHER_NOISE)


def is_electronic(rec: Record) -> bool | None:
    """True for an electronic manifestation, False for a known physical one, None if unknown."""
    if rec.material_type is MaterialType.COMPUTER:
        return True
    desc = fold(rec.physical_description)
    if desc:
        return _ELECTRONIC.search(desc) is not None
    return None


@dataclass(slots=True)
class RecordKeys:
    """Everything the matcher compares, computed once per record."""

    key: str  # Record.key
    title: str  # title_key
    title_proper: str
    subtitle: bool
    words: tuple[str, ...]  # significant words of the title proper
    title_words: tuple[str, ...]  # significant words of the whole title
    author: str  # main author surname
    initial: str  # main author's forename initial ("" if unknown)
    authors: frozenset[str]  # every author's surname
    author_words: frozenset[str]  # every word of every author name and of the responsibility
    year: int | None
    edition_no: int | None
    revised: bool
    has_edition: bool
    volume: str
    material: MaterialType | None  # None when unknown (OTHER)
    electronic: bool | None
    publisher: str
    isbns: frozenset[str]
    issns: frozenset[str]
    lccn: str
    oclcs: frozenset[str]
    blocks: tuple[str, ...]  # blocking keys: records sharing one are compared


# Title words in the title blocking key: enough to keep generic titles ("Annual report")
# from making one huge block, few enough that a missing subtitle or a typo near the end
# still lands both records in one block.
TITLE_BLOCK_WORDS = 4


def record_keys(rec: Record) -> RecordKeys:
    """Compute all matching keys of one record."""
    title = title_key(rec.title)
    proper = title_proper_key(rec.title) or title
    words = tuple(significant_words(proper)) or tuple(proper.split())
    title_words = tuple(significant_words(title)) or tuple(title.split())
    author = author_key(rec.authors)
    surnames = frozenset(s for s in (surname(a) for a in rec.authors) if s)
    material = None if rec.material_type is MaterialType.OTHER else rec.material_type
    isbns = frozenset(rec.isbns)
    issns = frozenset(rec.issns)
    oclcs = frozenset(rec.oclc_numbers)
    lccn = rec.lccn or ""
    blocks = [f"i:{i}" for i in sorted(isbns)]
    if lccn:
        blocks.append(f"l:{lccn}")
    blocks.extend(f"o:{o}" for o in sorted(oclcs))
    blocks.extend(f"s:{s}" for s in sorted(issns))
    if words:
        blocks.append("t:" + " ".join(words[:TITLE_BLOCK_WORDS]))
        if author:
            blocks.append(f"a:{author}:{words[0]}")
    return RecordKeys(
        key=rec.key,
        title=title,
        title_proper=proper,
        subtitle=has_subtitle(rec.title),
        words=words,
        title_words=title_words,
        author=author,
        initial=forename_initial(rec.authors[0]) if rec.authors else "",
        authors=surnames,
        author_words=frozenset(fold(" ".join([*rec.authors, rec.responsibility or ""])).split()),
        year=rec.year,
        edition_no=edition_number(rec.edition),
        revised=is_revised(rec.edition),
        has_edition=bool(rec.edition),
        volume=volume_key(rec.part, rec.title),
        material=material,
        electronic=is_electronic(rec),
        publisher=publisher_key(rec.publisher),
        isbns=isbns,
        issns=issns,
        lccn=lccn,
        oclcs=oclcs,
        blocks=tuple(blocks),
    )
