"""Standard-number normalisers: ISBN-13, ISSN, LCCN and OCLC numbers as match keys compare them.

Each takes the text a catalogue gives (qualifiers, prefixes and hyphens included) and returns the
normalised form, or None when the text holds no valid number; none of them raises.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum import ean as _ean
from stdnum import issn as _issn

__all__ = ["normalise_isbn", "normalise_issn", "normalise_lccn", "normalise_oclc"]

# ISBN-13 first, then ISBN-10; digits may be separated by single hyphens or spaces.
_ISBN13_RE = re.compile(r"(?<![0-9Xx])(?:[0-9][- ]?){12}[0-9](?![0-9Xx])")
_ISBN10_RE = re.compile(r"(?<![0-9Xx])(?:[0-9][- ]?){9}[0-9Xx](?![0-9Xx])")
_SEPARATORS = str.maketrans("", "", "- ")
_ISSN_RE = re.compile(r"(?<![0-9])([0-9]{4})[- ]?([0-9]{3}[0-9Xx])(?![0-9Xx])")
_LCCN_HYPHEN_SERIAL_RE = re.compile(r"[0-9]{1,6}")
_LCCN_VALID_RE = re.compile(r"[a-z]{0,3}[0-9]{8}(?:[0-9]{2})?", re.IGNORECASE)
_OCLC_RE = re.compile(
    r"\s*(?:\(OCoLC\)\s*)?(?:ocm|ocn|on)?\s*([0-9]+)\s*(?:\s.*)?", re.IGNORECASE | re.DOTALL
)


@lru_cache(maxsize=65536)
def normalise_isbn(text: str | None) -> str | None:
    """The first valid ISBN in text as ISBN-13 digits ("0306406152 (v. 1)" -> "9780306406157").

    Check digits are computed with stdnum's EAN routine; stdnum.isbn.validate itself costs ~14 µs
    a call, too much for a per-record hot path. The same strings recur across partners, hence
    the cache.
    """
    if not text:
        return None
    for match in _ISBN13_RE.finditer(text):
        number = match.group().translate(_SEPARATORS)
        if number[:3] in ("978", "979") and _ean.calc_check_digit(number[:12]) == number[12]:
            return number
    for match in _ISBN10_RE.finditer(text):
        number = match.group().translate(_SEPARATORS).upper()
        total = sum((10 - i) * int(digit) for i, digit in enumerate(number[:9]))
        total += 10 if number[9] == "X" else int(number[9])
        if total % 11 == 0:
            body = "978" + number[:9]
            return body + _ean.calc_check_digit(body)
    return None


@lru_cache(maxsize=16384)
def normalise_issn(text: str | None) -> str | None:
    """The first valid ISSN in text as "NNNN-NNNC" (check digit X upper case)."""
    if not text:
        return None
    for match in _ISSN_RE.finditer(text):
        number = (match.group(1) + match.group(2)).upper()
        if _issn.calc_check_digit(number[:7]) == number[7]:
            return f"{number[:4]}-{number[4:]}"
    return None


def normalise_lccn(text: str | None) -> str | None:
    """LCCN normalised per https://www.loc.gov/marc/lccn-namespace.html (blanks, '/', hyphen rule).

    "   00000234 " -> "00000234", "n78-890351" -> "n78890351", "85-2" -> "85000002",
    "75-425165//r75" -> "75425165". Returns None when nothing LCCN-like is left.
    """
    if not text:
        return None
    value = "".join(text.split())
    value = value.partition("/")[0]
    if "-" in value:
        prefix, _, serial = value.partition("-")
        serial = serial.replace("-", "")
        if _LCCN_HYPHEN_SERIAL_RE.fullmatch(serial):
            serial = serial.zfill(6)
        value = prefix + serial
    if not value or not _LCCN_VALID_RE.fullmatch(value):
        return None
    return value


def normalise_oclc(text: str | None) -> str | None:
    """OCLC number, digits without leading zeros, from "(OCoLC)ocm00012345", "ocn…", "on…", digits.

    Numbers of other agencies ("(DLC)…", "(Sirsi)…") give None.
    """
    if not text:
        return None
    stripped = text.lstrip()
    if stripped.startswith("(") and not stripped[:7].upper() == "(OCOLC)":
        return None
    match = _OCLC_RE.fullmatch(stripped)
    if match is None:
        return None
    digits = match.group(1).lstrip("0")
    return digits or None
