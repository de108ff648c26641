"""The SRU server protocol layer (federator.protocols.sru_server) without HTTP: request reading,
version negotiation, parameter checks, and responses valid under the official schemas."""

from __future__ import annotations

import pytest
from lxml import etree

from federator.protocols import sru_server as sru
from federator.protocols.sru_server import Diagnostic
from federator.query.model import Clause, SortKey
from tests.support.sru_checks import SRU1, SRU2, SRU2_SCAN, diagnostics, load_schemas, text, validate


@pytest.fixture(scope="module")
def xsd():
    return load_schemas()


def request(default: str = "1.2", **params) -> sru.Request:
    return sru.read_request(list(params.items()), default_version=default, base_url="http://h:8000", path="/sru")


@pytest.mark.parametrize(("asked", "default", "version", "diagnostic"), [
    (None, "1.2", "1.2", False), (None, "2.0", "2.0", False), ("1.1", "2.0", "1.1", False),
    ("2.0", "1.2", "2.0", False), ("3.0", "1.2", "2.0", True), ("1.3", "2.0", "1.2", True),
    ("1.0", "2.0", "1.1", True), ("banana", "1.2", "1.2", True),
])
def test_version_negotiation(asked, default, version, diagnostic):
    req = request(default, **({"version": asked} if asked else {}))
    assert req.version == version
    assert [(d.number, d.details) for d in req.diagnostics] == ([(5, "2.0")] if diagnostic else [])


def test_parameter_names_and_operation():
    req = request(Query="a", QUERY="b", **{"x-Partners": "p1"})
    assert req.params == {"query": "a", "x-Partners": "p1"} and req.operation == "searchRetrieve"
    assert request(scanClause="dc.title=a").operation == "scan"
    assert request().operation == "explain"
    assert request(operation="update").operation == "update"


def params_of(req: sru.Request, **kwargs) -> sru.SearchParams:
    return sru.search_params(req, default_schema="marcxml", default_records=10, max_records=100,
                             **{"sort_keys": True, **kwargs})


def test_search_parameters():
    p = params_of(request(query="x", startRecord="3", maximumRecords="5000", recordSchema="info:srw/schema/1/dc-v1.1",
                          recordPacking="string", resultSetTTL="60"))
    assert (p.start, p.maximum, p.schema, p.string_packing, p.result_set_ttl) == (3, 100, "dc", True, 60)
    assert params_of(request("2.0", query="x", recordXMLEscaping="string")).string_packing
    req = request(query="x", sortKeys="dc.date,,0 title relevance,,1")
    params_of(req)
    assert req.sort_keys == (SortKey("year", False), SortKey("title", True), SortKey("relevance", True))


@pytest.mark.parametrize(("params", "number", "details"), [
    ({"query": "x", "frob": "1"}, 8, "frob"),
    ({}, 7, "query"),
    ({"query": "x", "queryType": "pqf"}, 6, "queryType"),
    ({"query": "x", "startRecord": "-1"}, 6, "startRecord"),
    ({"query": "x", "resultSetTTL": "soon"}, 6, "resultSetTTL"),
    ({"query": "x", "recordSchema": "usmarc"}, 66, "usmarc"),
    ({"query": "x", "recordPacking": "packed"}, 71, "packed"),
    ({"query": "x", "recordXPath": "/a"}, 72, "/a"),
    ({"query": "x", "sortKeys": "dc.subjekt"}, 88, "dc.subjekt"),
    ({"query": "x", "sortKeys": "title,,2"}, 90, "2"),
])
def test_search_parameter_diagnostics(params, number, details):
    with pytest.raises(Diagnostic) as info:
        params_of(request(**params))
    assert (info.value.number, info.value.details) == (number, details)


def test_a_server_without_sort_keys_refuses_them():
    with pytest.raises(Diagnostic) as info:
        params_of(request(query="x", sortKeys="title"), sort_keys=False)
    assert info.value.number == 80


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_fatal_diagnostic_responses_are_valid(xsd, version):
    req = request(version, query="x")
    req.diagnostics.append(Diagnostic(16, "unsupported index", details="nosuch"))
    root = etree.fromstring(sru.error_response(req))
    validate(xsd, root)
    assert text(root, "numberOfRecords") == "0"  # SRU 1.1 requires it even here
    assert diagnostics(root) == [("info:srw/diagnostic/1/16", "nosuch")]
    if version == "1.1":
        assert xsd["1.1-strict"].validate(root), xsd["1.1-strict"].error_log


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_search_response_with_records_and_result_set(xsd, version):
    req = request(version, query="dc.title = x", maximumRecords="2", resultSetTTL="30")
    req.query_tree = Clause("title", "=", "x")
    record = b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader></record>'
    root = etree.fromstring(sru.search_response(req, hits=5, records=[(1, record), (2, record)],
                                                schema_shown="marcxml", result_set=("abc", 30)))
    validate(xsd, root)
    assert text(root, "resultSetId") == "abc" and text(root, "nextRecordPosition") == "3"
    assert text(root, "resultSetTTL" if version == "2.0" else "resultSetIdleTime") == "30"
    assert etree.QName(root).namespace == (SRU2 if version == "2.0" else SRU1)


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_scan_response(xsd, version):
    req = request(version, operation="scan", scanClause="dc.title = b", maximumTerms="3")
    req.query_tree = Clause("title", "=", "b")
    terms = [sru.ScanTerm("a", 1), sru.ScanTerm("b", 2, "B"), sru.ScanTerm("c", 3)]
    root = etree.fromstring(sru.scan_response(req, terms))
    validate(xsd, root)
    ns = SRU2_SCAN if version == "2.0" else SRU1
    assert [w.text for w in root.iter(f"{{{ns}}}whereInList")] == ["first", "inner", "last"]
    assert root.find(f"{{{ns}}}echoedScanRequest/{{{ns}}}scanClause").text == "dc.title = b"


def test_unsupported_operation_is_a_search_retrieve_response(xsd):
    req = request("1.2", operation="scan", scanClause="x")
    req.diagnostics.append(Diagnostic(4, "unsupported operation", details="scan"))
    root = etree.fromstring(sru.error_response(req))
    validate(xsd, root)
    assert etree.QName(root).localname == "searchRetrieveResponse"
