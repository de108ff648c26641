"""The query tree as Bib-1 PQF (Type-1 RPN in YAZ's prefix notation), per partner (F3, F5).

The defaults follow the standard CQL-to-Bib-1 mapping (YAZ's `pqf.properties`): use attributes
from `BIB1_DEFAULT_MAP`; relations `<` 2=1, `<=` 2=2, `=` 2=3, `>=` 2=4, `>` 2=5, `<>` 2=6;
right truncation `*` 5=1, left 5=2, both 5=3, inner masks Z39.58 5=104 (`*` -> `?`, `?` -> `#`).
A partner's `indexes` overrides entries: an int or `"4"` is a use attribute, `"1=4 4=1"` a full
attribute list (its types win over the ones derived from the relation), null makes the index
unsupported. What a partner cannot run raises PartnerUnsupported naming it, never a silent drop.

Structure follows CQL's meaning, not YAZ's catch-all 4=1: one word is a word search (4=2), several
words under `=` or `adj` a phrase (4=1), `all`/`any` an @and/@or of word searches, `==` a
complete-field phrase (4=1 6=3). `within "a b"` becomes `@and (>= a) (<= b)`. Terms are always
quoted, with `\\` and `"` escaped, so no term can be read as an operator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from federator.config import Partner
from federator.errors import ConfigError, PartnerUnsupported
from federator.query.indexes import BIB1_DEFAULT_MAP, CANONICAL
from federator.query.model import Boolean, Clause, Modifier, Node, Query

__all__ = [
    "Attributes",
    "bib1_attribute_map",
    "format_pqf_term",
    "parse_attributes",
    "to_pqf",
]

# (type, value) pairs in PQF order, e.g. ((1, 4), (4, 1)); a value may be a string (1=dc.title)
Attributes = tuple[tuple[int, int | str], ...]

RELATIONS: dict[str, int] = {"<": 1, "<=": 2, "=": 3, "==": 3, ">=": 4, ">": 5, "<>": 6,
                             "adj": 3, "all": 3, "any": 3}
# CQL relation modifier -> the attribute it sets (None: accepted, changes nothing)
RELATION_MODIFIERS: dict[str, tuple[int, int] | None] = {
    "relevant": (2, 102),
    "stem": (2, 101),
    "phonetic": (2, 100),
    "fuzzy": (5, 103),
    "regexp": (5, 102),
    "unmasked": (5, 100),
    "masked": None,
    "word": (4, 2),
    "string": (4, 108),
}
PROX_UNITS: dict[str, int] = {"character": 1, "word": 2, "sentence": 3, "paragraph": 4,
                              "element": 8}
PROX_RELATIONS: dict[str, int] = {"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5, "<>": 6}

_ATTR = re.compile(r"(\d+)=(\S+)")
_ISBN_LIKE = re.compile(r"[0-9Xx\-]+")


def parse_attributes(spec: int | str) -> Attributes:
    """`4`, `"4"`, `"1=4"`, `"1=4 4=1"` or `"@attr 1=4 @attr 2=3"` -> ((1, 4), ...)."""
    if isinstance(spec, bool):
        raise ValueError(f"not a Bib-1 attribute spec: {spec!r}")
    if isinstance(spec, int):
        return ((1, spec),)
    text = spec.replace("@attr", " ").strip()
    if text.isdigit():
        return ((1, int(text)),)
    out: list[tuple[int, int | str]] = []
    for token in text.split():
        match = _ATTR.fullmatch(token)
        if not match:
            raise ValueError(f"not a Bib-1 attribute spec: {spec!r} (expected e.g. '1=4' or '1=4 4=1')")
        value = match.group(2)
        out.append((int(match.group(1)), int(value) if value.isdigit() else value))
    if not out:
        raise ValueError(f"empty Bib-1 attribute spec: {spec!r}")
    return tuple(out)


def bib1_attribute_map(partner: Partner | Mapping[str, int | str | None] | None = None,
                       ) -> dict[str, Attributes | None]:
    """BIB1_DEFAULT_MAP updated with a partner's `indexes` overrides (or a plain mapping)."""
    overrides = partner.indexes if isinstance(partner, Partner) else (partner or {})
    who = f"partner {partner.id!r}: " if isinstance(partner, Partner) else ""
    unknown = sorted(set(overrides) - set(CANONICAL))
    if unknown:
        raise ConfigError(f"{who}indexes {', '.join(unknown)} are not canonical index names "
                          f"(known: {', '.join(CANONICAL)})")
    out: dict[str, Attributes | None] = {
        name: None if use is None else ((1, use),) for name, use in BIB1_DEFAULT_MAP.items()}
    for name, spec in overrides.items():
        try:
            out[name] = None if spec is None else parse_attributes(spec)
        except ValueError as exc:
            raise ConfigError(f"{who}index {name!r}: {exc}") from None
    return out


def format_pqf_term(term: str) -> str:
    """A PQF term: always quoted, backslash and double quote escaped."""
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs_text(attrs: dict[int, int | str]) -> str:
    return " ".join(f"@attr {t}={v}" for t, v in sorted(attrs.items()))


def _unsupported(clause: Clause, what: str) -> PartnerUnsupported:
    return PartnerUnsupported(f"{what} not supported by this partner (index {clause.index!r}, "
                              f"relation {clause.relation!r})")


def _masks(clause: Clause, word: str) -> tuple[str, dict[int, int]]:
    """Resolve CQL masking and anchoring in one word -> (literal PQF term, attributes it implies)."""
    chars: list[tuple[str, bool]] = []  # (character, is it a mask/anchor?)
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\" and i + 1 < len(word):
            chars.append((word[i + 1], False))
            i += 2
            continue
        chars.append((c, c in "*?^"))
        i += 1
    attrs: dict[int, int] = {}
    if chars and chars[0] == ("^", True):
        chars = chars[1:]
        attrs[3] = 1  # first in field
    if chars and chars[-1] == ("^", True):
        chars = chars[:-1]
        if attrs.get(3) == 1:
            attrs[3], attrs[6] = 3, 3  # anchored both ends: the complete field
        else:
            raise _unsupported(clause, "anchoring at the end of a field ('^' after the term)")
    if any(c == "^" and mask for c, mask in chars):
        raise _unsupported(clause, "'^' inside a term")
    left = bool(chars) and chars[0] == ("*", True)
    right = len(chars) > 1 and chars[-1] == ("*", True)
    core = chars[(1 if left else 0):(len(chars) - 1 if right else len(chars))]
    if any(mask for _, mask in core):
        # masks inside the word: Z39.58 truncation, where '?' is any run and '#' one character
        if any(c in "?#" and not mask for c, mask in chars):
            raise _unsupported(clause, "a literal '?' or '#' next to masking characters")
        text = "".join(("?" if c == "*" else "#") if mask else c for c, mask in chars)
        attrs[5] = 104
        return text, attrs
    if left or right:
        attrs[5] = 3 if left and right else 2 if left else 1
    return "".join(c for c, _ in core), attrs


def _term_node(clause: Clause, use: Attributes, term: str, base: dict[int, int | str]) -> str:
    text, implied = _masks(clause, term)
    attrs: dict[int, int | str] = {**base, **implied}
    if implied.get(6) == 3:
        attrs[4] = 1
    for t, v in use:  # the partner's own attribute list wins
        attrs[t] = v
    return f"{_attrs_text(attrs)} {format_pqf_term(text)}"


def _join(op: str, parts: list[str]) -> str:
    """Left-deep chain, as CQL booleans associate: a b c -> @op @op a b c."""
    if not parts:
        raise ValueError("nothing to join")
    return f"{op} " * (len(parts) - 1) + " ".join(parts)


def _clause_pqf(clause: Clause, index_map: Mapping[str, Attributes | None],
                allowed: set[str] | None) -> str:
    if clause.index not in index_map:
        raise PartnerUnsupported(f"index {clause.index!r} not supported by this partner")
    use = index_map[clause.index]
    if use is None:
        standard = BIB1_DEFAULT_MAP.get(clause.index)
        shown = f"index {clause.index!r}" + (f" (Bib-1 use attribute {standard})" if standard else "")
        raise PartnerUnsupported(f"{shown} not supported by this partner")
    relation = clause.relation
    if allowed is not None and relation not in allowed:
        raise _unsupported(clause, f"relation {relation!r}")
    base: dict[int, int | str] = {}
    if relation in RELATIONS:
        base[2] = RELATIONS[relation]
    elif relation != "within":
        raise _unsupported(clause, f"relation {relation!r}")
    for mod in clause.modifiers:
        name = mod.name.lower().removeprefix("cql.")
        if name not in RELATION_MODIFIERS:
            raise _unsupported(clause, f"relation modifier /{mod.name}")
        setting = RELATION_MODIFIERS[name]
        if setting is not None:
            base[setting[0]] = setting[1]

    term = clause.term
    if clause.index == "isbn" and _ISBN_LIKE.fullmatch(term):
        term = term.replace("-", "").upper()
    words = term.split()

    if relation == "within":
        if len(words) != 2:
            raise _unsupported(clause, f"'within' with {len(words)} values (two expected)")
        low = {**base, 2: 4}
        high = {**base, 2: 2}
        return _join("@and", [_term_node(clause, use, words[0], low), _term_node(clause, use, words[1], high)])
    if relation in ("all", "any"):
        if len(words) <= 1:
            return _term_node(clause, use, term.strip(), {**base, 4: base.get(4, 2)})
        nodes = [_term_node(clause, use, w, {**base, 4: base.get(4, 2)}) for w in words]
        return _join("@and" if relation == "all" else "@or", nodes)
    if relation == "==":
        return _term_node(clause, use, term, {4: 1, 6: 3, **base})
    if relation in ("=", "adj"):
        structure = 1 if len(words) > 1 else 2
        return _term_node(clause, use, " ".join(words) if words else term, {4: structure, **base})
    return _term_node(clause, use, term.strip(), base)  # ordering relations


def _prox(node: Boolean) -> str:
    exclusion, distance, ordered, relation, unit = 0, 1, 0, 2, 2
    for mod in node.modifiers:
        name = mod.name.lower().removeprefix("prox.")
        if name == "distance" and mod.comparison in PROX_RELATIONS and (mod.value or "").isdigit():
            relation, distance = PROX_RELATIONS[mod.comparison], int(mod.value or 0)
        elif name == "unit" and (mod.value or "").lower() in PROX_UNITS:
            unit = PROX_UNITS[(mod.value or "").lower()]
        elif name == "ordered":
            ordered = 1
        elif name == "unordered":
            ordered = 0
        else:
            raise PartnerUnsupported(f"proximity modifier /{_modifier_text(mod)} not supported by this partner")
    return f"@prox {exclusion} {distance} {ordered} {relation} k {unit}"


def _modifier_text(mod: Modifier) -> str:
    return mod.name + (f"{mod.comparison}{mod.value}" if mod.comparison else "")


def to_pqf(query: Query | Node, index_map: Mapping[str, Attributes | None] | None = None,
           relations: set[str] | list[str] | None = None) -> str:
    """The PQF for one partner; raises PartnerUnsupported for what the partner cannot run.

    `index_map` comes from `bib1_attribute_map(partner)` (default: the standard map);
    `relations`, when given, are the only relations the partner accepts.
    """
    root = query.root if isinstance(query, Query) else query
    mapping = index_map if index_map is not None else bib1_attribute_map()
    allowed = {r.lower() for r in relations} if relations is not None else None
    out: list[str] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # iterative: long flat chains (isbn=1 or isbn=2 or ...) are legitimate
        node, done = stack.pop()
        if isinstance(node, Clause):
            out.append(_clause_pqf(node, mapping, allowed))
        elif not done:
            stack.append((node, True))
            stack.append((node.right, False))
            stack.append((node.left, False))
        else:
            right, left = out.pop(), out.pop()
            if node.op == "prox":
                op = _prox(node)
            elif node.op in ("and", "or", "not"):
                op = f"@{node.op}"
            else:
                raise PartnerUnsupported(f"boolean {node.op!r} not supported by this partner")
            out.append(f"{op} {left} {right}")
    return out[0]
