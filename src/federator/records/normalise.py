"""The entry point connectors call: a partner's record (XML element or ISO 2709 bytes) -> Record.

normalise_xml dispatches on the record schema the partner declared (short names or the usual SRU
schema URIs); normalise_iso2709 reads one binary MARC record, MARC-8 or UTF-8, and returns None
for bytes that are not a readable record, so one bad record never fails a whole search.

Cost (bench/normalise.py): MARCXML is read from the lxml elements straight into MarcFields and
well-formed UTF-8 ISO 2709 straight from its directory, with no pymarc objects; pymarc reads
MARC-8 and the records that need its repairs. Record.raw is the element serialised once
(etree.tostring, ~15 µs a record): slicing the payload out of the SRU answer instead was
measured, and the checks that make a slice safe (encoding, DOCTYPE, recordData pairing,
namespaces declared inside) cost nearly as much as the serialisation.
"""

from __future__ import annotations

import codecs
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator

import pymarc
from lxml import etree

from federator.records.dc import dc_to_record
from federator.records.marc import NORMALISED_TAGS, MarcField, normalise_fields, normalise_marc
from federator.records.marcxml import element_fields, element_to_marc
from federator.records.model import Record
from federator.records.mods import mods_to_record
from federator.safexml import PARSER, local_name

__all__ = ["RecordCache", "UnknownSchema", "iter_iso2709", "normalise_iso2709", "normalise_xml", "read_marc",
           "record_cache", "schema_name"]

log = logging.getLogger(__name__)
_new_tuple = tuple.__new__


class UnknownSchema(ValueError):
    """The record schema is none of MARCXML, Dublin Core or MODS."""


_SCHEMAS = {
    "marcxml": "marcxml",
    "marc21": "marcxml",
    "marc": "marcxml",
    "usmarc": "marcxml",
    "marcxchange": "marcxml",
    "info:srw/schema/1/marcxml-v1.1": "marcxml",
    "info:srw/schema/1/marcxml-v1.1-light": "marcxml",
    "http://www.loc.gov/marc21/slim": "marcxml",
    "info:lc/xmlns/marcxchange-v1": "marcxml",
    "info:lc/xmlns/marcxchange-v2": "marcxml",
    "dc": "dc",
    "oai_dc": "dc",
    "srw_dc": "dc",
    "info:srw/schema/1/dc-v1.1": "dc",
    "info:srw/schema/1/dc-schema": "dc",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://www.openarchives.org/oai/2.0/oai_dc/": "dc",
    "mods": "mods",
    "http://www.loc.gov/mods/v3": "mods",
}
_MODS_URI_RE = re.compile(r"(?:info:srw/schema/1/mods-v3\.[0-9x]+|mods3?(?:[.-]?v?3\.?[0-9x]*)?)")


def schema_name(schema: str) -> str:
    """"marcxml", "dc" or "mods" for a schema name or URI; UnknownSchema otherwise."""
    key = (schema or "").strip().lower()
    found = _SCHEMAS.get(key)
    if found is None and _MODS_URI_RE.fullmatch(key):
        found = "mods"
    if found is None:
        raise UnknownSchema(f"unsupported record schema: {schema!r}")
    return found


def _marcxml(elem, partner_id: str, raw: bytes | None) -> Record:
    leader, fields = element_fields(elem, NORMALISED_TAGS)  # raw is given: the others are not needed
    return normalise_fields(leader, fields, partner_id, source_format="marcxml", raw=raw)


_NORMALISERS: dict[str, Callable[..., Record]] = {
    "marcxml": _marcxml,
    "dc": lambda elem, partner_id, raw: dc_to_record(elem, partner_id, raw=raw),
    "mods": lambda elem, partner_id, raw: mods_to_record(elem, partner_id, raw=raw),
}


class RecordCache:
    """Normalised records by (schema, partner, the record's bytes), so a record that comes back
    in another search (a popular book, the next page, a refined query) is not normalised
    again. Least recently used first out beyond `size` entries; `expire(ttl)` drops those not
    used for `ttl` seconds (the search service does, with its own cache_ttl), so the memory
    goes back with the searches. One per process, shared by every service in it."""

    def __init__(self, size: int = 10_000, *, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str, bytes], tuple[Record, float]] = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, str, bytes]) -> Record | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries[key] = (entry[0], self._clock())
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: tuple[str, str, bytes], record: Record) -> None:
        if self.size <= 0:
            return
        self._entries[key] = (record, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def resize(self, size: int) -> None:
        self.size = size
        while len(self._entries) > max(0, size):
            self._entries.popitem(last=False)

    def expire(self, ttl: float) -> int:
        """Drop the records not used for `ttl` seconds; how many were dropped."""
        now = self._clock()
        dropped = 0
        while self._entries:
            key, (_, used) = next(iter(self._entries.items()))
            if now - used <= ttl:
                break
            del self._entries[key]
            dropped += 1
        return dropped


record_cache = RecordCache()


def normalise_xml(elem, schema: str, partner_id: str) -> Record:
    """Normalise one parsed XML record (lxml element) in the given schema; raw keeps its XML.
    A record already normalised with the same bytes for the same partner comes from
    `record_cache` (the same Record object: treat it as read-only)."""
    name = schema_name(schema)
    raw = etree.tostring(elem, encoding="utf-8")
    key = (name, partner_id, raw)
    record = record_cache.get(key)
    if record is None:
        record = _NORMALISERS[name](elem, partner_id, raw)
        record_cache.put(key, record)
    return record


# ISO 2709 ------------------------------------------------------------------------------------

_RECORD_TERMINATOR = b"\x1d"
_CP1252 = []
for _byte in range(256):
    try:
        _CP1252.append(bytes([_byte]).decode("cp1252"))
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined read as Latin-1
        _CP1252.append(chr(_byte))
_CP1252_TABLE = tuple(_CP1252)
del _CP1252, _byte


def _cp1252_for_bad_utf8(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 read as cp1252 (Latin-1 where undefined)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_CP1252_TABLE[b] for b in bad), error.end


_UTF8_FALLBACK = "federator-cp1252"
codecs.register_error(_UTF8_FALLBACK, _cp1252_for_bad_utf8)


def _read_iso2709(chunk: bytes) -> pymarc.Record | None:
    try:
        return pymarc.Record(
            chunk, to_unicode=True, hide_utf8_warnings=True, utf8_handling=_UTF8_FALLBACK
        )
    except UnicodeDecodeError:
        # A control field (decoded strictly by pymarc) is not UTF-8: read the record as 8-bit.
        patched = chunk[:9] + b" " + chunk[10:]
        return pymarc.Record(patched, to_unicode=True, file_encoding="latin-1")


def _utf8_fields(chunk: bytes, tags: frozenset[str] | None = None) -> tuple[str, int, list[MarcField]] | None:
    """(leader, fields) of a well-formed UTF-8 ISO 2709 record (leader/09 'a'), read exactly as
    pymarc reads it, without building pymarc objects (~6x cheaper); None for anything else
    (MARC-8, a broken leader or directory, indicators not two ASCII bytes, a control field
    that is not UTF-8, a subfield code that is not ASCII): pymarc reads those, with its repairs.
    With `tags`, only fields with those tags are returned; the count is of all fields."""
    if chunk[9:10] != b"a":
        return None
    try:
        leader = chunk[:24].decode("ascii")
        base = int(chunk[12:17])
        if base <= 0 or base >= len(chunk):
            return None
        directory = chunk[24:base - 1].decode("ascii")
        if len(directory) % 12:
            return None
        fields: list[MarcField] = []
        append = fields.append
        for start in range(0, len(directory), 12):
            tag = directory[start:start + 3]
            length = int(directory[start + 3:start + 7])
            offset = base + int(directory[start + 7:start + 12])
            data = chunk[offset:offset + length - 1]
            if tag < "010" and tag.isdigit():
                text = data.decode("utf-8")  # pymarc would fail on it: so do we, kept or not
                if tags is None or tag in tags:
                    append(_new_tuple(MarcField, (tag, "", "", (), text)))
                continue
            if tags is not None and tag not in tags:
                # not read further; pymarc would refuse what the checks below refuse
                if not _plain_data_field(data):
                    return None
                continue
            parts = data.split(b"\x1f")
            indicators = parts[0]
            if len(indicators) != 2 or not indicators.isascii():
                return None
            subfields = []
            for part in parts[1:]:
                if part:
                    if part[0] > 0x7F:
                        return None
                    subfields.append((chr(part[0]), part[1:].decode("utf-8", _UTF8_FALLBACK)))
            append(_new_tuple(MarcField, (tag, chr(indicators[0]), chr(indicators[1]), subfields, None)))
    except ValueError:  # UnicodeDecodeError included
        return None
    return leader, len(directory) // 12, fields


def _plain_data_field(data: bytes) -> bool:
    """What the direct reader requires of a data field: two ASCII indicators, ASCII codes."""
    parts = data.split(b"\x1f")
    if len(parts[0]) != 2 or not parts[0].isascii():
        return False
    return all(not part or part[0] <= 0x7F for part in parts[1:])


def normalise_iso2709(data: bytes, partner_id: str) -> Record | None:
    """Normalise the first ISO 2709 record in data; None when it is not a readable record.

    Leader/09 'a' means UTF-8 (bytes that are not UTF-8 are read as cp1252); anything else means
    MARC-8, converted to Unicode. A record whose leader length disagrees with its bytes or that
    lacks the record terminator is not readable: its directory offsets cannot be trusted.
    """
    try:
        length = int(data[:5])
    except ValueError:
        log.debug("ISO 2709 record without a numeric length: %r", data[:24])
        return None
    chunk = data[:length]
    if length < 25 or len(chunk) != length or chunk[-1:] != _RECORD_TERMINATOR:
        log.debug("ISO 2709 record length or terminator wrong: %r", data[:24])
        return None
    fast = _utf8_fields(chunk, NORMALISED_TAGS)  # raw is given: the other fields are not needed
    if fast is not None:
        leader, count, fields = fast
        if not count:
            return None
        return normalise_fields(leader, fields, partner_id, source_format="marc21", raw=chunk)
    try:
        rec = _read_iso2709(chunk)
    except Exception as error:  # noqa: BLE001 - remote bytes: any pymarc failure means unreadable
        log.debug("unreadable ISO 2709 record %r: %r", data[:24], error)
        return None
    if rec is None or not rec.fields:
        return None
    return normalise_marc(rec, partner_id, source_format="marc21", raw=chunk)


def iter_iso2709(data: bytes, partner_id: str) -> Iterator[Record]:
    """Normalise every record in an ISO 2709 stream, skipping the unreadable ones."""
    for piece in data.split(_RECORD_TERMINATOR):
        piece = piece.lstrip(b"\r\n\x00 ")
        if not piece:
            continue
        record = normalise_iso2709(piece + _RECORD_TERMINATOR, partner_id)
        if record is not None:
            yield record


def read_marc(raw: bytes) -> pymarc.Record | None:
    """The MARC record in a Record.raw (ISO 2709 or MARCXML, as received), read the way the
    normalisers read it; None when the bytes are neither (DC, MODS) or unreadable."""
    head = raw.lstrip()[:1]
    if head == b"<":
        try:
            elem = etree.fromstring(raw, PARSER)
        except (etree.XMLSyntaxError, ValueError):
            return None
        if local_name(elem.tag) not in ("record", "collection"):
            return None
        try:
            rec = element_to_marc(elem)
        except ValueError:  # not MARC: no field with a valid tag
            return None
        return rec if rec.fields else None
    if not head.isdigit():
        return None
    try:
        rec = _read_iso2709(raw)
    except Exception:  # noqa: BLE001 - remote bytes: any pymarc failure means unreadable
        return None
    return rec if rec is not None and rec.fields else None

