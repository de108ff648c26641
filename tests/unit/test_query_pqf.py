"""federator.query.pqf: query tree -> Bib-1 PQF, checked against libyaz's own CQL -> PQF.

The oracle is YAZ's cql_transform (libyaz.so.5, Debian libyaz5) driven by the pqf.properties
copy in tests/zebra/. YAZ adds default attributes (3=3, 6=1, 5=100) and uses structure 4=1 for
every `=`; we compare what both mean: tree shape, use, relation, truncation and term.
"""

from __future__ import annotations

import ctypes
from ctypes import c_char_p, c_int, c_void_p
from pathlib import Path

import pytest

from federator.config import Partner
from federator.errors import ConfigError, PartnerUnsupported
from federator.query.cql import parse_cql
from federator.query.model import Boolean, Clause, Modifier, Query
from federator.query.pqf import bib1_attribute_map, format_pqf_term, parse_attributes, to_pqf

PQF_PROPERTIES = Path(__file__).resolve().parents[1] / "zebra" / "pqf.properties"


# --- helpers -----------------------------------------------------------------------------------


def _libyaz():
    lib = ctypes.CDLL("libyaz.so.5")  # Debian libyaz5: scripts/test.sh installs it
    lib.cql_transform_open_fname.restype = c_void_p
    lib.cql_transform_open_fname.argtypes = [c_char_p]
    lib.cql_transform_close.argtypes = [c_void_p]
    lib.cql_parser_create.restype = c_void_p
    lib.cql_parser_destroy.argtypes = [c_void_p]
    lib.cql_parser_string.argtypes = [c_void_p, c_char_p]
    lib.cql_parser_string.restype = c_int
    lib.cql_parser_result.restype = c_void_p
    lib.cql_parser_result.argtypes = [c_void_p]
    lib.cql_transform_buf.argtypes = [c_void_p, c_void_p, c_char_p, c_int]
    lib.cql_transform_buf.restype = c_int
    lib.ZOOM_query_create.restype = c_void_p
    lib.ZOOM_query_prefix.argtypes = [c_void_p, c_char_p]
    lib.ZOOM_query_prefix.restype = c_int
    lib.ZOOM_query_destroy.argtypes = [c_void_p]
    return lib


@pytest.fixture(scope="module")
def yaz():
    return _libyaz()


@pytest.fixture(scope="module")
def oracle(yaz):
    """CQL -> PQF by libyaz with tests/zebra/pqf.properties."""
    transform = yaz.cql_transform_open_fname(str(PQF_PROPERTIES).encode())
    assert transform, "YAZ could not read tests/zebra/pqf.properties"
    parser = yaz.cql_parser_create()

    def run(cql: str) -> str:
        assert yaz.cql_parser_string(parser, cql.encode()) == 0, cql
        buf = ctypes.create_string_buffer(8192)
        assert yaz.cql_transform_buf(transform, yaz.cql_parser_result(parser), buf, len(buf)) == 0, cql
        return buf.value.decode()

    yield run
    yaz.cql_parser_destroy(parser)
    yaz.cql_transform_close(transform)


def yaz_accepts(yaz, pqf: str) -> bool:
    query = yaz.ZOOM_query_create()
    try:
        return yaz.ZOOM_query_prefix(query, pqf.encode()) == 0
    finally:
        yaz.ZOOM_query_destroy(query)


def _tokens(pqf: str) -> list[str]:
    out, i, n = [], 0, len(pqf)
    while i < n:
        if pqf[i].isspace():
            i += 1
        elif pqf[i] == '"':
            j, buf = i + 1, []
            while pqf[j] != '"':
                if pqf[j] == "\\":
                    j += 1
                buf.append(pqf[j])
                j += 1
            out.append('"' + "".join(buf))  # a leading quote marks a term
            i = j + 1
        else:
            j = i
            while j < n and not pqf[j].isspace():
                j += 1
            out.append(pqf[i:j])
            i = j
    return out


def meaning(pqf: str):
    """The parts of a PQF both translators must agree on: booleans, and per term the use (1),
    relation (2) and truncation (5, 100 = none) attributes and the term itself."""
    tokens = _tokens(pqf)
    pos = 0

    def node(inherited: dict):
        nonlocal pos
        attrs = dict(inherited)
        while tokens[pos] == "@attr":
            kind, value = tokens[pos + 1].split("=", 1)
            attrs[int(kind)] = value
            pos += 2
        tok = tokens[pos]
        pos += 1
        if tok in ("@and", "@or"):  # associative: a chain is one n-ary node, however nested
            parts = []
            for child in (node(attrs), node(attrs)):
                parts.extend(child[1] if child[0] == tok else [child])
            return (tok, parts)
        if tok == "@not":
            return (tok, node(attrs), node(attrs))
        if tok == "@prox":
            args = tuple(tokens[pos:pos + 6])
            pos += 6
            return ("@prox", args, node(attrs), node(attrs))
        term = tok[1:] if tok.startswith('"') else tok
        trunc = attrs.get(5, "100")
        return (attrs.get(1), attrs.get(2, "3"), None if trunc == "100" else trunc, term)

    tree = node({})
    assert pos == len(tokens), pqf
    return tree


# --- against the oracle --------------------------------------------------------------------------

ORACLE_CASES = [
    "dc.title=computer",
    'dc.title="two words"',
    "dc.title=comp*",
    'dc.title="*abc"',
    'dc.title="a*b"',
    'dc.title="a?"',
    'dc.title all "a b c"',
    'dc.title any "a b"',
    'dc.title all comp*',
    "dc.creator=tournier",
    "dc.subject=loneliness",
    "bath.isbn=0415782654",
    "bath.issn=1234-5678",
    "dc.language=ind",
    "dc.publisher=routledge",
    "rec.id=12345",
    "cql.serverChoice=history",
    "history",
    "dc.date < 2000",
    "dc.date <= 2000",
    "dc.date > 2000",
    "dc.date >= 2000",
    "dc.date <> 2000",
    "a and b or c",
    "a not b",
    "a and (b or c)",
    'dc.title="x" and (dc.creator=y or bath.isbn=123)',
    'dc.title="a\\"b"',
    "dc.title=@x",
    "dc.title =/relevant x",
    "x prox y",
]


@pytest.mark.parametrize("cql", ORACLE_CASES)
def test_agrees_with_libyaz_cql_to_pqf(cql, oracle, yaz):
    ours = to_pqf(parse_cql(cql), bib1_attribute_map({"year": "1=30"}))  # YAZ maps dc.date to 30
    assert yaz_accepts(yaz, ours), ours
    assert meaning(ours) == meaning(oracle(cql)), (ours, oracle(cql))


# --- exact output ----------------------------------------------------------------------------------


def pqf(cql: str, **overrides) -> str:
    return to_pqf(parse_cql(cql), bib1_attribute_map(overrides))


def test_word_phrase_and_exact_structure():
    assert pqf("dc.title=computer") == '@attr 1=4 @attr 2=3 @attr 4=2 "computer"'
    assert pqf('dc.title="escape from loneliness"') == '@attr 1=4 @attr 2=3 @attr 4=1 "escape from loneliness"'
    assert pqf('dc.title adj "escape from"') == '@attr 1=4 @attr 2=3 @attr 4=1 "escape from"'
    assert pqf('dc.title == "escape from loneliness"') == (
        '@attr 1=4 @attr 2=3 @attr 4=1 @attr 6=3 "escape from loneliness"')


def test_all_and_any_split_words_left_deep():
    assert pqf('dc.creator all "paul tournier gilmour"') == (
        '@and @and @attr 1=1003 @attr 2=3 @attr 4=2 "paul" @attr 1=1003 @attr 2=3 @attr 4=2 "tournier" '
        '@attr 1=1003 @attr 2=3 @attr 4=2 "gilmour"')
    assert pqf('dc.subject any "self loneliness"') == (
        '@or @attr 1=21 @attr 2=3 @attr 4=2 "self" @attr 1=21 @attr 2=3 @attr 4=2 "loneliness"')
    assert pqf("dc.title all escape") == '@attr 1=4 @attr 2=3 @attr 4=2 "escape"'


def test_year_relations_and_ranges():
    assert pqf("dc.date >= 1990") == '@attr 1=31 @attr 2=4 "1990"'
    assert pqf("dc.date < 1990") == '@attr 1=31 @attr 2=1 "1990"'
    assert pqf("dc.date <> 1990") == '@attr 1=31 @attr 2=6 "1990"'
    assert pqf('dc.date within "1990 2000"') == '@and @attr 1=31 @attr 2=4 "1990" @attr 1=31 @attr 2=2 "2000"'
    tree = Query(Boolean("and", Clause("year", ">=", "1990"), Clause("year", "<=", "2000")))
    assert to_pqf(tree) == '@and @attr 1=31 @attr 2=4 "1990" @attr 1=31 @attr 2=2 "2000"'


def test_truncation_and_masking():
    assert pqf("dc.title=comp*") == '@attr 1=4 @attr 2=3 @attr 4=2 @attr 5=1 "comp"'
    assert pqf('dc.title="*puter"') == '@attr 1=4 @attr 2=3 @attr 4=2 @attr 5=2 "puter"'
    assert pqf('dc.title="*put*"') == '@attr 1=4 @attr 2=3 @attr 4=2 @attr 5=3 "put"'
    assert pqf('dc.title="c*t?r"') == '@attr 1=4 @attr 2=3 @attr 4=2 @attr 5=104 "c?t#r"'
    assert pqf('dc.title="100\\*"') == '@attr 1=4 @attr 2=3 @attr 4=2 "100*"'  # escaped: literal
    assert pqf('dc.title="^escape"') == '@attr 1=4 @attr 2=3 @attr 3=1 @attr 4=2 "escape"'
    with pytest.raises(PartnerUnsupported, match="anchoring"):
        pqf('dc.title="escape^"')


def test_terms_are_quoted_and_escaped(yaz):
    assert format_pqf_term('say "hi"') == '"say \\"hi\\""'
    assert format_pqf_term("back\\slash") == '"back\\\\slash"'
    # tree terms keep CQL escapes: \\ is a backslash, \s an escaped (plain) s
    cases = {"@and": "@and", 'a "quoted" word': 'a "quoted" word', "back\\\\slash": "back\\slash",
             "back\\slash": "backslash", "ends with \\": "ends with \\", "ünïcödé": "ünïcödé"}
    for term, literal in cases.items():
        out = to_pqf(Query(Clause("title", "==", term)))
        assert yaz_accepts(yaz, out), out
        assert meaning(out)[3] == literal


def test_isbn_hyphens_are_dropped():
    assert pqf("bath.isbn=0-415-78265-x") == '@attr 1=7 @attr 2=3 @attr 4=2 "041578265X"'


def test_booleans_and_prox():
    assert pqf("a not b").startswith("@not ")
    assert pqf("a prox/unit=sentence/distance<=3/ordered b").startswith("@prox 0 3 1 2 k 3 ")
    with pytest.raises(PartnerUnsupported, match="proximity modifier"):
        pqf("a prox/unit=galaxy b")


def test_long_flat_chains_do_not_recurse(yaz):
    root = Clause("isbn", "=", "9780000000000")
    for i in range(1, 3000):
        root = Boolean("or", root, Clause("isbn", "=", f"978{i:010d}"))
    out = to_pqf(Query(root))
    assert out.count("@or") == 2999
    assert yaz_accepts(yaz, out)


# --- per-partner maps --------------------------------------------------------------------------------


def test_parse_attributes_forms():
    assert parse_attributes(4) == ((1, 4),)
    assert parse_attributes("4") == ((1, 4),)
    assert parse_attributes("1=4") == ((1, 4),)
    assert parse_attributes("1=4 4=1") == ((1, 4), (4, 1))
    assert parse_attributes("@attr 1=1003 @attr 2=3") == ((1, 1003), (2, 3))
    assert parse_attributes("1=dc.title") == ((1, "dc.title"),)
    for bad in ("", "title", "1=", "=4", True):
        with pytest.raises(ValueError):
            parse_attributes(bad)


def test_partner_overrides_and_unsupported():
    partner = Partner(id="north", name="North", protocol="z3950", endpoint="localhost:210",
                      indexes={"title": "1=4 4=1", "author": "1", "isbn": None})
    index_map = bib1_attribute_map(partner)
    assert index_map["title"] == ((1, 4), (4, 1))
    assert index_map["subject"] == ((1, 21),)
    # the partner's own structure wins over the one derived from the relation
    assert to_pqf(parse_cql("dc.title=escape"), index_map) == '@attr 1=4 @attr 2=3 @attr 4=1 "escape"'
    assert to_pqf(parse_cql("dc.creator=tournier"), index_map) == '@attr 1=1 @attr 2=3 @attr 4=2 "tournier"'
    with pytest.raises(PartnerUnsupported) as info:
        to_pqf(parse_cql("dc.title=escape and bath.isbn=0415782654"), index_map)
    assert "'isbn'" in info.value.message and "7" in info.value.message


def test_bad_partner_maps_are_config_errors():
    with pytest.raises(ConfigError, match="not canonical"):
        bib1_attribute_map({"shelfmark": "1=20"})
    with pytest.raises(ConfigError, match="title"):
        bib1_attribute_map({"title": "four"})


def test_partner_relations_and_modifiers():
    with pytest.raises(PartnerUnsupported, match="relation '<>'"):
        to_pqf(parse_cql("dc.date <> 1990"), relations=["=", "<", ">"])
    with pytest.raises(PartnerUnsupported, match="/windowed"):
        to_pqf(Query(Clause("title", "=", "x", (Modifier("windowed"),))))
    assert to_pqf(Query(Clause("title", "=", "x", (Modifier("stem"),)))) == '@attr 1=4 @attr 2=101 @attr 4=2 "x"'
