"""SRU partners (F2): any catalog that answers SRU 1.1, 1.2 or 2.0 (Koha, Evergreen, Alma, Zebra,
a national library's server, another federator).

The protocol lives in federator.protocols.sru; this connector adds what a partner's configuration
says: endpoint, SRU version, GET or POST, record schema, index map and relations, paging,
credentials. Sample `config/` entry::

    partners:
      - id: perpus-kota
        name: "Perpustakaan Kota Contoh"
        protocol: sru
        endpoint: "https://opac.perpus-kota.example/sru/biblios"   # '{gateway}' = federator itself
        sru_version: "1.2"            # 1.1, 1.2 or 2.0
        http_method: GET              # or POST (form-encoded)
        record_schema: marcxml        # marcxml, dc or mods
        page_size: 50                 # records per request
        max_records: 100              # records per search, at most
        timeout: 8
        indexes:                      # overrides of the default SRU index map (canonical -> CQL)
          any: cql.anywhere
          isbn: bath.isbn
          issn: null                  # null: the partner cannot search ISSNs -> "unsupported"
        relations: ["=", "all", "any", "<", ">", "<=", ">="]   # omit for all
        credentials:                  # names of environment variables, never the secrets
          user_env: PERPUS_KOTA_SRU_USER
          password_env: PERPUS_KOTA_SRU_PASSWORD
"""

from __future__ import annotations

import logging
from typing import ClassVar

import httpx

from federator.config import Partner
from federator.connector import MAX_WARNINGS, Fetch
from federator.errors import ConfigError
from federator.protocols.sru import search_retrieve
from federator.query.model import Query
from federator.query.translate import sru_index_map, to_partner_cql
from federator.records.model import Record
from federator.records.normalise import normalise_xml

__all__ = ["SRUConnector"]

log = logging.getLogger(__name__)


class SRUConnector:
    """One SRU partner; stateless between searches apart from its configuration."""

    protocol: ClassVar[str] = "sru"
    schemas: ClassVar[tuple[str, ...]] = ("marcxml", "dc", "mods")

    def __init__(self, partner: Partner, *, http: httpx.AsyncClient, gateway_url: str) -> None:
        if partner.record_schema not in self.schemas:
            raise ConfigError(f"partner {partner.id!r}: record_schema {partner.record_schema!r} is not one of "
                              f"{', '.join(self.schemas)}")
        self.partner = partner
        self.http = http
        self.endpoint = partner.endpoint.replace("{gateway}", gateway_url.rstrip("/"))
        self.index_map = sru_index_map(partner)
        self.relations = set(partner.relations) if partner.relations is not None else None

    def translate(self, query: Query) -> str:
        return to_partner_cql(query, self.index_map, self.relations)

    def _auth(self) -> httpx.BasicAuth | None:
        user, password, _group = self.partner.credentials.resolve()
        if user is None and password is None:
            return None
        return httpx.BasicAuth(user or "", password or "")

    async def search(self, query: Query, *, limit: int) -> Fetch:
        """Page through the partner's results up to min(limit, max_records) records."""
        partner = self.partner
        native = self.translate(query)
        auth = self._auth()
        want = max(0, min(limit, partner.max_records))
        fetch = Fetch(native_query=native, hits=0)
        start, received = 1, 0
        while True:
            size = min(partner.page_size, want - received)
            page = await search_retrieve(
                self.http, self.endpoint, native, version=partner.sru_version, method=partner.http_method,
                start_record=start, maximum_records=size, record_schema=partner.record_schema, auth=auth,
                timeout=partner.timeout, max_bytes=partner.max_response_bytes, max_records=partner.max_records)
            fetch.hits = page.number_of_records
            for note in [*map(str, page.diagnostics), *page.notes]:
                _warn(fetch, note)
            got = 0
            for record in page.records:
                if received + got >= want:  # some servers send more than maximumRecords
                    break
                got += 1
                normalised = self._normalise(record.data, record.schema, record.position)
                if isinstance(normalised, Record):
                    fetch.records.append(normalised)
                else:
                    fetch.skipped += 1
                    _warn(fetch, normalised)
            for error in page.record_errors:
                if received + got >= want:
                    break
                got += 1
                fetch.skipped += 1
                _warn(fetch, error.message)
            received += got
            next_start = page.next_record_position or start + got
            if got == 0 or received >= want or next_start > fetch.hits or next_start <= start:
                return fetch
            start = next_start

    def _normalise(self, elem, schema: str, position: int | None) -> Record | str:
        """The record, or why it could not be read."""
        try:
            return normalise_xml(elem, schema, self.partner.id)
        except Exception as exc:  # one bad record never fails the search: it is counted as skipped
            log.debug("partner %s: record %s not normalised (%s): %s", self.partner.id, position, schema, exc)
            return f"record {position}: not readable as {schema}: {type(exc).__name__}: {exc}"[:300]

    async def close(self) -> None:
        """Nothing to release: the HTTP client belongs to the gateway."""


def _warn(fetch: Fetch, message: str) -> None:
    if message not in fetch.warnings and len(fetch.warnings) < MAX_WARNINGS:
        fetch.warnings.append(message)
