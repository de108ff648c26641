"""MARCXML <-> pymarc.Record, with lxml.

Reading is namespace-tolerant: MARC21 slim, marcxchange or no namespace at all are read by local
name, since SRU servers differ. Writing always produces MARC21 slim that validates against
MARC21slim.xsd: leader bytes the schema forbids are repaired, datafields without subfields and
characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Subfield

from federator.records._text import xml_safe
from federator.safexml import find_named, local_name
from federator.records.marc import MarcField

__all__ = ["MARC21_NS", "element_fields", "element_to_marc", "marc_to_element"]

MARC21_NS = "http://www.loc.gov/MARC21/slim"
_NSMAP = {None: MARC21_NS}
_RECORD = f"{{{MARC21_NS}}}record"
_LEADER = f"{{{MARC21_NS}}}leader"
_CONTROLFIELD = f"{{{MARC21_NS}}}controlfield"
_DATAFIELD = f"{{{MARC21_NS}}}datafield"
_SUBFIELD = f"{{{MARC21_NS}}}subfield"
_BLANK_LEADER = " " * 24

_new_field = Field.__new__
_new_tuple = tuple.__new__
_INDICATORS: dict[tuple[str, str], Indicators] = {}


def _indicators(ind1: str | None, ind2: str | None) -> Indicators:
    key = ((ind1 or " ")[:1] or " ", (ind2 or " ")[:1] or " ")
    found = _INDICATORS.get(key)
    if found is None:
        found = _INDICATORS.setdefault(key, Indicators(*key))
    return found


def element_fields(elem, tags: frozenset[str] | None = None) -> tuple[str | None, list[MarcField]]:
    """(leader or None, fields) of a MARCXML <record> element (any namespace, or none): the
    field list federator.records.marc.normalise_fields reads, straight from the elements.

    Fields whose tag is not three letters or digits are dropped; a subfield without a code is
    skipped, an empty code reads as " ", a missing indicator as " ". A record without any field
    with a valid tag is refused (ValueError): it is not MARC. With `tags`, only fields with those
    tags are returned (the others are not read any further).
    """
    elem = find_named(elem, "record")  # the marc:record, or the first inside a wrapper
    fields: list[MarcField] = []
    append = fields.append
    good_tags = _GOOD_TAGS
    indicator = _INDICATOR
    leader = None
    valid = 0  # fields with a valid tag, returned or not
    for child in elem:
        tag = child.tag
        if tag == _DATAFIELD or (tag != _CONTROLFIELD and local_name(tag) == "datafield"):
            get = child.get
            field_tag = get("tag") or "   "
            if field_tag not in good_tags and not _tag_ok(field_tag):
                continue
            valid += 1
            if tags is not None and field_tag not in tags:
                continue
            subfields = []
            add = subfields.append
            for sub in child:
                code = sub.get("code")
                if code is not None:
                    add((code if len(code) == 1 else code[:1] or " ", sub.text or ""))
            ind1, ind2 = get("ind1"), get("ind2")
            append(_new_tuple(MarcField, (field_tag, indicator.get(ind1) or (ind1 or " ")[:1] or " ",
                                          indicator.get(ind2) or (ind2 or " ")[:1] or " ", subfields, None)))
        elif tag == _CONTROLFIELD or local_name(tag) == "controlfield":
            field_tag = child.get("tag") or "   "
            if field_tag in good_tags or _tag_ok(field_tag):
                valid += 1
                if tags is None or field_tag in tags:
                    append(_new_tuple(MarcField, (field_tag, "", "", (), child.text or "")))
        elif tag == _LEADER or local_name(tag) == "leader":
            leader = child.text or ""
    if not valid:
        raise ValueError("not a MARC record: no field with a valid tag")
    if leader is not None and len(leader) != 24:
        leader = (leader + _BLANK_LEADER)[:24]
    return leader, fields


def element_to_marc(elem) -> pymarc.Record:
    """A pymarc.Record from a MARCXML <record> element, read as element_fields reads it.

    Fields are built without pymarc's per-field validation, which costs more than the parse.
    """
    leader, marc_fields = element_fields(elem)
    rec = pymarc.Record()
    fields = rec.fields
    for f in marc_fields:
        field = _new_field(Field)
        field.tag = f.tag
        if f.data is None:
            field._indicators = _indicators(f.indicator1, f.indicator2)
            field.subfields = [_new_tuple(Subfield, sub) for sub in f.subfields]
            field.data = None
            field.control_field = False
        else:
            field._indicators = None
            field.subfields = []
            field.data = f.data
            field.control_field = True
        fields.append(field)
    if leader is not None:
        rec.leader = Leader(leader)
    return rec


_TAG_OK = re.compile(r"[0-9A-Za-z]{3}")
_GOOD_TAGS = frozenset(f"{n:03d}" for n in range(1000))  # the usual tags, without a regex call
_INDICATOR = {c: c for c in " 0123456789abcdefghijklmnopqrstuvwxyz|#"}  # a one-character indicator is kept as is


def _tag_ok(tag: str) -> bool:
    return _TAG_OK.fullmatch(tag) is not None


# Leader repairs so that the output matches the schema's leader pattern.
_LEADER_DIGITS = re.compile(r"[0-9 ]")
_LEADER_ALNUM = re.compile(r"[0-9A-Za-z ]")
_CONTROL_TAG_RE = re.compile(r"00[1-9A-Za-z]")
_DATA_TAG_RE = re.compile(r"0[1-9A-Za-z][0-9A-Za-z]|[1-9A-Za-z][0-9A-Za-z]{2}")
_INDICATOR_OK = frozenset("0123456789abcdefghijklmnopqrstuvwxyz ")
_CODE_OK = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?{}_^`~[]\\"
)


def _schema_leader(leader: str) -> str:
    """The leader with bytes MARC21slim.xsd rejects replaced; leader/06 defaults to 'a'."""
    chars = list((leader + _BLANK_LEADER)[:24])
    for i in (0, 1, 2, 3, 4, 12, 13, 14, 15, 16):
        if not _LEADER_DIGITS.fullmatch(chars[i]):
            chars[i] = " "
    for i in (5, 7, 8, 9, 17, 18, 19):
        if not _LEADER_ALNUM.fullmatch(chars[i]):
            chars[i] = " "
    if not chars[6].isascii() or not chars[6].isalnum():
        chars[6] = "a"
    for i in (10, 11):
        if chars[i] not in "2 ":
            chars[i] = "2"
    if "".join(chars[20:24]) not in ("4500", "    "):
        chars[20:24] = list("4500")
    return "".join(chars)


def _set_text(node, value: str) -> None:
    try:
        node.text = value
    except ValueError:  # control characters from old MARC
        node.text = xml_safe(value)


def marc_to_element(rec: pymarc.Record):
    """A MARCXML <record> (MARC21 slim namespace) for rec, valid against MARC21slim.xsd."""
    root = etree.Element(_RECORD, nsmap=_NSMAP)
    leader = etree.SubElement(root, _LEADER)
    leader.text = _schema_leader(str(rec.leader or ""))
    control = [f for f in rec.fields if f.is_control_field()]
    data = [f for f in rec.fields if not f.is_control_field()]
    for field in control:
        if not _CONTROL_TAG_RE.fullmatch(field.tag or ""):
            continue
        node = etree.SubElement(root, _CONTROLFIELD, tag=field.tag)
        _set_text(node, field.data or "")
    for field in data:
        if not _DATA_TAG_RE.fullmatch(field.tag or ""):
            continue
        subfields = [(c, v) for c, v in field.subfields if c in _CODE_OK]
        if not subfields:
            continue
        ind1, ind2 = field.indicators or (" ", " ")
        node = etree.SubElement(
            root,
            _DATAFIELD,
            tag=field.tag,
            ind1=ind1 if ind1 in _INDICATOR_OK else " ",
            ind2=ind2 if ind2 in _INDICATOR_OK else " ",
        )
        for code, value in subfields:
            sub = etree.SubElement(node, _SUBFIELD, code=code)
            _set_text(sub, value or "")
    return root

