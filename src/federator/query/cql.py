"""CQL in and out: `parse_cql` turns CQL 1.2 text into the query tree, `to_cql` prints a tree back.

Parsing uses cql-parser's CQL 1.2 grammar with two local fixes: quoted strings follow the CQL
escaping rule (a backslash escapes the next character, so `"a\\\\"` ends after the second
backslash), and syntax errors carry the 1-based position of the offending token instead of
being logged. Parser objects are not thread-safe and cost milliseconds to build, so each thread
builds one lazily and reuses it.

And/or chains are stored as balanced trees (both are associative), so a long flat chain stays
shallow; nesting deeper than `max_depth` (parentheses or booleans) is refused.

Terms in the tree are CQL terms without their quotes: `\\"` is stored as `"`, every other
backslash escape is kept as written (`\\*` is a literal asterisk, `\\\\` a backslash), because
masking escapes mean something to the partner. `format_term` is the exact inverse.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from cql._vendor.ply.yacc import NullLogger
from cql.lexer import CQLLexer
from cql.parser import CQLParser12, CQLParserError, CQLSearchClause, CQLTriple

from federator.errors import (
    QueryError,
    QuerySyntaxError,
    QueryTooLongError,
    UnsupportedIndexError,
    UnsupportedRelationError,
)
from federator.query.indexes import CQL_ALIASES, SRU_DEFAULT_MAP, canonical_index
from federator.query.model import Boolean, Clause, Modifier, Node, Query, SortKey

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "RELATIONS",
    "check_characters",
    "combine",
    "format_clause",
    "format_term",
    "normalise_term",
    "parse_cql",
    "render",
    "tree_depth",
    "to_cql",
]

MAX_LENGTH = 2000
MAX_DEPTH = 32  # parentheses or boolean levels; long flat and/or chains are balanced, so fine

RELATIONS = frozenset({"=", "==", "all", "any", "adj", "<", ">", "<=", ">=", "<>", "within"})
_RELATION_ALIASES = {"scr": "=", "exact": "=="}  # CQL 1.1 names
_SORT_SPECIAL = {"relevance": "relevance", "rank": "relevance", "holdings": "holdings"}
_RESERVED = frozenset({"and", "or", "not", "prox", "sortby"})
_NEEDS_QUOTES = re.compile(r'[\s()=<>"/]')

# Context-set identifiers federator understands, -> the prefix its aliases use.
CONTEXT_SETS: dict[str, str] = {
    "info:srw/cql-context-set/1/cql-v1.1": "cql",
    "info:srw/cql-context-set/1/cql-v1.2": "cql",
    "info:srw/cql-context-set/1/dc-v1.1": "dc",
    "http://purl.org/dc/elements/1.1": "dc",
    "http://zing.z3950.org/cql/bath/2.0": "bath",
    "info:srw/cql-context-set/2/rec-1.0": "rec",
    "info:srw/cql-context-set/2/rec-1.1": "rec",
}

_TOKEN_WORDS = {
    "CHAR_STRING1": "a term",
    "CHAR_STRING2": "a term",
    "LPAREN": "'('",
    "RPAREN": "')'",
    "MODSTART": "'/'",
    "SORTBY": "sortBy",
    "AND": "a boolean (and, or, not, prox)",
    "OR": "a boolean (and, or, not, prox)",
    "NOT": "a boolean (and, or, not, prox)",
    "PROX": "a boolean (and, or, not, prox)",
    "$end": "the end of the query",
    **{name: "a relation" for name in ("EQ", "EQUALS", "LT", "GT", "LE", "GE", "NE")},
}


class _SyntaxAt(Exception):
    """Raised inside the lexer/parser; carries the offending token (None at end of input)."""

    def __init__(self, token, expected: tuple[str, ...] = ()):
        super().__init__(token)
        self.token = token
        self.expected = expected


class _Lexer(CQLLexer):
    def t_CHAR_STRING2(self, tok):
        r'"(?:\\[\s\S]|[^"\\])*"'
        tok.value = _unquote(tok.value[1:-1])
        return tok

    def t_error(self, tok):
        raise _SyntaxAt(tok)


class _Parser(CQLParser12):
    def p_error(self, p):
        raise _SyntaxAt(p, tuple(self.parser.action[self.parser.state].keys()))


_local = threading.local()


def _machinery() -> tuple[_Lexer, _Parser]:
    """This thread's lexer and parser, built on first use."""
    pair = getattr(_local, "pair", None)
    if pair is None:
        lexer = _Lexer()
        lexer.build()
        parser = _Parser()
        parser.build(lexer, errorlog=NullLogger())
        pair = _local.pair = (lexer, parser)
    return pair


def _unquote(raw: str) -> str:
    return re.sub(r'\\([\s\S])', lambda m: '"' if m.group(1) == '"' else m.group(0), raw)


def normalise_term(term: str) -> str:
    """A term as the tree stores it: a lone trailing backslash escapes nothing, so it is doubled
    (otherwise printing could not round-trip)."""
    stripped = term.rstrip("\\")
    return term + "\\" if (len(term) - len(stripped)) % 2 else term


def parse_cql(text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH) -> Query:
    """Parse CQL 1.2 into the query tree with canonical index names; raises QueryError subclasses."""
    if len(text) > max_length:
        raise QueryTooLongError(f"query is {len(text)} characters long; the limit is {max_length}")
    check_characters(text)
    if not text.strip():
        raise QuerySyntaxError("empty query", position=1)
    lexer, parser = _machinery()
    _check_tokens(text, lexer, max_depth)
    try:
        ast = parser.parse(text)
    except _SyntaxAt as exc:
        raise _syntax_error(text, exc.token, exc.expected) from None
    except CQLParserError as exc:  # a grammar check of cql-parser's own
        raise QuerySyntaxError(f"syntax error: {exc}") from None
    tree = _convert(ast.root)
    _check_depth(tree, max_depth)
    return Query(root=tree, sort=_sort_keys(ast.root), text=text)


# C0 controls other than tab/newline/return, DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF:
# no catalog term holds them, and a NUL would cut a Z39.50 term short in C.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_characters(text: str, name: str | None = None) -> None:
    """Refuse characters no partner can be trusted to read (QuerySyntaxError with the position)."""
    bad = _CONTROL.search(text)
    if bad:
        pos = bad.start() + 1
        where = f"{name} " if name else "query "
        raise QuerySyntaxError(f"{where}has the control character U+{ord(bad.group()):04X} at position {pos}",
                               position=pos, details=name)


def _check_depth(tree: Node, max_depth: int) -> None:
    depth = tree_depth(tree)
    if depth > max_depth:
        err = QueryError(f"query nests {depth} levels deep; the limit is {max_depth} "
                         "(long chains of one boolean are fine, mixed ones nest)")
        err.diagnostic = 38  # too many boolean operators in query
        raise err


def _check_tokens(text: str, lexer: _Lexer, max_depth: int) -> None:
    """Unterminated quotes, unbalanced parentheses and nesting depth, with positions."""
    opened: list[int] = []
    lex = lexer.lexer
    lex.input(text)
    while True:
        try:
            tok = lex.token()
        except _SyntaxAt as exc:
            pos = exc.token.lexpos + 1
            if text[exc.token.lexpos] == '"':
                raise QuerySyntaxError(
                    f"unterminated quoted term: the '\"' at position {pos} is never closed", position=pos
                ) from None
            raise QuerySyntaxError(
                f"illegal character {text[exc.token.lexpos]!r} at position {pos}", position=pos
            ) from None
        if tok is None:
            break
        if tok.type == "LPAREN":
            opened.append(tok.lexpos + 1)
            if len(opened) > max_depth:
                err = QueryError(
                    f"query nests parentheses more than {max_depth} deep (at position {tok.lexpos + 1})",
                    position=tok.lexpos + 1,
                )
                err.diagnostic = 13  # invalid or unsupported use of parentheses
                raise err
        elif tok.type == "RPAREN":
            if not opened:
                pos = tok.lexpos + 1
                raise QuerySyntaxError(
                    f"unbalanced parentheses: ')' at position {pos} has no matching '('", position=pos
                )
            opened.pop()
    if opened:
        pos = opened[-1]
        raise QuerySyntaxError(f"unbalanced parentheses: '(' at position {pos} is never closed", position=pos)


def _syntax_error(text: str, token, expected: tuple[str, ...]) -> QuerySyntaxError:
    words: list[str] = []
    names = [n for n in expected if not ("CHAR_STRING1" in expected and n in ("AND", "OR", "NOT", "PROX", "SORTBY"))]
    for name in names:
        word = _TOKEN_WORDS.get(name, name)
        if name == "GT" and "EQ" not in expected:
            word = "a prefix assignment ('>')"
        if word not in words:
            words.append(word)
    hint = f" (expected {' or '.join(words)})" if words else ""
    if token is None:
        pos = len(text.rstrip()) + 1
        return QuerySyntaxError(f"syntax error: query ends too early at position {pos}{hint}", position=pos)
    pos = token.lexpos + 1
    shown = text[token.lexpos] if token.type in ("LPAREN", "RPAREN", "MODSTART") else str(token.value)
    return QuerySyntaxError(f"syntax error at position {pos}: unexpected {shown!r}{hint}", position=pos,
                            details=shown)


def _scope(node, outer: dict[str | None, str]) -> dict[str | None, str]:
    prefixes = getattr(node, "prefixes", None)
    if not prefixes:
        return outer
    scope = dict(outer)
    for p in prefixes:
        scope[p.prefix.lower() if p.prefix else None] = str(p.uri)
    return scope


def _context_prefix(uri: str) -> str | None:
    return CONTEXT_SETS.get(uri.rstrip("/"))


def _resolve_index(name: str, scope: dict[str | None, str]) -> str:
    """Canonical name of a CQL index, honouring prefix assignments in scope."""
    candidates: list[str] = []
    prefix, dot, base = name.partition(".")
    if dot and prefix.lower() in scope:
        uri = scope[prefix.lower()]
        std = _context_prefix(uri)
        if std is None:
            raise UnsupportedIndexError(
                f"unsupported index {name!r}: context set {uri!r} is not known", details=name)
        candidates.append(f"{std}.{base}")
    else:
        if not dot and None in scope:
            std = _context_prefix(scope[None])
            if std:
                candidates.append(f"{std}.{name}")
        candidates.append(name)
    for candidate in candidates:
        canon = canonical_index(candidate)
        if canon:
            return canon
    raise UnsupportedIndexError(
        f"unsupported index {name!r}; known indexes: {', '.join(sorted(CQL_ALIASES))}", details=name)


def _relation(value: str) -> str:
    rel = value.lower()
    if rel.startswith("cql."):
        rel = rel[4:]
    rel = _RELATION_ALIASES.get(rel, rel)
    if rel not in RELATIONS:
        raise UnsupportedRelationError(
            f"unsupported relation {value!r}; supported relations: {', '.join(sorted(RELATIONS))}", details=value)
    return rel


def _modifiers(mods) -> tuple[Modifier, ...]:
    if not mods:
        return ()
    return tuple(Modifier(str(m.name).lower(), m.comparitor, m.value) for m in mods)


def _clause(node: CQLSearchClause, scope: dict[str | None, str]) -> Clause:
    term = normalise_term(node.term)
    if node.index is None:
        return Clause("any", "=", term)
    return Clause(
        index=_resolve_index(str(node.index), scope),
        relation=_relation(str(node.relation.comparitor)),
        term=term,
        modifiers=_modifiers(node.relation.modifiers),
    )


class _Chain:
    """Operands of an and/or chain still being collected (both are associative)."""

    __slots__ = ("op", "operands")

    def __init__(self, op: str, operands: list[Node]):
        self.op = op
        self.operands = operands


def combine(op: str, operands: list[Node]) -> Node:
    """A balanced tree of `op` ("and" or "or") over the operands, left to right.

    Balanced rather than left-deep so that a long flat chain (isbn=1 or isbn=2 or ...) stays
    shallow: tree equality, hashing and every translator recurse over the tree.
    """
    if len(operands) == 1:
        return operands[0]
    mid = (len(operands) + 1) // 2
    return Boolean(op, combine(op, operands[:mid]), combine(op, operands[mid:]))


def _finish(item: Node | _Chain) -> Node:
    return combine(item.op, item.operands) if isinstance(item, _Chain) else item


def _operands(item: Node | _Chain, op: str) -> list[Node]:
    return item.operands if isinstance(item, _Chain) and item.op == op else [_finish(item)]


def tree_depth(node: Node) -> int:
    """Boolean levels on the longest path from the root to a clause."""
    deepest = 0
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, Boolean):
            stack.append((current.left, depth + 1))
            stack.append((current.right, depth + 1))
        elif depth > deepest:
            deepest = depth
    return deepest


def _convert(root) -> Node:
    """cql-parser AST -> query tree; iterative, since long flat chains are legitimate."""
    out: list[Node | _Chain] = []
    stack: list[tuple[object, dict, bool]] = [(root, {}, False)]
    while stack:
        node, scope, done = stack.pop()
        if not done:
            scope = _scope(node, scope)
        if isinstance(node, CQLSearchClause):
            out.append(_clause(node, scope))
        elif not done:
            assert isinstance(node, CQLTriple)
            stack.append((node, scope, True))
            stack.append((node.right, scope, False))
            stack.append((node.left, scope, False))
        else:
            right = out.pop()
            left = out.pop()
            op = str(node.operator.value).lower()
            modifiers = _modifiers(node.operator.modifiers)
            if op in ("and", "or") and not modifiers:
                operands = _operands(left, op)
                operands.extend(_operands(right, op))
                out.append(_Chain(op, operands))
            else:
                out.append(Boolean(op, _finish(left), _finish(right), modifiers))
    return _finish(out[0])


def _sort_keys(root) -> tuple[SortKey, ...]:
    specs = getattr(root, "sortSpecs", None) or ()
    scope = _scope(root, {})
    keys = []
    for spec in specs:
        name = str(spec.index)
        index = _SORT_SPECIAL.get(name.lower()) or _resolve_index(name, scope)
        ascending = True
        for mod in spec.modifiers or ():
            mod_name = str(mod.name).lower().removeprefix("sort.")
            if mod_name == "descending":
                ascending = False
            elif mod_name == "ascending":
                ascending = True
        keys.append(SortKey(index, ascending))
    return tuple(keys)


# --- printing -----------------------------------------------------------------------------------


def format_term(term: str) -> str:
    """A term as CQL: bare when it can be, else quoted with `"` escaped (inverse of parsing)."""
    if term and not _NEEDS_QUOTES.search(term) and term.lower() not in _RESERVED:
        return term
    out: list[str] = []
    i, n = 0, len(term)
    while i < n:
        c = term[i]
        if c == "\\":
            if i + 1 < n:
                out.append(term[i:i + 2])
                i += 2
                continue
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        else:
            out.append(c)
        i += 1
    return '"' + "".join(out) + '"'


def _format_modifiers(mods: tuple[Modifier, ...]) -> str:
    parts = []
    for m in mods:
        if m.comparison is not None and m.value is not None:
            parts.append(f"/{m.name}{m.comparison}{format_term(m.value)}")
        else:
            parts.append(f"/{m.name}")
    return "".join(parts)


def format_clause(clause: Clause, index: str) -> str:
    """`index relation term` with `index` as given; a plain server-choice clause is just its term."""
    if index.lower() == "cql.serverchoice" and clause.relation == "=" and not clause.modifiers:
        return format_term(clause.term)
    return f"{index} {clause.relation}{_format_modifiers(clause.modifiers)} {format_term(clause.term)}"


def _sru_name(index: str) -> str:
    return SRU_DEFAULT_MAP.get(index) or index


def _same_chain(parent: Boolean, child: Boolean) -> bool:
    return (parent.op in ("and", "or") and child.op == parent.op
            and not parent.modifiers and not child.modifiers)


def render(node: Node, clause_text: Callable[[Clause], str] | None = None) -> str:
    """CQL for a (sub)tree; `clause_text` prints one clause (default: standard SRU index names).

    Booleans associate to the left in CQL, so only a Boolean on the right needs parentheses, and
    not even that inside one and/or chain (associative): long chains print flat.
    """
    if clause_text is None:
        clause_text = lambda c: format_clause(c, _sru_name(c.index))  # noqa: E731
    out: list[str] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if isinstance(current, Clause):
            out.append(clause_text(current))
        elif not done:
            stack.append((current, True))
            stack.append((current.right, False))
            stack.append((current.left, False))
        else:
            right = out.pop()
            left = out.pop()
            if isinstance(current.right, Boolean) and not _same_chain(current, current.right):
                right = f"({right})"
            out.append(f"{left} {current.op}{_format_modifiers(current.modifiers)} {right}")
    return out[0]


def to_cql(query: Query) -> str:
    """Standard CQL for a query (dc./bath./cql. index names), sort keys included."""
    text = render(query.root)
    if query.sort:
        keys = " ".join(_sru_name(k.index) + ("" if k.ascending else "/sort.descending") for k in query.sort)
        text = f"{text} sortBy {keys}"
    return text
