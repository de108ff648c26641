"""The query tree every input (CQL, simple parameters) becomes, and every connector translates.

Index names in the tree are canonical federator names (see federator.query.indexes), never a
partner's: translation to a partner's dialect happens per partner, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Modifier:
    """A CQL relation or boolean modifier, e.g. /relevant, /distance<3."""

    name: str
    comparison: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Clause:
    """One search clause: `index relation term`."""

    index: str  # canonical index name, e.g. "title", "any", "isbn", "year"
    relation: str  # "=", "==", "all", "any", "adj", "<", ">", "<=", ">=", "<>", "within"
    term: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True, slots=True)
class Boolean:
    """Two sub-queries joined by and / or / not / prox."""

    op: str  # "and" | "or" | "not" | "prox"
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()


Node = Clause | Boolean


@dataclass(frozen=True, slots=True)
class SortKey:
    index: str  # canonical index name, or "relevance" / "holdings"
    ascending: bool = True


@dataclass(frozen=True, slots=True)
class Query:
    root: Node
    sort: tuple[SortKey, ...] = ()
    text: str = ""  # the CQL the user gave, or the CQL the simple parameters amount to

    def clauses(self) -> list[Clause]:
        """Every clause, left to right."""
        out: list[Clause] = []
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Clause):
                out.append(node)
            else:
                stack.append(node.right)
                stack.append(node.left)
        return out
