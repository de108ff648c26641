"""Z39.50 partners (F3): Koha, Evergreen, Aleph, national libraries, anything that answers Z39.50.

The protocol lives in federator.protocols.zoom (YAZ's ZOOM through ctypes, driven by the event
loop: see that module for why); the query in federator.query.pqf. This connector adds what a
partner's configuration says: endpoint and database, record syntax (MARC 21 as ISO 2709, MARCXML,
or the OPAC syntax with holdings and availability), Bib-1 index map and relations, paging through
present, init credentials from the environment. One connection per search, closed when it ends.

Bib-1 diagnostics become the partner's status: a query feature the server lacks (114
unsupported use attribute, 113/117-124 other attribute types, 107, 110, 129-132) raises
PartnerUnsupported naming the attribute and, where it is one of ours, the index; use attributes
refused once are remembered, so the next search on them is answered without asking again. Other
diagnostics raise PartnerDiagnostic; connect failures PartnerError; no answer within the
partner's timeout PartnerTimeout. Sample `config/` entry::

    partners:
      - id: perpus-wilayah
        name: "Perpustakaan Wilayah Contoh"
        protocol: z3950
        endpoint: "z3950.perpus-wilayah.example:210"   # or z3950://host:port/db, tcp:host:port
        database: biblios              # default: the endpoint's /db, else "Default"
        record_schema: marc21          # marc21 (ISO 2709, MARC-8 or UTF-8), marcxml, or opac
        page_size: 50                  # records per present request
        max_records: 100
        timeout: 8                     # seconds for the whole search (connect, search, present)
        indexes:                       # overrides of the Bib-1 map (canonical -> use attribute)
          author: "1"                  # personal name instead of 1003 (a use attribute, quoted)
          title: "1=4 4=1"             # a full attribute list
          isbn: null                   # cannot search ISBNs -> "unsupported"
        relations: ["=", "all", "any", "adj", "<", ">", "<=", ">="]   # omit for all
        credentials:                   # names of environment variables, never the secrets
          user_env: PERPUS_WILAYAH_Z3950_USER
          password_env: PERPUS_WILAYAH_Z3950_PASSWORD
          group_env: PERPUS_WILAYAH_Z3950_GROUP
        options:
          opac: true                   # ask for the OPAC record syntax (holdings, availability)
          element_set: F               # elementSetName (default F; marcxml for record_schema marcxml)
          charset: UTF-8               # Z39.50 character-set negotiation, when the server needs it
          query_charset: ISO-8859-1    # convert query terms for servers that index in another charset
          record_charset: "marc8,utf-8"  # YAZ conversion of MARC inside OPAC/XML (default shown)
          piggyback: true              # first page of records with the search response
"""

from __future__ import annotations

import dataclasses

import asyncio
import logging
import re
from typing import ClassVar

import httpx
from lxml import etree

from federator import safexml
from federator.config import Partner
from federator.connector import MAX_WARNINGS, Fetch
from federator.errors import ConfigError, PartnerDiagnostic, PartnerError, PartnerTimeout, PartnerUnsupported
from federator.protocols.zoom import (
    ERROR_CONNECTION_LOST,
    ZoomConnectError,
    ZoomConnection,
    ZoomDiagnostic,
    ZoomError,
    ZoomInitError,
    ZoomRecord,
    ZoomTimeoutError,
)
from federator.query.model import Query
from federator.query.pqf import bib1_attribute_map, to_pqf
from federator.records.model import Availability, Holding, Record
from federator.records.normalise import normalise_iso2709, normalise_xml

__all__ = ["Z3950Connector", "parse_endpoint", "opac_holdings"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 210
MARCXML_NS = "http://www.loc.gov/MARC21/slim"

# Bib-1 diagnostics that mean "this server cannot run that part of the query".
BIB1_ATTRIBUTE_TYPES = {113: "attribute type", 114: "use attribute", 115: "term for use attribute",
                        116: "use attribute (required)", 117: "relation attribute",
                        118: "structure attribute", 119: "position attribute",
                        120: "truncation attribute", 121: "attribute set", 122: "completeness attribute",
                        123: "attribute combination", 124: "coded value for term"}
BIB1_UNSUPPORTED = frozenset({3, 107, 110, 129, 131, 132, *BIB1_ATTRIBUTE_TYPES})

_SCHEMAS = {"marc21": "marc21", "usmarc": "marc21", "marc": "marc21", "iso2709": "marc21",
            "marcxml": "marcxml", "xml": "marcxml", "opac": "opac"}

_ENDPOINT = re.compile(r"^(?:(?P<scheme>z3950s?|z39\.50s?|tcp|ssl)(?::/*|:))?"
                       r"(?P<host>\[[^\]]+\]|[^:/]+)(?::(?P<port>\d+))?(?:/(?P<db>[^?#]*))?$", re.I)


def parse_endpoint(endpoint: str) -> tuple[str, str | None]:
    """"host:port", "z3950://host:port/db", "tcp:host:port", "host/db" -> ("tcp:host:port", db)."""
    match = _ENDPOINT.match(endpoint.strip())
    if not match:
        raise ConfigError(f"Z39.50 endpoint {endpoint!r} is not host:port, tcp:host:port or z3950://host:port/db")
    scheme = (match.group("scheme") or "tcp").lower()
    transport = "ssl" if scheme in ("ssl", "z3950s", "z39.50s") else "tcp"
    port = int(match.group("port") or DEFAULT_PORT)
    return f"{transport}:{match.group('host')}:{port}", (match.group("db") or None)


class Z3950Connector:
    """One Z39.50 partner; keeps only its configuration and what the server refused before."""

    protocol: ClassVar[str] = "z3950"
    schemas: ClassVar[tuple[str, ...]] = ("marc21", "marcxml", "opac")

    def __init__(self, partner: Partner, *, http: httpx.AsyncClient | None = None, gateway_url: str = "") -> None:
        self.partner = partner
        self.target, endpoint_db = parse_endpoint(partner.endpoint)
        self.database = partner.database or endpoint_db or "Default"
        options = partner.options
        if options.get("opac"):
            schema = "opac"
        elif "record_schema" in partner.model_fields_set:
            schema = _SCHEMAS.get(partner.record_schema.lower(), "")
            if not schema:
                raise ConfigError(f"partner {partner.id!r}: record_schema {partner.record_schema!r} is not one of "
                                  f"{', '.join(self.schemas)} for Z39.50")
        else:
            schema = "marc21"  # Partner's default (marcxml) is SRU's; Z39.50 servers all speak MARC
        self.schema = schema
        self.index_map = bib1_attribute_map(partner)
        self.relations = set(partner.relations) if partner.relations is not None else None
        self.refused_uses: dict[str, str] = {}  # use attribute value -> the diagnostic that refused it
        charset = str(options.get("record_charset") or "marc8,utf-8")
        if schema == "marc21":
            syntax, element_set, self.record_type = "usmarc", "F", "raw"
        elif schema == "marcxml":
            syntax, element_set, self.record_type = "xml", "marcxml", "xml"
        else:
            syntax, element_set, self.record_type = "opac", "F", f"xml; charset={charset}"
        user, password, group = partner.credentials.resolve()
        self.zoom_options: dict[str, str | int | None] = {
            "databaseName": self.database,
            "preferredRecordSyntax": options.get("syntax") or syntax,
            "elementSetName": options.get("element_set", element_set),
            "user": user,
            "password": password,
            "group": group,
            "charset": options.get("charset"),
            "rpnCharset": options.get("query_charset"),
            "presentChunk": partner.page_size,
            # the init asks the server to keep records and messages within the partner's bound;
            # search() also counts what arrives, for servers that ignore it
            "maximumRecordSize": partner.max_response_bytes,
            "preferredMessageSize": partner.max_response_bytes,
            "piggyback": "1" if options.get("piggyback", True) else "0",
        }

    def translate(self, query: Query) -> str:
        pqf = to_pqf(query, self.index_map, self.relations)
        for clause in query.clauses():
            for kind, value in self.index_map.get(clause.index) or ():
                if kind == 1 and str(value) in self.refused_uses:
                    raise PartnerUnsupported(f"{self.refused_uses[str(value)]} (remembered from an earlier search)",
                                             native_query=pqf)
        return pqf

    async def search(self, query: Query, *, limit: int) -> Fetch:
        """Search and present up to min(limit, max_records) records, page_size per present."""
        partner = self.partner
        native = self.translate(query)
        want = max(0, min(limit, partner.max_records))
        fetch = Fetch(native_query=native, hits=0)
        piggyback = min(want, partner.page_size) if self.zoom_options["piggyback"] == "1" else 0
        conn = ZoomConnection(self.target, timeout=partner.timeout, options=self.zoom_options)
        try:
            async with asyncio.timeout(partner.timeout):
                results = await conn.search(native, fetch=piggyback)
                fetch.hits = results.size
                start, end = 0, min(want, results.size)
                received = 0
                while start < end:
                    count = min(partner.page_size, end - start)
                    page = await results.records(start, count, record_type=self.record_type)
                    for zrecord in page:
                        received += len(zrecord.data or b"")
                        if received > partner.max_response_bytes:
                            raise PartnerError(f"records from {self.target} larger than "
                                               f"{partner.max_response_bytes} bytes", native_query=native,
                                               kind="too_large")
                        self._add(fetch, zrecord)
                    if not page:
                        _warn(fetch, f"the server sent no records for positions {start + 1}-{start + count}")
                        break
                    start += count
        except TimeoutError:
            raise PartnerTimeout(f"no answer from {self.target} within {partner.timeout:g} s",
                                 native_query=native) from None
        except ZoomError as exc:
            raise self._partner_error(exc, native) from exc
        finally:
            conn.close()
        return fetch

    async def close(self) -> None:
        """Nothing to release: every search closes its own connection."""

    # -- records --

    def _add(self, fetch: Fetch, zrecord: ZoomRecord) -> None:
        if zrecord.error is not None:
            fetch.skipped += 1
            _warn(fetch, f"record {zrecord.position + 1}: {zrecord.error}")
            return
        try:
            record = self._normalise(zrecord)
        except Exception as exc:  # noqa: BLE001 - one bad record never fails the search
            log.debug("partner %s: record %s not normalised: %s", self.partner.id, zrecord.position, exc)
            _warn(fetch, f"record {zrecord.position + 1}: not readable: {type(exc).__name__}: {exc}"[:300])
            record = None
        if record is None:
            fetch.skipped += 1
        else:
            fetch.records.append(record)

    def _normalise(self, zrecord: ZoomRecord) -> Record | None:
        data = zrecord.data
        if not data:
            return None
        syntax = (zrecord.syntax or "").lower()
        if self.record_type == "raw" and syntax not in ("xml", "opac"):
            return normalise_iso2709(data, self.partner.id)
        root = etree.fromstring(data, parser=_PARSER)
        if root.tag == "opacRecord":
            return _opac_record(root, self.partner.id)
        return normalise_xml(root, "marcxml", self.partner.id)

    # -- errors --

    def _partner_error(self, exc: ZoomError, native: str) -> PartnerError:
        where = self.target
        if isinstance(exc, ZoomTimeoutError):
            return PartnerTimeout(f"no answer from {where} within {self.partner.timeout:g} s", native_query=native)
        if isinstance(exc, ZoomConnectError):
            return PartnerError(f"cannot reach {where}: {exc.message} (ZOOM {exc.code})", native_query=native,
                                kind="reset" if exc.code == ERROR_CONNECTION_LOST else "connect")
        if isinstance(exc, ZoomInitError):
            return PartnerError(f"{where} refused the Z39.50 init (check the credentials): {exc}",
                                native_query=native, kind="auth")
        if isinstance(exc, ZoomDiagnostic):
            text = f"{exc.diagset} diagnostic {exc.code}: {exc.message}"
            if (exc.diagset or "").lower() == "bib-1" and exc.code in BIB1_UNSUPPORTED:
                what = BIB1_ATTRIBUTE_TYPES.get(exc.code)
                if what and exc.addinfo:
                    text += f" ({what} {exc.addinfo}{self._index_named(exc.code, exc.addinfo)})"
                elif exc.addinfo:
                    text += f" ({exc.addinfo})"
                if exc.code == 114 and exc.addinfo:
                    self.refused_uses[exc.addinfo.strip()] = text
                return PartnerUnsupported(text, native_query=native)
            if exc.addinfo:
                text += f" ({exc.addinfo})"
            return PartnerDiagnostic(text, uri=f"info:{(exc.diagset or 'zoom').lower()}/diagnostic/{exc.code}",
                                     native_query=native)
        return PartnerError(f"{where}: {exc}", native_query=native)

    def _index_named(self, code: int, addinfo: str) -> str:
        if code != 114:
            return ""
        names = [name for name, attrs in self.index_map.items()
                 if attrs and any(kind == 1 and str(value) == addinfo.strip() for kind, value in attrs)]
        return f": index {', '.join(names)}" if names else ""


_PARSER = safexml.parser(remove_blank_text=True)


def _warn(fetch: Fetch, message: str) -> None:
    if message not in fetch.warnings and len(fetch.warnings) < MAX_WARNINGS:
        fetch.warnings.append(message)


# --- OPAC records --------------------------------------------------------------------------------


def _opac_record(root: etree._Element, partner_id: str) -> Record | None:
    bib = root.find("bibliographicRecord")
    marc = bib.find(f"{{{MARCXML_NS}}}record") if bib is not None else None
    if marc is None:
        return None
    record = normalise_xml(marc, "marcxml", partner_id)
    holdings = opac_holdings(root, partner_id)
    # A copy: normalise_xml's record may be the record cache's, shared with every search that
    # got the same MARC; this answer's holdings (availability, due dates) and raw are its own.
    changes: dict = {"raw": etree.tostring(root, encoding="utf-8")}
    if holdings:  # the server's holdings statement wins over item fields inside the MARC record
        changes["holdings"] = holdings
    return dataclasses.replace(record, **changes)


def _text(elem: etree._Element | None, name: str) -> str | None:
    found = elem.find(name) if elem is not None else None
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text or None


def _due_date(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    return None


def opac_holdings(root: etree._Element, partner_id: str) -> list[Holding]:
    """Holdings of a YAZ OPAC XML record: one Holding per circulation entry (copy), or one per
    holding statement without circulation data."""
    out: list[Holding] = []
    for holding in root.iterfind("holdings/holding"):
        notes = [n for n in (_text(holding, "publicNote"), _text(holding, "enumAndChron"),
                             _text(holding, "copyNumber")) if n]
        base = dict(
            partner_id=partner_id,
            library=_text(holding, "localLocation") or _text(holding, "nucCode"),
            location=_text(holding, "shelvingLocation") or _text(holding, "shelvingData"),
            call_number=_text(holding, "callNumber"),
            note="; ".join(notes) or None,
        )
        circulations = holding.findall("circulations/circulation")
        if not circulations:
            out.append(Holding(**base))
            continue
        for circulation in circulations:
            now = circulation.find("availableNow")
            due = _due_date(_text(circulation, "availabilityDate"))
            if now is None:
                availability = Availability.UNKNOWN
            elif now.get("value") in ("1", "true"):
                availability = Availability.AVAILABLE
            else:
                availability = Availability.ON_LOAN if due else Availability.UNKNOWN
            out.append(Holding(**base, availability=availability, item_id=_text(circulation, "itemId"),
                               due_date=due if availability is Availability.ON_LOAN else None))
    return out
