"""federator.query.translate: the query tree in one SRU partner's CQL."""

from __future__ import annotations

import pytest

from federator.config import Partner
from federator.errors import ConfigError, PartnerUnsupported
from federator.query.cql import parse_cql
from federator.query.indexes import SRU_DEFAULT_MAP
from federator.query.params import query_from_params
from federator.query.translate import sru_index_map, to_partner_cql


def partner(**kwargs) -> Partner:
    return Partner(id="perpus-a", name="Perpustakaan A", endpoint="http://127.0.0.1:1/sru", **kwargs)


def test_default_map():
    q = parse_cql('ti = "laskar pelangi" and au = hirata or isbn = 979-3062-79-2 and kw = novel')
    assert to_partner_cql(q, SRU_DEFAULT_MAP) == (
        'dc.title = "laskar pelangi" and dc.creator = hirata or bath.isbn = 9793062792 and novel')


def test_override_map():
    p = partner(indexes={"title": "koha.title", "any": "kw", "oclc": "local.oclc"})
    index_map = sru_index_map(p)
    assert index_map["title"] == "koha.title"
    assert index_map["author"] == "dc.creator"
    q = parse_cql("title = x and dinosaur and oclc = 123")
    assert to_partner_cql(q, index_map) == "koha.title = x and kw = dinosaur and local.oclc = 123"


def test_default_map_is_not_mutated():
    sru_index_map(partner(indexes={"title": None}))
    assert SRU_DEFAULT_MAP["title"] == "dc.title"


def test_null_entry_is_unsupported_naming_the_index():
    index_map = sru_index_map(partner(indexes={"isbn": None}))
    q = query_from_params(title="x", isbn="978-0-306-40615-7")
    with pytest.raises(PartnerUnsupported) as info:
        to_partner_cql(q, index_map)
    assert info.value.message == "index 'isbn' (bath.isbn) not supported by this partner"
    assert info.value.status == "unsupported"


def test_index_without_any_default_is_unsupported():
    with pytest.raises(PartnerUnsupported, match="index 'oclc' not supported"):
        to_partner_cql(parse_cql("oclc = 123"), SRU_DEFAULT_MAP)


def test_missing_key_is_unsupported():
    with pytest.raises(PartnerUnsupported, match="'subject'"):
        to_partner_cql(parse_cql("su = sejarah"), {"any": "cql.serverChoice", "title": "dc.title"})


def test_relation_restriction():
    q = parse_cql('year within "2000 2010"')
    assert to_partner_cql(q, SRU_DEFAULT_MAP) == 'dc.date within "2000 2010"'
    with pytest.raises(PartnerUnsupported, match="relation 'within'"):
        to_partner_cql(q, SRU_DEFAULT_MAP, relations={"=", "all", "any", "<", ">", "<=", ">="})
    # relation names in configuration are case-insensitive
    assert to_partner_cql(parse_cql("title all x"), SRU_DEFAULT_MAP, relations={"ALL"}) == "dc.title all x"


def test_sort_not_sent():
    q = parse_cql("dinosaur sortBy dc.date/sort.descending")
    assert to_partner_cql(q, SRU_DEFAULT_MAP) == "dinosaur"


def test_modifiers_kept():
    q = parse_cql("title any/relevant x prox/distance<3 y")
    assert to_partner_cql(q, SRU_DEFAULT_MAP) == "dc.title any/relevant x prox/distance<3 y"


def test_isbn_hyphens_stripped_but_other_terms_untouched():
    q = parse_cql('isbn = "978-0-306-40615-7" and isbn any "0-306-40615-x 979-3062-79-2" and title = "x-y"')
    assert to_partner_cql(q, SRU_DEFAULT_MAP) == (
        'bath.isbn = 9780306406157 and bath.isbn any "030640615X 9793062792" and dc.title = x-y')


def test_unknown_override_key_is_a_config_error():
    with pytest.raises(ConfigError, match="tittle"):
        sru_index_map(partner(indexes={"tittle": "dc.title"}))
