"""Property-based tests (hypothesis): whatever a user types or a partner sends, parsing,
translation and normalisation end in a result or a documented error, never an unhandled one.

- CQL: random token soups, arbitrary text and mutations of real queries. parse_cql raises only
  QueryError subclasses; a parsed query prints back to CQL that parses to the same tree; it
  translates to partner CQL and to Bib-1 PQF, raising at most PartnerUnsupported.
- Simple parameters: only QueryError.
- MARC: real records (tests/fixtures/marc, see PROVENANCE.md) with bytes flipped, inserted,
  deleted or cut, as ISO 2709 and as MARCXML: normalise_iso2709 returns a Record or None;
  the MARCXML path raises at most ValueError (not MARC).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from federator.config import Partner
from federator.errors import PartnerUnsupported, QueryError
from federator.query.cql import parse_cql, to_cql
from federator.query.params import query_from_params
from federator.query.pqf import bib1_attribute_map, to_pqf
from federator.query.translate import sru_index_map, to_partner_cql
from federator.records.model import Record
from federator.records.normalise import normalise_iso2709, normalise_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marc"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REAL_QUERIES = [
    'dc.title = "sejarah indonesia"',
    "dc.creator all \"Pramoedya Ananta Toer\" and dc.date >= 1980",
    "(dc.subject = islam or dc.subject = hukum) not dc.language = eng",
    'bath.isbn = "978-979-22-3123-4"',
    "cql.serverChoice any \"laskar pelangi\" sortBy dc.date/sort.descending",
    'dc.title =/relevant "perl*" prox/unit=word/distance<3 dc.creator = wall',
    '> dc = "info:srw/cql-context-set/1/dc-v1.1" dc.title = "a \\"quoted\\" word"',
    "title within \"1990 2000\" or year <> 1999",
    'dc.identifier == "rec-001" and (a or (b and (c or d)))',
]
TOKENS = ["dc.title", "dc.creator", "dc.date", "bath.isbn", "cql.serverChoice", "title", "isbn", "year", "foo.bar",
          "=", "==", "<>", "<", ">", "<=", ">=", "all", "any", "adj", "within", "exact", "scr", "/", "/relevant",
          "and", "or", "not", "prox", "sortBy", "(", ")", '"', '\\"', "*", "?", "^", "\\", ">", "dc", "x", "sejarah",
          "1999", "978-0-596", "", " ", "\t", "é", "日本", "/sort.descending", "=/", "%", "'"]

PARTNER = Partner(id="p", name="P", endpoint="http://127.0.0.1:1/sru")
RESTRICTED = Partner(id="r", name="R", endpoint="http://127.0.0.1:1/sru", indexes={"isbn": None, "subject": None},
                     relations=["=", "all", "any"])
SRU_MAPS = [(sru_index_map(PARTNER), None), (sru_index_map(RESTRICTED), set(RESTRICTED.relations))]
PQF_MAPS = [(bib1_attribute_map(PARTNER), None), (bib1_attribute_map(RESTRICTED), set(RESTRICTED.relations))]


def mutated(text: str, data) -> str:
    """`text` with a few random insertions, deletions and replacements."""
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(chars)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(st.sampled_from(TOKENS + list('()"\\/=<> *?^')))
        if action == "insert" or not chars:
            chars[where:where] = list(piece)
        elif action == "delete":
            del chars[min(where, len(chars) - 1)]
        else:
            chars[min(where, len(chars) - 1)] = piece
    return "".join(chars)


cql_texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
)


def check_query_text(text: str) -> None:
    try:
        query = parse_cql(text)
    except QueryError:
        return
    printed = to_cql(query)
    again = parse_cql(printed)  # what we print (and send on as the query's text) parses again
    assert again.root == query.root, (text, printed)
    for index_map, relations in SRU_MAPS:
        try:
            assert isinstance(to_partner_cql(query, index_map, relations), str)
        except PartnerUnsupported:
            pass
    for index_map, relations in PQF_MAPS:
        try:
            assert isinstance(to_pqf(query, index_map, relations), str)
        except PartnerUnsupported:
            pass


@PROPERTY
@given(cql_texts)
def test_any_cql_text_parses_or_is_a_query_error(text):
    check_query_text(text)


@PROPERTY
@given(st.sampled_from(REAL_QUERIES), st.data())
def test_mutated_real_queries_parse_or_are_query_errors(query, data):
    check_query_text(mutated(query, data))


@PROPERTY
@given(st.fixed_dictionaries({}, optional={name: st.one_of(st.text(max_size=40), st.sampled_from(TOKENS))
                                           for name in ("q", "title", "author", "subject", "isbn", "issn",
                                                        "year_from", "year_to", "language", "format", "cql")}))
def test_simple_parameters_give_a_query_or_a_query_error(params):
    try:
        query = query_from_params(**params)
    except QueryError:
        return
    assert query.text and parse_cql(query.text).root == query.root


# --- MARC ---------------------------------------------------------------------------------------


def _iso2709_records() -> list[bytes]:
    out: list[bytes] = []
    for path in [FIXTURES / "loc_booksall2016_slice.mrc", FIXTURES / "traject_test_data.utf8.mrc",
                 *sorted((FIXTURES / "openlibrary_test_inputs" / "bin_input").glob("*.mrc"))[:20]]:
        out.extend(piece + b"\x1d" for piece in path.read_bytes().split(b"\x1d")[:15] if len(piece) > 24)
    return out


def _marcxml_records() -> list[bytes]:
    out: list[bytes] = []
    koha = etree.parse(str(FIXTURES / "koha_misc4dev_biblios_slice.marcxml.xml")).getroot()
    out.extend(etree.tostring(r) for r in list(koha)[:30])
    for path in sorted((FIXTURES / "openlibrary_test_inputs" / "xml_input").glob("*.xml"))[:10]:
        out.append(path.read_bytes())
    return out


ISO2709 = _iso2709_records()
MARCXML = _marcxml_records()


def mutate_bytes(data: bytes, draw) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, max(0, len(buf) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut", "digit", "terminator"]))
        if action == "flip" and buf:
            buf[where] = draw(st.integers(0, 255))
        elif action == "insert":
            buf[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and buf:
            del buf[where:where + draw(st.integers(1, 16))]
        elif action == "cut":
            del buf[where:]
        elif action == "digit" and buf:  # lengths and directory offsets are ASCII digits
            buf[where] = ord(draw(st.sampled_from("0123456789")))
        elif action == "terminator":
            buf[where:where] = draw(st.sampled_from([b"\x1d", b"\x1e", b"\x1f"]))
    return bytes(buf)


def parse_leniently(text: bytes):
    """What a partner's mangled XML parses to when the parser recovers what it can; None if nothing."""
    try:
        return etree.fromstring(text, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def test_fixtures_were_found():
    assert len(ISO2709) >= 40 and len(MARCXML) >= 35


@PROPERTY
@given(st.sampled_from(ISO2709), st.data())
def test_mutated_iso2709_gives_a_record_or_none(record, data):
    result = normalise_iso2709(mutate_bytes(record, data.draw), "p")
    assert result is None or isinstance(result, Record)


@PROPERTY
@given(st.sampled_from(MARCXML), st.data())
def test_mutated_marcxml_gives_a_record_or_a_value_error(record, data):
    elem = parse_leniently(mutate_bytes(record, data.draw))
    if elem is None:
        return
    try:
        result = normalise_xml(elem, "marcxml", "p")
    except ValueError:
        return
    assert isinstance(result, Record)


@pytest.mark.parametrize("schema", ["dc", "mods"])
@PROPERTY
@given(st.sampled_from(MARCXML[:5]), st.data())
def test_other_schemas_on_foreign_xml_do_not_crash(schema, record, data):
    elem = parse_leniently(mutate_bytes(record, data.draw) if data.draw(st.booleans()) else record)
    if elem is None:
        return
    try:
        assert isinstance(normalise_xml(elem, schema, "p"), Record)
    except ValueError:
        pass
