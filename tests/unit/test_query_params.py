"""federator.query.params: simple keyword and fielded parameters as a query tree."""

from __future__ import annotations

import pytest

from federator.errors import QueryError, QuerySyntaxError, UnsupportedIndexError
from federator.query.cql import parse_cql
from federator.query.model import Boolean, Clause, SortKey
from federator.query.params import query_from_params


def test_single_keyword():
    q = query_from_params(q="dinosaur")
    assert q.root == Clause("any", "=", "dinosaur")
    assert q.text == "dinosaur"


def test_multiword_keyword_uses_all():
    q = query_from_params(q="  sejarah   kota  Makassar ")
    assert q.root == Clause("any", "all", "sejarah kota Makassar")
    assert q.text == 'cql.serverChoice all "sejarah kota Makassar"'


def test_fields_are_anded_in_order():
    q = query_from_params(title="Laskar Pelangi", author="Hirata", subject="novel", language="ind", format="book")
    assert q.clauses() == [
        Clause("title", "all", "Laskar Pelangi"),
        Clause("author", "all", "Hirata"),
        Clause("subject", "all", "novel"),
        Clause("language", "=", "ind"),
        Clause("format", "=", "book"),
    ]
    assert all(isinstance(n, Boolean) and n.op == "and" for n in [q.root, q.root.left, q.root.right])
    assert q.text == (
        'dc.title all "Laskar Pelangi" and dc.creator all Hirata and dc.subject all novel '
        "and dc.language = ind and dc.type = book"
    )
    assert parse_cql(q.text).root == q.root


def test_year_range():
    q = query_from_params(title="java", year_from="1999", year_to=2005)
    assert q.clauses()[1:] == [Clause("year", ">=", "1999"), Clause("year", "<=", "2005")]
    assert query_from_params(year_from="0800").root == Clause("year", ">=", "800")
    assert query_from_params(year_to="2000").root == Clause("year", "<=", "2000")
    assert query_from_params(year_from=2000, year_to=2000).clauses() == [
        Clause("year", ">=", "2000"), Clause("year", "<=", "2000")]


@pytest.mark.parametrize("year", ["19999", "20a0", "-1", "1.5", "MCMXC"])
def test_bad_year(year):
    with pytest.raises(QueryError, match="year_from"):
        query_from_params(year_from=year)


def test_year_from_after_year_to():
    with pytest.raises(QueryError, match="after"):
        query_from_params(year_from="2010", year_to="2000")


@pytest.mark.parametrize(
    ("given", "term"),
    [
        ("978-602-03-1258-3", "9786020312583"),
        ("979 3062 79 2", "9793062792"),
        ("0-306-40615-x", "030640615X"),
        ("9780306406157", "9780306406157"),
    ],
)
def test_isbn_normalised(given, term):
    assert query_from_params(isbn=given).root == Clause("isbn", "=", term)


@pytest.mark.parametrize("isbn", ["laskar pelangi", "978-602", "97860203125831", "978602031258?", "isbn 9780306406157"])
def test_implausible_isbn(isbn):
    with pytest.raises(QueryError, match="isbn"):
        query_from_params(isbn=isbn)


def test_issn():
    assert query_from_params(issn="0126-0537").root == Clause("issn", "=", "0126-0537")
    assert query_from_params(issn="2088705x").root == Clause("issn", "=", "2088-705X")
    with pytest.raises(QueryError, match="issn"):
        query_from_params(issn="12-345")
    with pytest.raises(QueryError, match="issn"):
        query_from_params(issn="Jurnal Sejarah")


def test_cql_is_anded_last_and_keeps_sort():
    q = query_from_params(title="java", cql="dc.date >= 2000 or dc.subject = programming sortBy dc.date/sort.descending")
    assert q.root == Boolean(
        "and",
        Clause("title", "all", "java"),
        Boolean("or", Clause("year", ">=", "2000"), Clause("subject", "=", "programming")),
    )
    assert q.sort == (SortKey("year", ascending=False),)
    assert q.text == (
        "dc.title all java and (dc.date >= 2000 or dc.subject = programming) sortBy dc.date/sort.descending")
    again = parse_cql(q.text)
    assert (again.root, again.sort) == (q.root, q.sort)


def test_cql_alone():
    q = query_from_params(cql='dc.title = "laskar pelangi"')
    assert q.root == Clause("title", "=", "laskar pelangi")
    assert q.text == 'dc.title = "laskar pelangi"'


def test_cql_errors_propagate():
    with pytest.raises(QuerySyntaxError):
        query_from_params(title="x", cql="dc.title = (foo")
    with pytest.raises(UnsupportedIndexError):
        query_from_params(cql="dc.nope = x")


@pytest.mark.parametrize("kwargs", [{}, {"q": ""}, {"q": "   ", "title": "", "cql": " "}, {"year_from": None}])
def test_empty_query(kwargs):
    with pytest.raises(QueryError, match="empty query"):
        query_from_params(**kwargs)


def test_terms_with_quotes_and_reserved_words_survive_text():
    q = query_from_params(title='the "best" of', author="and", q="C:\\")
    again = parse_cql(q.text)
    assert again.root == q.root
    assert q.clauses()[0] == Clause("any", "=", "C:\\\\")


def test_too_long():
    with pytest.raises(QueryError, match="limit"):
        query_from_params(title="x" * 2001)
    with pytest.raises(QueryError, match="limit"):
        query_from_params(title="x " * 500, author="y " * 500, subject="z " * 500)
