"""The search parameters shared by GET /search and GET /search/stream: parsed, limited and
turned into a query tree and a partner selection in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query as Q, Request

from federator.config import Partner, Settings
from federator.errors import QueryTooLongError, UnsupportedParameterError
from federator.query.model import Query
from federator.query.params import query_from_params
from federator.service import SORTS, SearchService

SEARCH_PARAMS = frozenset({
    "q", "cql", "title", "author", "subject", "isbn", "issn", "year_from", "year_to", "language",
    "format", "partners", "network", "sort", "page", "page_size",
})


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: Query
    partners: list[Partner]
    sort: str
    page: int
    page_size: int


def search_params(service: SearchService, settings: Settings):
    """A FastAPI dependency that validates the search parameters (4xx on anything wrong)."""

    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop (and a
    # wake-up of the event loop) per request for work that is pure CPU and takes microseconds.
    async def dependency(
        request: Request,
        q: Annotated[str | None, Q(description="Keywords, searched in all indexes")] = None,
        cql: Annotated[str | None, Q(description="A CQL 1.2 query (ANDed with the other parameters)")] = None,
        title: Annotated[str | None, Q(description="Title words")] = None,
        author: Annotated[str | None, Q(description="Author words")] = None,
        subject: Annotated[str | None, Q(description="Subject words")] = None,
        isbn: Annotated[str | None, Q(description="ISBN-10 or ISBN-13")] = None,
        issn: Annotated[str | None, Q(description="ISSN")] = None,
        year_from: Annotated[int | None, Q(ge=0, le=9999, description="Earliest year of publication")] = None,
        year_to: Annotated[int | None, Q(ge=0, le=9999, description="Latest year of publication")] = None,
        language: Annotated[str | None, Q(description="Language code (ISO 639-2), e.g. ind")] = None,
        format: Annotated[str | None, Q(description="Material type, e.g. book, serial")] = None,
        partners: Annotated[str | None, Q(max_length=2000, description="Comma-separated partner ids (default: all)")] = None,
        network: Annotated[str | None, Q(max_length=100, description="Only partners in this network/region")] = None,
        sort: Annotated[str, Q(max_length=20, description=f"One of {', '.join(SORTS)}")] = "relevance",
        page: Annotated[int, Q(ge=1, le=10000, description="Page number, from 1")] = 1,
        page_size: Annotated[int | None, Q(ge=1, description="Merged records per page")] = None,
    ) -> SearchRequest:
        unknown = sorted(set(request.query_params) - SEARCH_PARAMS)
        if unknown:
            raise UnsupportedParameterError(
                f"unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(SEARCH_PARAMS))}")
        limits = service.settings.search  # the service's: POST /admin/reload changes them
        text_len = sum(len(v) for v in (q, cql, title, author, subject) if v)
        if text_len > limits.max_query_length:
            raise QueryTooLongError(
                f"query too long: {text_len} characters (at most {limits.max_query_length})")
        if sort not in SORTS:
            raise UnsupportedParameterError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        size = page_size or limits.default_page_size
        if size > limits.max_page_size:
            raise UnsupportedParameterError(f"page_size {size} is over the maximum {limits.max_page_size}")
        query = query_from_params(q=q, cql=cql, title=title, author=author, subject=subject,
                                  isbn=isbn, issn=issn, year_from=year_from, year_to=year_to,
                                  language=language, format=format, max_length=limits.max_query_length,
                                  max_depth=limits.max_cql_depth)
        chosen = service.select(_split(partners), network)
        return SearchRequest(query, chosen, sort, page, size)

    return dependency


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]
