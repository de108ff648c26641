"""Text clean-up shared by the MARC, DC and MODS normalisers: ISBD punctuation, years, languages,
availability phrases, XML-safe strings."""

from __future__ import annotations

import datetime
import hashlib
import re
from functools import lru_cache
from unicodedata import normalize as _nfc

from federator.records.model import Availability, MaterialType

MAX_YEAR = datetime.date.today().year + 5  # beyond this a "year" is a misread number
MAX_NOTES = 5  # a handful of general notes is enough to tell records apart; the rest stays in raw
# Availability phrases are a small vocabulary that recurs in every holding ("Available", "On
# loan, due ..."): memoised, bounded. Display forms of record content (titles, names,
# publishers) are not: they repeat only when the same record does, which is the record cache's
# job, and a cache miss costs more than the call.
VALUE_CACHE_SIZE = 16384

_TRAILING = " \t\n/:;,="
_YEAR_RE = re.compile(r"(?<![0-9])([0-9]{4})(?![0-9])")
_ISO_DATE_RE = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])")
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The last ", "-separated segment when it is a date ("1861-1920", "b. 1809", "-approximately 1230").
_NAME_DATES_RE = re.compile(
    r",\s*((?:[-\s]|b\.|d\.|fl\.|ca\.|active|approximately|born|died)*[0-9][^,]*)$"
)


def clean(value: str | None) -> str | None:
    """Whitespace collapsed, NFC (MARC-8 and many UTF-8 records are decomposed); None when empty."""
    if not value:
        return None
    if not value.isascii():
        value = _nfc("NFC", value)
    if not value.isprintable():  # tabs, newlines, control bytes of broken records
        value = " ".join(_XML_INVALID_RE.sub(" ", value).split())
    elif "  " in value:
        value = " ".join(value.split())
    else:
        value = value.strip()
    return value or None


def strip_isbd(value: str | None) -> str | None:
    """Display form: clean(), then drop trailing ISBD punctuation (" /:;,=" and a final
    period that does not end an initial such as "J." or an ellipsis)."""
    if not value:
        return None
    if value.isascii() and value.isprintable() and "  " not in value:
        value = value.strip()  # clean()'s common case, without the call
    else:
        value = clean(value)
        if value is None:
            return None
    value = value.rstrip(_TRAILING)
    while value[-1:] == "." and not value.endswith("..."):
        base = value.rstrip(".")  # one period, or the doubled ".." of some records
        if base[-1:].isalpha() and (len(base) == 1 or base[-2] in " .("):
            value = base + "."  # an initial: "Smith, J."
            break
        value = base.rstrip(_TRAILING)
    return value or None  # clean() left no leading space, and only the end was cut


def display(value: str | None) -> str | None:
    """strip_isbd, then unbracket, then strip again what the brackets hid ("[Reston, Va.] :")."""
    stripped = strip_isbd(value)
    if not stripped or (stripped[0] != "[" and stripped[-1] != "]"):
        return stripped  # nothing to unbracket
    unbracketed = unbracket(stripped)
    return strip_isbd(unbracketed) if unbracketed is not stripped else stripped


def unbracket(value: str | None) -> str | None:
    """"[Imperial military school]" -> "Imperial military school"; "[Japan" -> "Japan"."""
    if not value:
        return value
    if value[0] == "[":
        if value[-1] == "]" and value.count("[") == 1 and value.count("]") == 1:
            value = value[1:-1].strip()
        elif "]" not in value:
            value = value[1:].strip()
    elif value[-1] == "]" and "[" not in value:
        value = value[:-1].strip()
    return value or None


_UNKNOWN_IMPRINT_RE = re.compile(
    r"s\.?\s?[ln]\.?|n\.\s?p\.?|sine (?:loco|nomine)|(?:place of publication|publisher|"
    r"publisher's name|producer|distributor) not identified|unknown|tanpa (?:tempat|penerbit)",
    re.IGNORECASE,
)


def imprint_name(value: str | None) -> str | None:
    """Place or publisher for display; None for "[s.l.]", "[s.n.]", "[publisher not identified]"."""
    value = display(value)
    if not value or _UNKNOWN_IMPRINT_RE.fullmatch(value.strip("[]. ")):
        return None
    return value


def first_year(value: str | None) -> int | None:
    """First plausible 4-digit year in text ("c1999." -> 1999); 9999 and 0000 are not years."""
    if not value:
        return None
    for match in _YEAR_RE.finditer(value):
        year = int(match.group(1))
        if 1000 <= year <= MAX_YEAR:
            return year
    return None


def split_name_dates(name: str) -> tuple[str, str | None]:
    """"Brady, Cyrus Townsend, 1861-1920" -> ("Brady, Cyrus Townsend", "1861-1920")."""
    match = _NAME_DATES_RE.search(name)
    if match is None or match.start() == 0:
        return name, None
    return name[: match.start()].rstrip(" ,"), match.group(1).strip()


def stable_id(*parts: bytes | str) -> str:
    """A record id for sources that give none: a hash of the record as received."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
    return "sha1-" + digest.hexdigest()[:20]


def xml_safe(value: str) -> str:
    """Characters XML 1.0 cannot carry (control bytes in old MARC) removed."""
    return _XML_INVALID_RE.sub("", value)


# Availability from free text: MARC 852 $z public notes, MODS copyInformation/note. English and
# Indonesian phrases; the first rule that matches wins, so negations come before "available".
_AVAILABILITY_RULES: tuple[tuple[re.Pattern[str], Availability], ...] = (
    (re.compile(r"\b(?:lost|missing|hilang)\b", re.I), Availability.LOST),
    (
        re.compile(
            r"not\s+for\s+loan|\breference\b|library\s+use\s+only|in-library\s+use|"
            r"non-?circulating|in\s+processing|withdrawn|tidak\s+dipinjamkan|\breferensi\b",
            re.I,
        ),
        Availability.NOT_FOR_LOAN,
    ),
    (
        re.compile(r"on\s+loan|checked\s+out|\bcharged\b|\bdue\b|\bdipinjam\b", re.I),
        Availability.ON_LOAN,
    ),
    (re.compile(r"not\s+available|unavailable|tidak\s+tersedia", re.I), Availability.UNKNOWN),
    (re.compile(r"\bavailable\b|on\s+shelf|\btersedia\b", re.I), Availability.AVAILABLE),
)


@lru_cache(maxsize=VALUE_CACHE_SIZE)
def availability_from_text(text: str | None) -> tuple[Availability, str | None]:
    """(availability, ISO due date) read from a public note such as "On loan, due 2015-08-07"."""
    if not text:
        return Availability.UNKNOWN, None
    for pattern, availability in _AVAILABILITY_RULES:
        if pattern.search(text):
            due = None
            if availability is Availability.ON_LOAN:
                match = _ISO_DATE_RE.search(text)
                due = match.group(1) if match else None
            return availability, due
    return Availability.UNKNOWN, None


def availability_text(availability: Availability, due_date: str | None) -> str | None:
    """The phrase availability_from_text reads back (used when writing MODS)."""
    if availability is Availability.ON_LOAN:
        return f"On loan, due {due_date}" if due_date else "On loan"
    return {
        Availability.AVAILABLE: "Available",
        Availability.NOT_FOR_LOAN: "Not for loan",
        Availability.LOST: "Lost",
    }.get(availability)


# Languages: ISO 639-2/B code, ISO 639-1 code, 639-2/T code when it differs, English name(s).
_LANGUAGES = (
    ("ind", "id", None, ("indonesian", "bahasa indonesia")),
    ("eng", "en", None, ("english",)),
    ("may", "ms", "msa", ("malay", "bahasa melayu")),
    ("jav", "jv", None, ("javanese",)),
    ("sun", "su", None, ("sundanese",)),
    ("ara", "ar", None, ("arabic",)),
    ("chi", "zh", "zho", ("chinese",)),
    ("jpn", "ja", None, ("japanese",)),
    ("kor", "ko", None, ("korean",)),
    ("tha", "th", None, ("thai",)),
    ("vie", "vi", None, ("vietnamese",)),
    ("tgl", "tl", None, ("tagalog", "filipino")),
    ("dut", "nl", "nld", ("dutch",)),
    ("fre", "fr", "fra", ("french",)),
    ("ger", "de", "deu", ("german",)),
    ("spa", "es", None, ("spanish", "castilian")),
    ("por", "pt", None, ("portuguese",)),
    ("ita", "it", None, ("italian",)),
    ("lat", "la", None, ("latin",)),
    ("gre", "el", "ell", ("greek", "greek, modern (1453-)")),
    ("rus", "ru", None, ("russian",)),
    ("ukr", "uk", None, ("ukrainian",)),
    ("pol", "pl", None, ("polish",)),
    ("cze", "cs", "ces", ("czech",)),
    ("slo", "sk", "slk", ("slovak",)),
    ("hun", "hu", None, ("hungarian",)),
    ("rum", "ro", "ron", ("romanian",)),
    ("swe", "sv", None, ("swedish",)),
    ("dan", "da", None, ("danish",)),
    ("nor", "no", None, ("norwegian",)),
    ("fin", "fi", None, ("finnish",)),
    ("ice", "is", "isl", ("icelandic",)),
    ("tur", "tr", None, ("turkish",)),
    ("per", "fa", "fas", ("persian", "farsi")),
    ("urd", "ur", None, ("urdu",)),
    ("hin", "hi", None, ("hindi",)),
    ("ben", "bn", None, ("bengali",)),
    ("tam", "ta", None, ("tamil",)),
    ("san", "sa", None, ("sanskrit",)),
    ("heb", "he", None, ("hebrew",)),
    ("tib", "bo", "bod", ("tibetan",)),
    ("geo", "ka", "kat", ("georgian",)),
    ("arm", "hy", "hye", ("armenian",)),
    ("alb", "sq", "sqi", ("albanian",)),
    ("wel", "cy", "cym", ("welsh",)),
    ("gla", "gd", None, ("scottish gaelic", "gaelic")),
    ("gle", "ga", None, ("irish",)),
    ("baq", "eu", "eus", ("basque",)),
    ("bur", "my", "mya", ("burmese",)),
    ("mul", None, None, ("multiple languages",)),
    ("und", None, None, ("undetermined",)),
)
_LANGUAGE_LOOKUP: dict[str, str] = {}
for _b, _one, _t, _names in _LANGUAGES:
    _LANGUAGE_LOOKUP[_b] = _b
    if _one:
        _LANGUAGE_LOOKUP[_one] = _b
    if _t:
        _LANGUAGE_LOOKUP[_t] = _b
    for _name in _names:
        _LANGUAGE_LOOKUP[_name] = _b
_LANG_CODE_RE = re.compile(r"[a-z]{3}")


def marc_language(code: str | None) -> str | None:
    """A MARC language code (008/35-37, 041 $a) lower-cased, or None for blanks/fill ("|||")."""
    if not code:
        return None
    code = code[:3].lower()
    return code if _LANG_CODE_RE.fullmatch(code) else None


def language_code(value: str | None) -> str | None:
    """ISO 639-2/B code from a code ("ind", "id", "en-US", "deu") or an English name."""
    value = clean(value)
    if value is None:
        return None
    key = value.lower()
    found = _LANGUAGE_LOOKUP.get(key)
    if found:
        return found
    base = key.replace("_", "-").split("-", 1)[0]
    found = _LANGUAGE_LOOKUP.get(base)
    if found:
        return found
    return base if _LANG_CODE_RE.fullmatch(base) else None


# Coarse material types by the words DC, MODS and Koha item types use. Checked in order, most
# specific first, so "Text" alone is a book but "Text; Serial" is a serial.
_MATERIAL_WORDS: tuple[tuple[re.Pattern[str], MaterialType], ...] = (
    (re.compile(r"\barticles?\b|\bcomponent\b", re.I), MaterialType.ARTICLE),
    (
        re.compile(r"\bserials?\b|periodical|journal|magazine|newspaper|continuing|majalah", re.I),
        MaterialType.SERIAL,
    ),
    (re.compile(r"manuscript", re.I), MaterialType.MANUSCRIPT),
    (re.compile(r"cartograph|\bmaps?\b|\batlas", re.I), MaterialType.MAP),
    (re.compile(r"notated music|\bscores?\b", re.I), MaterialType.SCORE),
    (re.compile(r"sound recording-musical|\bmusic(?:al)?\b", re.I), MaterialType.MUSIC),
    (re.compile(r"\bsound\b|audio", re.I), MaterialType.SOUND),
    (re.compile(r"moving ?image|\bvideo|\bfilm|\bdvd\b", re.I), MaterialType.VIDEO),
    (re.compile(r"\bimage\b|still ?image|photograph|picture|graphic", re.I), MaterialType.IMAGE),
    (re.compile(r"software|dataset|computer|electronic|interactive|multimedia", re.I),
     MaterialType.COMPUTER),
    (re.compile(r"\bkit\b", re.I), MaterialType.KIT),
    (re.compile(r"mixed|collection", re.I), MaterialType.MIXED),
    (re.compile(r"\btext\b|\bbooks?\b|monograph|\bbuku\b", re.I), MaterialType.BOOK),
)


def material_from_words(values: list[str]) -> MaterialType | None:
    """The most specific material type any of the words names, or None."""
    if not values:
        return None
    text = " | ".join(values)
    for pattern, material in _MATERIAL_WORDS:
        if pattern.search(text):
            return material
    return None
