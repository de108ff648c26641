"""Matching keys: normalised forms of a record's title, author, edition, part and identifiers.

Computed once per record (`record_keys`) and then compared many times, so everything the
matcher needs is precomputed here and the pairwise code does no string normalisation. The
normalisers are cached: partners send the same titles, names and publishers over and over.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from federator.records.model import MaterialType, Record

# Leading articles dropped from title keys (English, French, German, Spanish, Italian,
# Portuguese, Dutch). Indonesian has none. Only the first word is ever dropped, and never when
# it is the whole title ("A", "Die" alone are titles too).
LEADING_ARTICLES = frozenset(
    """a an the le la les l un une des der die das den dem ein eine einen einer el los las lo
    uno una il gli i o os as de het een""".split()
)

# Words that say nothing about which book it is; left out of title comparison and blocking.
STOPWORDS = frozenset(
    """a an the and or of in on for to with by at from as about into
    le la les l un une des de du et en au aux pour par sur dans
    der die das den dem des ein eine und von zu im mit fur uber auf
    el los las lo un una y del al en con por para sobre
    dan di ke dari yang untuk dalam pada dengan atau oleh sebuah
    il gli i o os as e da do dos het een van""".split()
)


def _fold_tables() -> tuple[bytes, dict[int, str | None]]:
    """Translation tables for fold: punctuation to space; combining marks and apostrophes out.

    Apostrophes and romanisation marks (ayn, alif, soft sign) vanish rather than split a word:
    "Yŏnʼgu" and "Yŏn'gu", "Japan's" and "Japans" must fold alike.
    """
    ascii_table = bytes(c if chr(c).isalnum() else 32 for c in range(128)) + bytes([32] * 128)
    table: dict[int, str | None] = {}
    for c in range(0x20000):  # beyond: CJK extensions and rare scripts, all word characters
        ch = chr(c)
        if unicodedata.combining(ch):
            table[c] = None
        elif not ch.isalnum():
            table[c] = " "
    for ch in "'`\u00b4\u2018\u2019\u02b9\u02ba\u02bb\u02bc\u02be\u02bf":
        table[ord(ch)] = None
    return ascii_table, table


_ASCII_FOLD, _UNICODE_FOLD = _fold_tables()


@lru_cache(maxsize=1 << 16)
def _fold_words(text: str) -> tuple[str, ...]:
    if text.isascii():
        return tuple(text.encode().translate(_ASCII_FOLD, b"'`").lower().decode().split())
    return tuple(unicodedata.normalize("NFKD", text).translate(_UNICODE_FOLD).casefold().split())


def fold_words(text: str | None) -> tuple[str, ...]:
    """The words of `text`: lower case, no diacritics, no punctuation."""
    return _fold_words(text) if text else ()


def fold(text: str | None) -> str:
    """Lower case, no diacritics, no punctuation, single spaces: the base of every key."""
    return " ".join(_fold_words(text)) if text else ""


def _drop_article(words: tuple[str, ...]) -> tuple[str, ...]:
    if len(words) > 1 and words[0] in LEADING_ARTICLES:
        return words[1:]
    return words


def significant_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """Words that say something (no stop words, no single letters); all words if none do."""
    out = tuple([w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())])
    return out or words


_SUBTITLE_SPLIT = re.compile(r"\s[:=;/]\s|\s[:=;]|[:=;]\s")


def split_title(title: str | None) -> tuple[str, str]:
    """(title proper, remainder): at the first ` : `, ` = `, ` ; ` or ` / `."""
    if not title:
        return "", ""
    parts = _SUBTITLE_SPLIT.split(title, maxsplit=1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


def title_key(title: str | None) -> str:
    """The whole title (with remainder) folded, leading article dropped."""
    return " ".join(_drop_article(fold_words(title)))


def title_proper_key(title: str | None) -> str:
    """The title proper only: partners disagree about subtitles."""
    return " ".join(_drop_article(fold_words(split_title(title)[0])))


@dataclass(frozen=True, slots=True)
class TitleKeys:
    key: str  # whole title folded, leading article dropped
    words: tuple[str, ...]  # significant words of the title proper
    title_words: tuple[str, ...]  # significant words of the whole title
    all_words: tuple[str, ...]  # every folded word of the whole title
    subtitle: bool
    joined: str  # title_words without spaces


@lru_cache(maxsize=1 << 15)
def _proper_words(title: str | None) -> tuple[tuple[str, ...], str]:
    """(folded words of the title proper without a leading article, the raw remainder)."""
    proper, rest = split_title(title)
    return _drop_article(fold_words(proper)), rest


@lru_cache(maxsize=1 << 15)
def _blocking_title_words(title: str | None) -> tuple[str, ...]:
    return significant_words(_proper_words(title)[0])


@lru_cache(maxsize=1 << 15)
def title_keys(title: str | None) -> TitleKeys:
    proper_words, rest = _proper_words(title)
    all_words = proper_words + fold_words(rest)
    title_words = significant_words(all_words)
    return TitleKeys(
        key=" ".join(all_words),
        words=_blocking_title_words(title),
        title_words=title_words,
        all_words=all_words,
        subtitle=bool(rest),
        joined="".join(title_words),
    )


@dataclass(frozen=True, slots=True)
class NameKeys:
    surname: str  # folded surname
    initial: str  # first letter of the forename, "" if none
    words: frozenset[str]  # every folded word of the name
    initials: str = ""  # forename initials run together ("cck" in "CCK Chang"), "" otherwise


# Forenames given as initials run together without points ("CCK Chang", "KVR Kanth", the style
# of citation harvesters): a single forename word of 2 or 3 letters with no vowel. Each of its
# letters may be the initial another source gives ("K. Chang"). Words with a vowel ("Ann",
# "Ed", "Jo") are forenames.
_INITIALS_RUN = re.compile(r"[b-df-hj-np-tv-z]{2,3}")


# Generational suffixes after a name written "Forename Surname Jr."; alone they are no name.
_NAME_SUFFIXES = frozenset("jr sr ii iii iv".split())


# Words that name a part or kind of publication, never a person: an "author" written "Forename
# Surname" whose last word is one of these is debris a harvester took from the page ("ACMs
# anthology", "P edition", "B authors"), not a name.
_NOT_SURNAMES = frozenset(
    """anthology anthologies edition editions author authors editor editors introduction preface
    foreword proceedings transactions abstract abstracts contents""".split()
)
# A web address ("portal.acm.org") or a word with digits in it ("cd961") is no name either.
_ADDRESS = re.compile(r"\w\.(?:org|com|edu|net|gov|ac|de|uk|fr|it)\b|\bwww\.|https?:")
_HAS_DIGIT = re.compile(r"\d")

_NO_NAME = NameKeys("", "", frozenset())


@lru_cache(maxsize=1 << 12)
def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def mend_mojibake(word: str) -> str:
    """A Latin-script word with letters of another script in it ("gќting", "kieпling", "жzsu":
    a name passed through the wrong character set) gets "?" for each such letter, so that the
    matcher can let it stand for the one or two letters it replaced (see match.names_match)."""
    if word.isascii() or not any(c.isascii() and c.isalpha() for c in word):
        return word
    return "".join(c if _is_latin(c) else "?" for c in word)


@lru_cache(maxsize=1 << 15)
def name_keys(name: str | None) -> NameKeys:
    """Keys of one personal or corporate name, "Surname, Forename" or "Forename Surname".

    A name written without a comma that is plainly not a person (a web address, a number or a
    word with digits as its last word, a last word from _NOT_SURNAMES) gets no keys, so a list
    of such debris counts as no author rather than as another author."""
    if not name:
        return _NO_NAME
    if "," in name:
        head, tail = name.split(",", 1)
        sur = fold_words(head)
        fore = fold_words(tail)
        initial = fore[0][0] if fore and not fore[0].isdigit() else ""
        return NameKeys(" ".join(map(mend_mojibake, sur)), initial, frozenset(sur + fore))
    words = fold_words(name)
    if words and words[-1] in _NAME_SUFFIXES:  # "William Meira Jr.": the surname is Meira
        words = words[:-1]
    if not words or words[-1] in _NOT_SURNAMES or _HAS_DIGIT.search(words[-1]) or _ADDRESS.search(name.casefold()):
        return _NO_NAME
    if is_corporate(name, words):
        return NameKeys(" ".join(words), "", frozenset(words))
    initials = words[0] if len(words) == 2 and _INITIALS_RUN.fullmatch(words[0]) else ""
    return NameKeys(mend_mojibake(words[-1]), words[0][0] if len(words) > 1 else "", frozenset(words), initials)


_CORPORATE_WORDS = frozenset(
    """university universitas universidad universite universitat college institute institut
    instituto department departemen ministry ministerio kementerian direktorat committee council
    dewan commission society association asosiasi persatuan ikatan bureau office kantor library
    perpustakaan government congress conference symposium seminar workshop foundation yayasan
    company corporation inc ltd museum agency badan dinas lembaga pusat center centre""".split()
)
_HEADING_PARTS = re.compile(r"\w{3,}\. \w")  # "United States. Congress", not "J. Smith"


def is_corporate(name: str, words: tuple[str, ...]) -> bool:
    """A corporate or jurisdiction heading written without a comma (its key is the whole name,
    not a last word: "Toyama-ken (Japan)" and "Shiga-ken (Japan)" are different bodies)."""
    return "(" in name or _HEADING_PARTS.search(name) is not None or not _CORPORATE_WORDS.isdisjoint(words)


@lru_cache(maxsize=1 << 15)
def surname(name: str | None) -> str:
    """Folded surname of one name (the part before the comma, else the last word)."""
    return name_keys(name).surname


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
    r"\b(\d{1,3})(?:st|nd|rd|th|d|e|er|re|eme|a|o|ra)?\s*(?=ed|aufl|edicion|edition|cet|impr|print|rev)"
    r"|\b(?:ed|edition|edisi|cet|cetakan|aufl|auflage|edicion|impr|printing)\s*(?:ke\s*)?(\d{1,3})"
    r"(?:st|nd|rd|th|d|e|er|re|eme|a|o|ra)?\b"
)
# Failing the patterns above, a lone number in the statement ("Di 1 ban", "Chap-i 3", "3. nashri").
_ANY_NUMBER = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th|d|e|er|re|eme|a|o|ra)?\b")
# Statements that announce a changed text without numbering it.
_REVISED = re.compile(
    r"\b(rev|revised|revisi|revisada|revue|neubearb|ueberarb|uberarb|expanded|enl|enlarged|updated"
    r"|aum|aumentada|augm|augmentee|erw|erweiterte|diperbarui|corr|corrected|improved|new|nouv"
    r"|nouvelle|neue|nueva|nuova|baru|xiu|ding)\b"
)


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


# Words of an edition statement that only say "this is an edition" (or number it); what is
# left ("Texas", "large paper", "student", "deluxe collector's") tells editions apart.
_EDITION_NOISE = frozenset(
    """ed eds edn edition editions edisi cet cetakan aufl auflage edicion edicao edizione ed izd
    izdanie kiad kiadas wyd wydanie impr impression printing print printed di ban pan ke ye chap
    nashri nashr pbk th st nd rd d e er re eme a o ra the and of chopan shohan dai han vyd
    uppl upplaga udg udgave druk oplag opl utg""".split()
) | frozenset(_ORDINAL_WORDS)
_NUMBERED = re.compile(r"\d+[a-z]{0,3}")  # "2", "2nd", "2d", "1a", "3e"
_EDITION_SYNONYMS = {"paperback": "pbk", "hardback": "hbk", "hardcover": "hbk", "revised": "rev",
                     "enlarged": "enl", "corrected": "corr", "reprinted": "repr", "reprint": "repr"}


def edition_words(edition: str | None) -> frozenset[str]:
    """The distinguishing words of an edition statement (numbers and "ed." left out)."""
    words = (_EDITION_SYNONYMS.get(w, w) for w in fold_words(edition))
    return frozenset(w for w in words if w not in _EDITION_NOISE and not _NUMBERED.fullmatch(w))


@lru_cache(maxsize=1 << 12)
def _edition_keys(edition: str | None) -> tuple[int | None, bool, frozenset[str]]:
    if edition and " / " in edition:  # "5th ed. / Raymond A. Barnett ...": who revised it is no edition
        edition = edition.split(" / ", 1)[0]
    return edition_number(edition), is_revised(edition), edition_words(edition)


# A number after one of these words names a volume: "v. 2", "vol. 3", "Bd. 4", "jilid 2",
# "t. 1", "pt. 2", "no. 5". Roman numerals count only after a whole word ("Part II").
_VOLUME_WORDS = frozenset("v vol volume pt part partie bd band t tome tomo jil jilid buku bk book no nr".split())
_VOLUME_WORDS_ROMAN = frozenset("vol volume part partie band tome tomo jilid buku book".split())
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}


def _roman(s: str) -> int | None:
    if len(s) > 6 or any(ch not in _ROMAN for ch in s):
        return None
    total, prev = 0, 0
    for ch in reversed(s):
        v = _ROMAN[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def _volume_in(words: tuple[str, ...]) -> int | None:
    for i in range(len(words) - 1):
        w = words[i]
        if w in _VOLUME_WORDS:
            nxt = words[i + 1]
            if nxt.isdigit() and len(nxt) <= 4:
                return int(nxt)
            if w in _VOLUME_WORDS_ROMAN:
                n = _roman(nxt)
                if n is not None:
                    return n
    return None


def volume_key(part: str | None, title: str | None) -> str:
    """Which part/volume of a multi-part work a record describes ("" when it is not a part).

    A volume number found in `part` (or, failing that, in the title) gives the key "v<n>";
    a named part without a number gives its folded name.
    """
    if part:
        words = fold_words(part)
        n = _volume_in(words) if len(words) > 1 else None
        if n is None and len(words) == 1:
            n = int(words[0]) if words[0].isdigit() else _roman(words[0])
        if n is not None:
            return f"v{n}"
        if words:
            return " ".join(words)
    if title:
        n = _volume_in(title_keys(title).all_words)
        if n is not None:
            return f"v{n}"
    return ""


_PUBLISHER_NOISE = frozenset(
    """press pub publ publisher publishers publishing publications co company inc ltd llc
    corp corporation house books book verlag editorial editions editora ediciones pt cv
    penerbit the and of gmbh ag sa srl group""".split()
)


def publisher_key(publisher: str | None) -> str:
    """Publisher name with the generic words ("Press", "Inc.", "Penerbit") dropped."""
    return " ".join(w for w in fold_words(publisher) if w not in _PUBLISHER_NOISE)


_ELECTRONIC = re.compile(
    r"online resource|electronic resource|e-?book|computer file|cd-?rom|dvd-?rom|floppy|diskette"
    r"|computer (?:laser )?(?:optical )?dis[ck]"
)


def is_electronic(rec: Record) -> bool | None:
    """True for an electronic manifestation, False for a known physical one, None if unknown.

    Accompanying material ("xxiv, 837 p. ; 27 cm + 1 CD-ROM") does not make a book electronic."""
    if rec.material_type is MaterialType.COMPUTER:
        return True
    desc = rec.physical_description
    if desc:
        return _ELECTRONIC.search(desc.split("+", 1)[0].casefold()) is not None
    return None


# The extent proper: before other physical details (" : ill."), dimensions (" ; 24 cm"),
# accompanying material (" + 1 CD-ROM") and qualifiers ("(large print)").
_EXTENT_END = re.compile(r"\s[:;]|[:;]\s|\+|\(|\b\d+\s*cm\b")
_BRACKETED = re.compile(r"\[[^\]]*\]")
_VOLUMES = re.compile(r"\b(\d+)\s*v\b")
_PAGE_UNITS = re.compile(r"\b(p|pp|pages?|hlm|halaman|s|str|pag)\b")
_LEAF_UNITS = re.compile(r"\b(leaves|leaf|l|f|h)\b")
_NUMBER = re.compile(r"\b\d+\b")
_DIGIT_LETTER = re.compile(r"(\d)([a-z])")  # "115p." -> "115 p."
_HEIGHT = re.compile(r"\b(\d{1,3})\s*cm\b")


def extent(description: str | None) -> tuple[int, str] | None:
    """(count, unit) of a physical description's extent: pages (sequences added up, unnumbered
    "[8] p." left out), leaves or volumes; None when there is no count ("p. cm", "v. <1-2>")."""
    if not description:
        return None
    head = _EXTENT_END.split(_DIGIT_LETTER.sub(r"\1 \2", description.casefold()), maxsplit=1)[0]
    head = _BRACKETED.sub(" ", head)
    m = _VOLUMES.search(head)
    if m:
        return int(m.group(1)), "v"
    numbers = _NUMBER.findall(head)
    if not numbers:
        return None
    if _LEAF_UNITS.search(head) and not _PAGE_UNITS.search(head):
        return sum(map(int, numbers)), "leaves"
    if _PAGE_UNITS.search(head):
        return sum(map(int, numbers)), "p"
    return None


def height_cm(description: str | None) -> int | None:
    """The height in centimetres a physical description gives, if any."""
    m = _HEIGHT.search(description) if description else None
    return int(m.group(1)) if m else None


@lru_cache(maxsize=1 << 14)
def _physical_keys(description: str | None) -> tuple[tuple[int, str] | None, int | None]:
    return extent(description), height_cm(description)


# Words of a series or venue name that many series share ("Proceedings of the international
# conference on ...", "Journal of ...", "Lecture notes in ..."): left out of `series_words`, so
# two series agree only on a word that names this one ("sigmod", "vldb", "tods", "Bangladesh").
SERIES_NOISE = frozenset(
    """acm ieee proc proceedings conference conf int intl international workshop workshops symposium
    journal trans transactions annual series lecture notes data database databases system systems
    management information science sciences research report reports technical university press
    vol volume new""".split()
)


@lru_cache(maxsize=1 << 12)
def series_words(series: tuple[str, ...]) -> frozenset[str]:
    """The distinctive words (3 letters or more, no number, no SERIES_NOISE or stop word) of a
    record's series or venue statements."""
    return frozenset(
        w for s in series for w in fold_words(s)
        if len(w) >= 3 and not w.isdigit() and w not in SERIES_NOISE and w not in STOPWORDS
    )


def context_words(k: RecordKeys) -> frozenset[str]:
    """Words of a record's authors, publisher and series: what a careless transcription carries
    into a title along with it. Computed when asked (rarely: see match._additions_explained)."""
    return k.author_words.union(*(fold_words(x) for x in k.context))


@dataclass(slots=True)
class RecordKeys:
    """Everything the matcher compares, computed once per record."""

    title: str  # title_key
    subtitle: bool
    words: tuple[str, ...]  # significant words of the title proper
    title_words: tuple[str, ...]  # significant words of the whole title
    joined: str  # title_words without spaces ("data base" and "database" alike), for containment
    author: str  # main author surname
    initial: str  # main author's forename initial ("" if unknown)
    author_words: frozenset[str]  # every word of every author name and of the responsibility
    names: tuple[NameKeys, ...]  # every author (main first), for comparing author lists
    context: tuple[str, ...]  # publisher and series as given: words a title may carry along (see context_words)
    series: frozenset[str]  # distinctive words of the series or venue (series_words)
    year: int | None
    edition_no: int | None
    revised: bool
    has_edition: bool
    edition_words: frozenset[str]  # distinguishing words of the edition statement
    volume: str
    material: MaterialType | None  # None when unknown (OTHER)
    electronic: bool | None
    extent: tuple[int, str] | None  # (pages, "p"), (leaves, "leaves") or (volumes, "v")
    height: int | None  # cm
    publisher: str
    isbns: frozenset[str]
    issns: frozenset[str]
    lccn: str
    oclcs: frozenset[str]


# Title words in the title blocking key: enough to keep generic titles ("Annual report")
# from making one huge block, few enough that a missing subtitle or a typo near the end
# still lands both records in one block.
TITLE_BLOCK_WORDS = 4


# Author + title-word keys: each of the first BLOCK_AUTHORS authors' surnames with each of the
# BLOCK_LONG_WORDS longest title words. Partners list co-authors in different orders and reword
# the start of a title ("Using/Applying the golden rule of sampling ..."); a surname and a long
# word in common still bring such records together, and the blocks stay small.
BLOCK_AUTHORS = 3
BLOCK_LONG_WORDS = 2


def _longest(words: tuple[str, ...]) -> tuple[str, ...]:
    """The BLOCK_LONG_WORDS longest distinct words (ties: alphabetical)."""
    if len(words) <= BLOCK_LONG_WORDS:
        return tuple(dict.fromkeys(words))
    return tuple(sorted(set(words), key=lambda w: (-len(w), w))[:BLOCK_LONG_WORDS])


def blocking_keys(rec: Record) -> tuple[str, ...]:
    """Keys under which a record is filed for candidate generation: each ISBN-13, the LCCN,
    each OCLC number and ISSN, the first title words, main-author surname + first title word,
    and author surnames + the longest title words."""
    blocks = [f"i:{i}" for i in rec.isbns]
    if rec.lccn:
        blocks.append(f"l:{rec.lccn}")
    blocks.extend(f"o:{o}" for o in rec.oclc_numbers)
    blocks.extend(f"s:{s}" for s in rec.issns)
    words = _blocking_title_words(rec.title)
    if words:
        blocks.append("t:" + " ".join(words[:TITLE_BLOCK_WORDS]))
        if rec.authors:
            sur = surname(rec.authors[0])
            if sur:
                blocks.append(f"a:{sur}:{words[0]}")
            long_words = _longest(words)
            for name in rec.authors[:BLOCK_AUTHORS]:
                sur = surname(name)
                if sur:
                    blocks.extend(f"w:{sur}:{w}" for w in long_words)
    return tuple(dict.fromkeys(blocks))


def record_keys(rec: Record) -> RecordKeys:
    """Compute all matching keys of one record."""
    tk = title_keys(rec.title)
    names = tuple(k for k in map(name_keys, rec.authors) if k.surname)
    # the main author is the first real name (debris before it is no author: see name_keys)
    physical = _physical_keys(rec.physical_description)
    main = names[0] if names else _NO_NAME
    edition_no, revised, ed_words = _edition_keys(rec.edition)
    if len(rec.authors) == 1 and not rec.responsibility:
        author_words = main.words
    else:
        author_words = frozenset().union(*(name_keys(a).words for a in rec.authors), fold_words(rec.responsibility))
    return RecordKeys(
        title=tk.key,
        subtitle=tk.subtitle,
        words=tk.words,
        title_words=tk.title_words,
        joined=tk.joined,
        author=main.surname,
        initial=main.initial,
        author_words=author_words,
        names=names,
        context=(rec.publisher, *rec.series) if rec.publisher else tuple(rec.series),
        series=series_words(tuple(rec.series)) if rec.series else frozenset(),
        year=rec.year,
        edition_no=edition_no,
        revised=revised,
        has_edition=bool(rec.edition),
        edition_words=ed_words,
        volume=volume_key(rec.part, rec.title),
        material=None if rec.material_type is MaterialType.OTHER else rec.material_type,
        electronic=is_electronic(rec),
        extent=physical[0],
        height=physical[1],
        publisher=publisher_key(rec.publisher),
        isbns=frozenset(rec.isbns),
        issns=frozenset(rec.issns),
        lccn=rec.lccn or "",
        oclcs=frozenset(rec.oclc_numbers),
    )
