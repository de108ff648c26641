"""Simple keyword and fielded search parameters (F5) turned into the same query tree as CQL.

Each given parameter becomes one clause; the clauses are ANDed left to right in parameter order,
with parsed `cql` last. `Query.text` is the CQL the parameters amount to, so every answer can
show (and an SRU client could replay) what was searched.
"""

from __future__ import annotations

import re

from federator.errors import QueryError, QueryTooLongError
from federator.query.cql import (
    MAX_DEPTH,
    MAX_LENGTH,
    _unquote,
    check_characters,
    combine,
    normalise_term,
    parse_cql,
    to_cql,
)
from federator.query.model import Clause, Node, Query

__all__ = ["query_from_params"]

_ISBN_CHARS = re.compile(r"[0-9Xx\-\s]+")
_ISBN = re.compile(r"\d{9}[\dX]|\d{13}")
_ISSN = re.compile(r"(\d{4})-?(\d{3}[\dXx])")
_YEAR = re.compile(r"\d{1,4}")


def _text(name: str, value: object, max_length: int) -> str | None:
    """The stripped value with whitespace collapsed, or None when empty (an unused form field)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    if len(text) > max_length:
        raise QueryTooLongError(f"{name} is {len(text)} characters long; the limit is {max_length}", details=name)
    check_characters(text, name)
    # stored as a CQL term is (federator.query.cql): \" is a quote, other escapes stay as written
    return normalise_term(_unquote(text))


def _isbn(value: str) -> str:
    if not _ISBN_CHARS.fullmatch(value):
        raise QueryError(f"isbn {value!r} contains characters an ISBN cannot have "
                         "(digits, X and hyphens only)", details="isbn")
    compact = re.sub(r"[\-\s]", "", value).upper()
    if not _ISBN.fullmatch(compact):
        raise QueryError(f"isbn {value!r} is not a 10- or 13-digit ISBN", details="isbn")
    return compact


def _issn(value: str) -> str:
    match = _ISSN.fullmatch(value.replace(" ", ""))
    if not match:
        raise QueryError(f"issn {value!r} is not an ISSN (expected NNNN-NNNN, last character may be X)",
                         details="issn")
    return f"{match.group(1)}-{match.group(2).upper()}"


def _year(name: str, value: str) -> int:
    if not _YEAR.fullmatch(value):
        raise QueryError(f"{name} {value!r} is not a year (1 to 4 digits)", details=name)
    return int(value)


def query_from_params(
    *,
    q: str | None = None,
    title: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    isbn: str | None = None,
    issn: str | None = None,
    year_from: str | int | None = None,
    year_to: str | int | None = None,
    language: str | None = None,
    format: str | None = None,  # noqa: A002 - the public parameter name
    cql: str | None = None,
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
) -> Query:
    """The query tree for simple parameters (ANDed) plus optional CQL; raises QueryError subclasses."""
    values = {
        name: _text(name, value, max_length)
        for name, value in (("q", q), ("title", title), ("author", author), ("subject", subject),
                            ("isbn", isbn), ("issn", issn), ("year_from", year_from), ("year_to", year_to),
                            ("language", language), ("format", format))
    }
    clauses: list[Clause] = []
    if values["q"]:
        words = values["q"]
        clauses.append(Clause("any", "all" if " " in words else "=", words))
    for name in ("title", "author", "subject"):
        if values[name]:
            clauses.append(Clause(name, "all", values[name]))
    if values["isbn"]:
        clauses.append(Clause("isbn", "=", _isbn(values["isbn"])))
    if values["issn"]:
        clauses.append(Clause("issn", "=", _issn(values["issn"])))
    first = _year("year_from", values["year_from"]) if values["year_from"] else None
    last = _year("year_to", values["year_to"]) if values["year_to"] else None
    if first is not None and last is not None and first > last:
        raise QueryError(f"year_from {first} is after year_to {last}", details="year_from")
    if first is not None:
        clauses.append(Clause("year", ">=", str(first)))
    if last is not None:
        clauses.append(Clause("year", "<=", str(last)))
    for name in ("language", "format"):
        if values[name]:
            clauses.append(Clause(name, "=", values[name]))

    sort = ()
    nodes: list[Node] = list(clauses)
    if cql is not None and cql.strip():
        parsed = parse_cql(cql.strip(), max_length=max_length, max_depth=max_depth)
        nodes.append(parsed.root)
        sort = parsed.sort
    if not nodes:
        raise QueryError("empty query")

    root = combine("and", nodes)
    query = Query(root=root, sort=sort)
    text = to_cql(query)
    if len(text) > max_length:
        raise QueryTooLongError(f"the query amounts to {len(text)} characters of CQL; the limit is {max_length}")
    return Query(root=root, sort=sort, text=text)
