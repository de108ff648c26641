"""Every bundled MARC record, normalised through each path, as plain values: the reference the
normaliser equivalence test compares with (frozen by scripts/freeze_normalised.py)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from federator.protocols.sru import parse_response
from federator.records.marcxml import marc_to_element
from federator.records.model import Record
from federator.records.normalise import normalise_iso2709, normalise_xml, read_marc, record_cache
from federator.safexml import PARSER
from tests.support.bench import load_bench

ROOT = Path(__file__).resolve().parents[2]
MARC = ROOT / "tests" / "fixtures" / "marc"
BINARY = [
    *sorted((ROOT / "src" / "federator" / "demo" / "data").glob("*.mrc")),
    *sorted((ROOT / "tests" / "fixtures" / "zebra").glob("*.mrc")),
    MARC / "loc_booksall2016_slice.mrc",
    MARC / "traject_test_data.utf8.mrc",
    *sorted((MARC / "pymarc_encoding_cases").glob("*.dat")),
    *sorted((MARC / "openlibrary_test_inputs").glob("*/*.mrc")),
]
XML = [MARC / "koha_misc4dev_biblios_slice.marcxml.xml", *sorted((MARC / "openlibrary_test_inputs" / "xml_input").glob("*.xml"))]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _sru(records: list[bytes]) -> bytes:
    return load_bench("_local").sru_response(records)  # the benchmark partners' own answers


def cases() -> Iterator[tuple[str, Record | None]]:
    """(key, normalised record or None when unreadable) for every record through every path:
    "iso" (normalise_iso2709), "sru" (the record as MARCXML in an SRU response, parsed by the SRU
    client, normalise_xml), "xml" (a MARCXML file's records, normalise_xml)."""
    size = record_cache.size
    record_cache.resize(0)  # normalise every record, never answer from the cache
    try:
        for path in BINARY:
            pieces = [p.lstrip(b"\r\n\x00 ") for p in path.read_bytes().split(b"\x1d")]
            pieces = [p + b"\x1d" for p in pieces if p]
            xml: list[tuple[int, bytes]] = []
            for i, chunk in enumerate(pieces):
                yield f"{_name(path)}#{i}:iso", normalise_iso2709(chunk, "p")
                rec = read_marc(chunk)
                if rec is not None:
                    xml.append((i, etree.tostring(marc_to_element(rec), encoding="utf-8")))
            for start in range(0, len(xml), 50):
                page = xml[start:start + 50]
                response = parse_response(_sru([data for _, data in page]))
                by_position = {r.position: r for r in response.records}
                for n, (i, _) in enumerate(page, 1):
                    found = by_position.get(n)
                    yield f"{_name(path)}#{i}:sru", (
                        None if found is None else normalise_xml(found.data, found.schema, "p"))
        for path in XML:
            root = etree.parse(str(path), PARSER).getroot()
            elements = [root] if etree.QName(root).localname == "record" else list(root)
            for i, elem in enumerate(e for e in elements if isinstance(e.tag, str)):
                try:
                    record = normalise_xml(elem, "marcxml", "p")
                except ValueError:
                    record = None
                yield f"{_name(path)}#{i}:xml", record
    finally:
        record_cache.resize(size)


def record_values(record: Record | None) -> dict | None:
    """Every Record field as JSON values; raw as the SHA-1 of its bytes."""
    if record is None:
        return None
    values = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name == "raw":
            value = None if value is None else hashlib.sha1(value).hexdigest()
        elif f.name == "holdings":
            value = [{k: getattr(h, k).value if k == "availability" else getattr(h, k)
                      for k in (g.name for g in dataclasses.fields(h))} for h in value]
        elif f.name == "material_type":
            value = value.value
        values[f.name] = value
    return values
