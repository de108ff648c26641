"""Checks of SRU responses shared by the SRU server tests (gateway /sru and the demo partners):
validation against the official schemas in tests/fixtures/schemas (see PROVENANCE.md there)
and small readers of response elements.

    xsd = load_schemas()
    validate(xsd, root)          # SRU 1.x or 2.0 by namespace; every MARCXML record too; a 2.0
                                 # ZeeRex explain record also against the OASIS explain.xsd
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

__all__ = [
    "DC", "DIAG1", "DIAG2", "MARC", "MODS", "SCHEMAS", "SRU1", "SRU2", "SRU2_SCAN", "ZEEREX",
    "diagnostics", "hits", "load_schemas", "ns_of", "records", "text", "validate",
]

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
SRU1 = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU2_SCAN = "http://docs.oasis-open.org/ns/search-ws/scan"
DIAG1 = "http://www.loc.gov/zing/srw/diagnostic/"
DIAG2 = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
MARC = "http://www.loc.gov/MARC21/slim"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
DC = "http://purl.org/dc/elements/1.1/"
MODS = "http://www.loc.gov/mods/v3"


def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / path)))


def load_schemas() -> dict[str, etree.XMLSchema]:
    return {
        "1.x": _schema("sru1.x/srw-types-relaxed-xQuery.xsd"),
        "1.1-strict": _schema("sru1.x/srw-types.xsd"),
        "2.0": _schema("sru2.0/sruResponse.xsd"),
        "zeerex-2.0": _schema("sru2.0/explain.xsd"),
        "marcxml": _schema("marcxml/MARC21slim.xsd"),
    }


def _alone(element: etree._Element) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(etree.tostring(element)))


def validate(xsd: dict[str, etree.XMLSchema], root: etree._Element) -> None:
    """Assert that an SRU response is schema-valid, with every MARCXML record in it (and, for
    SRU 2.0, its ZeeRex explain record against the OASIS explain.xsd)."""
    ns = etree.QName(root).namespace
    schema = xsd["2.0"] if ns in (SRU2, SRU2_SCAN) else xsd["1.x"]
    assert schema.validate(root), schema.error_log
    for record in root.iter(f"{{{MARC}}}record"):
        assert xsd["marcxml"].validate(_alone(record)), xsd["marcxml"].error_log
    if ns == SRU2:
        for explain in root.iter(f"{{{ZEEREX}}}explain"):
            assert xsd["zeerex-2.0"].validate(_alone(explain)), xsd["zeerex-2.0"].error_log


def ns_of(root: etree._Element) -> str:
    return etree.QName(root).namespace


def text(root: etree._Element, name: str) -> str | None:
    found = root.find(f"{{{ns_of(root)}}}{name}")
    return None if found is None else found.text


def hits(root: etree._Element) -> int:
    return int(text(root, "numberOfRecords"))


def records(root: etree._Element) -> list[etree._Element]:
    ns = ns_of(root)
    return [data[0] for data in root.iter(f"{{{ns}}}recordData") if len(data)]


def diagnostics(root: etree._Element) -> list[tuple[str, str | None]]:
    out = []
    for diag_ns in (DIAG1, DIAG2):
        for d in root.iter(f"{{{diag_ns}}}diagnostic"):
            details = d.find(f"{{{diag_ns}}}details")
            out.append((d.find(f"{{{diag_ns}}}uri").text, None if details is None else details.text))
    return out
