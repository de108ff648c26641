"""XML from partners is remote data: the one safe lxml parser configuration, and element names.

Every reader of partner XML (the SRU client, the Z39.50 connector's OPAC/XML records, the record
normalisers reading a Record.raw again) parses with `parser()`: no entity is resolved, no DTD
loaded, nothing fetched from the network, no huge-tree mode (libxml2's depth and size limits
stay on). Options can be added, never loosened.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["PARSER", "find_named", "local_name", "parser"]

_UNSAFE = frozenset({"resolve_entities", "no_network", "load_dtd", "huge_tree", "dtd_validation", "attribute_defaults"})


def parser(**options) -> etree.XMLParser:
    """A safe parser with `options` added (e.g. remove_blank_text=True, collect_ids=False)."""
    loosened = _UNSAFE & options.keys()
    if loosened:
        raise ValueError(f"safexml.parser() keeps {', '.join(sorted(loosened))} safe")
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **options)


PARSER = parser()


def local_name(tag) -> str | None:
    """The local part of an element tag ("{ns}record" -> "record"); None for comments and
    processing instructions."""
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def find_named(elem, name: str):
    """`elem` itself when its local name is `name`, else its first descendant with that local
    name (a record inside a wrapper: collection, recordData, SRW envelope), else `elem`."""
    if local_name(elem.tag) == name:  # the common case, without an iterator (per-record path)
        return elem
    for node in elem.iter():
        if local_name(node.tag) == name:
            return node
    return elem
