"""federator.safexml: the one parser configuration for partner XML, and element names."""

from __future__ import annotations

import pytest
from lxml import etree

from federator import safexml


def test_entities_are_not_expanded_and_nothing_is_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    doc = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY s SYSTEM "file://{secret}">]><r>&s;</r>').encode()
    root = etree.fromstring(doc, safexml.PARSER)
    assert "root:x" not in etree.tostring(root).decode()


@pytest.mark.parametrize("option", ["resolve_entities", "no_network", "load_dtd", "huge_tree"])
def test_safety_options_cannot_be_loosened(option):
    with pytest.raises(ValueError, match=option):
        safexml.parser(**{option: True})


def test_options_can_be_added():
    p = safexml.parser(remove_blank_text=True)
    assert etree.tostring(etree.fromstring(b"<a>\n  <b/>\n</a>", p)) == b"<a><b/></a>"


def test_local_names_and_finding_a_wrapped_element():
    wrapped = etree.fromstring(b'<c xmlns="urn:x"><!-- note --><r><f/></r><r/></c>')
    assert safexml.local_name(wrapped.tag) == "c"
    assert safexml.local_name(wrapped[0].tag) is None  # a comment
    found = safexml.find_named(wrapped, "r")
    assert found is wrapped[1] and safexml.find_named(found, "r") is found
    assert safexml.find_named(wrapped, "absent") is wrapped
