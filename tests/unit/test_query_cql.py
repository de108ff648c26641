"""federator.query.cql: CQL 1.2 in, the query tree out, and back."""

from __future__ import annotations

import threading

import pytest

from federator.errors import QueryError, QuerySyntaxError, UnsupportedIndexError, UnsupportedRelationError
from federator.query.cql import format_term, parse_cql, to_cql
from federator.query.model import Boolean, Clause, Modifier, SortKey


def test_bare_term_is_any_equals():
    q = parse_cql("dinosaur")
    assert q.root == Clause("any", "=", "dinosaur")
    assert q.sort == ()
    assert q.text == "dinosaur"


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("dc.title = x", "title"),
        ("DC.Title = x", "title"),
        ("bath.isbn = x", "isbn"),
        ("dc.creator = x", "author"),
        ("cql.serverChoice = x", "any"),
        ("au = x", "author"),
        ("dc.date = x", "year"),
        ("rec.id = x", "id"),
    ],
)
def test_indexes_become_canonical(text, index):
    assert parse_cql(text).root.index == index


def test_real_world_query_with_prefix_modifiers_booleans_and_sort():
    text = (
        '> dc = "info:srw/cql-context-set/1/dc-v1.1" '
        'dc.title any/relevant/cql.string<3 "fish frog" prox/unit=word/distance>3 '
        '(dc.creator = "Smith, J*" or bath.isbn = 9780306406157) '
        "sortBy dc.date/sort.descending dc.title"
    )
    q = parse_cql(text)
    assert q.root == Boolean(
        "prox",
        Clause("title", "any", "fish frog", (Modifier("relevant"), Modifier("cql.string", "<", "3"))),
        Boolean("or", Clause("author", "=", "Smith, J*"), Clause("isbn", "=", "9780306406157")),
        (Modifier("unit", "=", "word"), Modifier("distance", ">", "3")),
    )
    assert q.sort == (SortKey("year", ascending=False), SortKey("title", ascending=True))
    assert q.text == text


def test_prefix_assignment_renames_a_context_set():
    q = parse_cql('> x = "info:srw/cql-context-set/1/dc-v1.1" x.title = dinosaur')
    assert q.root == Clause("title", "=", "dinosaur")


def test_prefix_assignment_scopes_to_its_subquery():
    q = parse_cql('(> x = "info:srw/cql-context-set/1/dc-v1.1" x.title = a) and dc.title = b')
    assert q.clauses() == [Clause("title", "=", "a"), Clause("title", "=", "b")]
    with pytest.raises(UnsupportedIndexError):
        parse_cql('(> x = "info:srw/cql-context-set/1/dc-v1.1" x.title = a) and x.title = b')


def test_prefix_bound_to_unknown_context_set_is_unsupported():
    with pytest.raises(UnsupportedIndexError, match="urn:example:set"):
        parse_cql('> dc = "urn:example:set" dc.title = a')


def test_booleans_are_left_associative_and_nest():
    q = parse_cql("a and b or c not (d prox e)")
    assert q.root == Boolean(
        "not",
        Boolean("or", Boolean("and", Clause("any", "=", "a"), Clause("any", "=", "b")), Clause("any", "=", "c")),
        Boolean("prox", Clause("any", "=", "d"), Clause("any", "=", "e")),
    )
    assert [c.term for c in q.clauses()] == ["a", "b", "c", "d", "e"]


def test_keywords_are_case_insensitive():
    q = parse_cql("a AND b SORTBY dc.title")
    assert q.root.op == "and"
    assert q.sort == (SortKey("title"),)


def test_quoted_terms_and_escapes():
    assert parse_cql(r'title = "say \"hi\""').root.term == 'say "hi"'
    # an escaped backslash ends the term: the quote after it closes the string
    q = parse_cql(r'title = "C:\\" and author = x')
    assert q.root.left.term == r"C:\\"
    assert q.root.right == Clause("author", "=", "x")
    # masking escapes stay escaped, they mean something to the partner
    assert parse_cql(r'title = "100\*"').root.term == r"100\*"
    assert parse_cql('title = ""').root.term == ""


def test_reserved_words_as_terms():
    assert parse_cql('title = "and"').root == Clause("title", "=", "and")
    assert parse_cql("title = sortby").root == Clause("title", "=", "sortby")


def test_relations_normalised():
    assert parse_cql("title ALL x").root.relation == "all"
    assert parse_cql("title cql.adj x").root.relation == "adj"
    assert parse_cql("title scr x").root.relation == "="
    assert parse_cql("title exact x").root.relation == "=="
    assert parse_cql('year within "2000 2010"').root == Clause("year", "within", "2000 2010")
    assert parse_cql("year <> 1999").root.relation == "<>"


def test_sort_keys():
    q = parse_cql("a sortBy dc.date/sort.descending relevance holdings/descending title/sort.ascending")
    assert q.sort == (SortKey("year", False), SortKey("relevance"), SortKey("holdings", False), SortKey("title"))


def test_unknown_sort_index():
    with pytest.raises(UnsupportedIndexError, match="dc.nope"):
        parse_cql("a sortBy dc.nope")


# --- errors -----------------------------------------------------------------------------------


def test_unclosed_parenthesis_names_its_position():
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql("title = (foo")
    assert info.value.position == 9
    assert "position 9" in info.value.message and "'('" in info.value.message


def test_unexpected_token_names_position_and_token():
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql("title = (foo)")
    assert info.value.position == 9
    assert "position 9" in info.value.message and "'('" in info.value.message
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql("dinosaur and = bones")
    assert info.value.position == 14
    assert "'='" in info.value.message


def test_extra_closing_parenthesis():
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql("(a and b))")
    assert info.value.position == 10
    assert "')'" in info.value.message


def test_unterminated_quote():
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql('title = "dinosaur bones')
    assert info.value.position == 9
    assert "unterminated" in info.value.message
    with pytest.raises(QuerySyntaxError):
        parse_cql(r'title = "ends in escaped quote\"')


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_query(text):
    with pytest.raises(QuerySyntaxError, match="empty query"):
        parse_cql(text)


@pytest.mark.parametrize(("text", "position"), [("a and", 6), ("title =", 8), ("a sortBy", 9), ("a b", 4)])
def test_query_ending_too_early(text, position):
    with pytest.raises(QuerySyntaxError) as info:
        parse_cql(text)
    assert info.value.position == position
    assert f"position {position}" in info.value.message


def test_unknown_index_lists_known_names():
    with pytest.raises(UnsupportedIndexError) as info:
        parse_cql("dc.identifier = 123 and title = x")
    msg = info.value.message
    assert "'dc.identifier'" in msg
    for name in ("dc.title", "bath.isbn", "cql.serverchoice"):
        assert name in msg
    assert info.value.diagnostic == 16
    assert info.value.details == "dc.identifier"


def test_unknown_relation():
    with pytest.raises(UnsupportedRelationError) as info:
        parse_cql("title encloses x")
    assert "encloses" in info.value.message
    assert info.value.diagnostic == 19
    with pytest.raises(UnsupportedRelationError):
        parse_cql("title foo bar")  # `foo` is a named relation


def test_length_limit():
    parse_cql("a" * 2000)
    with pytest.raises(QueryError, match="2001 characters.*2000"):
        parse_cql("a" * 2001)
    with pytest.raises(QueryError):
        parse_cql("a" * 101, max_length=100)


def test_depth_limit():
    ok = "(" * 32 + "a" + ")" * 32
    assert parse_cql(ok).root == Clause("any", "=", "a")
    with pytest.raises(QueryError, match="32 deep") as info:
        parse_cql("(" * 33 + "a" + ")" * 33)
    assert info.value.position == 33
    assert not isinstance(info.value, UnsupportedIndexError)


def test_mixed_boolean_chain_too_deep():
    text = " ".join(f"t{i} {'and' if i % 2 else 'or'}" for i in range(40)) + " end"
    with pytest.raises(QueryError, match="levels deep"):
        parse_cql(text)
    parse_cql(text, max_depth=64)


def test_flat_chains_are_balanced_and_keep_order():
    q = parse_cql("a or b or c or d or e")
    assert [c.term for c in q.clauses()] == ["a", "b", "c", "d", "e"]
    assert q.root == Boolean(
        "or",
        Boolean("or", Boolean("or", Clause("any", "=", "a"), Clause("any", "=", "b")), Clause("any", "=", "c")),
        Boolean("or", Clause("any", "=", "d"), Clause("any", "=", "e")),
    )
    # the same chain written with other parentheses is the same tree
    assert parse_cql("(a or b) or (c or (d or e))").root == q.root
    # booleans with modifiers, `not` and `prox` are never regrouped
    assert parse_cql("a not b not c").root == Boolean(
        "not", Boolean("not", Clause("any", "=", "a"), Clause("any", "=", "b")), Clause("any", "=", "c"))


def test_long_flat_chain_is_not_too_deep():
    # 1,500 clauses: deeper than Python's recursion limit if anything recursed over the chain
    text = " or ".join(f"isbn={9780000000000 + i}" for i in range(1500))
    q = parse_cql(text, max_length=len(text))
    assert len(q.clauses()) == 1500
    printed = to_cql(q)
    assert parse_cql(printed, max_length=len(printed)).root == q.root


def test_parser_recovers_after_errors():
    for bad in ("title = (foo", '"x', "a and", ")"):
        with pytest.raises(QuerySyntaxError):
            parse_cql(bad)
        assert parse_cql("title = ok").root == Clause("title", "=", "ok")


def test_parsers_are_per_thread():
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                q = parse_cql(f"title = t{n}x{i} and (author = a{n} or subject = s{i})")
                assert q.root.left.term == f"t{n}x{i}"
            results[n] = q
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 4


# --- printing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "cql"),
    [
        ("dinosaur", "dinosaur"),
        ("fish frog", '"fish frog"'),
        ('say "hi"', r'"say \"hi\""'),
        ("", '""'),
        ("and", '"and"'),
        ("a/b", '"a/b"'),
        ("comput*", "comput*"),
        (r"a b\*", r'"a b\*"'),
        ("a b\\", '"a b\\\\"'),
    ],
)
def test_format_term(term, cql):
    assert format_term(term) == cql


def test_to_cql_uses_standard_names():
    q = parse_cql("ti = dinosaur and au all \"john smith\" and isbn = 123 and kw = x sortBy year/sort.descending")
    assert to_cql(q) == (
        'dc.title = dinosaur and dc.creator all "john smith" and bath.isbn = 123 and x '
        "sortBy dc.date/sort.descending"
    )


@pytest.mark.parametrize(
    "text",
    [
        "dinosaur",
        '"dinosaur bones"',
        'title = "say \\"hi\\"" and author = "C:\\\\"',
        'title any/relevant/cql.string<3 "fish frog" prox/unit=word/distance>3 b',
        "a or (b and (c not d))",
        "(a or b) and (c or d) and e",
        "a and b and c or d not e",
        'year within "2000 2010" and year >= 1999 and year <> 2001',
        "oclc = 12345 and rec.id = abc",
        "title = comput* and title = \"100\\*\"",
        "title = \"and\" or \"\"",
        "cql.serverChoice all/stem \"running dogs\" sortBy dc.title relevance/sort.descending",
        '> d = "info:srw/cql-context-set/1/dc-v1.1" d.subject = history sortBy d.date',
    ],
)
def test_round_trip(text):
    q = parse_cql(text)
    printed = to_cql(q)
    again = parse_cql(printed)
    assert again.root == q.root
    assert again.sort == q.sort
    assert to_cql(again) == printed
