"""The query tree in one SRU partner's CQL dialect (F5).

Each canonical index goes through the partner's index map (the SRU default map updated with the
partner's overrides). A clause the partner cannot run raises PartnerUnsupported naming it, so the
partner's status says "unsupported" instead of the clause being silently dropped. Sort keys are
not sent: federator sorts after merging.
"""

from __future__ import annotations

import re

from federator.config import Partner
from federator.errors import ConfigError, PartnerUnsupported
from federator.query.cql import format_clause, render
from federator.query.indexes import CANONICAL, SRU_DEFAULT_MAP
from federator.query.model import Clause, Query

__all__ = ["sru_index_map", "to_partner_cql"]

_ISBN_LIKE = re.compile(r"[0-9Xx\-*?^\\]+(?:\s+[0-9Xx\-*?^\\]+)*")


def sru_index_map(partner: Partner) -> dict[str, str | None]:
    """SRU_DEFAULT_MAP updated with the partner's overrides; unknown canonical names are a ConfigError."""
    unknown = sorted(set(partner.indexes) - set(CANONICAL))
    if unknown:
        raise ConfigError(
            f"partner {partner.id!r}: indexes {', '.join(unknown)} are not canonical index names "
            f"(known: {', '.join(CANONICAL)})")
    return {**SRU_DEFAULT_MAP, **partner.indexes}


def _isbn_term(term: str) -> str:
    """ISBNs without hyphens (partners index 020 $a in many hyphenations); other terms untouched."""
    if not _ISBN_LIKE.fullmatch(term):
        return term
    return term.replace("-", "").replace("x", "X")


def to_partner_cql(query: Query, index_map: dict[str, str | None], relations: set[str] | None = None) -> str:
    """The CQL to send to one SRU partner; raises PartnerUnsupported for what it cannot run."""
    allowed = {r.lower() for r in relations} if relations is not None else None

    def clause_text(clause: Clause) -> str:
        name = index_map.get(clause.index)
        if not name:
            standard = SRU_DEFAULT_MAP.get(clause.index)
            shown = f"index {clause.index!r}" + (f" ({standard})" if standard else "")
            raise PartnerUnsupported(f"{shown} not supported by this partner")
        if allowed is not None and clause.relation not in allowed:
            raise PartnerUnsupported(f"relation {clause.relation!r} not supported by this partner "
                                     f"(index {clause.index!r})")
        if clause.index == "isbn":
            clause = Clause(clause.index, clause.relation, _isbn_term(clause.term), clause.modifiers)
        return format_clause(clause, name)

    return render(query.root, clause_text)
