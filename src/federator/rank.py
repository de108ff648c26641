"""Relevance ranking and sorting of the merged list (F8).

Relevance is BM25F over the merged records themselves: the query's words, weighted by the
field they are found in (title 3, author 2, subject 1.5, publisher and series 1), with idf
computed over the merged list, so words every hit has (often the query itself) count little.
A record held by more partners gets a mild boost: relevance stays primary, holdings separate
records that are about equally relevant.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence

from federator.dedup.keys import STOPWORDS, fold_words, title_key
from federator.dedup.model import MergedList, MergedRecord, RecordView
from federator.query.model import Boolean, Clause, Node, Query

FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "author": 2.0, "subject": 1.5, "publisher": 1.0, "series": 1.0}

# canonical index -> the fields its words are looked for in
TEXT_INDEXES: dict[str, tuple[str, ...]] = {
    "any": tuple(FIELD_WEIGHTS),
    "title": ("title",),
    "author": ("author",),
    "subject": ("subject",),
    "publisher": ("publisher",),
    "series": ("series",),
}

# BM25 parameters: the usual values (term-frequency saturation, length normalisation).
K1 = 1.2
B = 0.75

# score * (1 + HOLDINGS_BOOST * ln(1 + partners)): one partner 1.07, ten partners 1.24. Small
# enough that a title match held by one partner still beats a subject-only match held by ten.
HOLDINGS_BOOST = 0.1

# Records sampled for the average field lengths.
AVERAGE_SAMPLE = 500

SORTS = ("relevance", "title", "author", "year", "year_asc", "holdings")

_LAST = "\uffff"  # sorts after every real title/author


def query_terms(query: Query) -> list[tuple[str, tuple[str, ...]]]:
    """The (word, fields) pairs that count for relevance: words of clauses on text indexes,
    not under the right-hand side of a NOT. A trailing * makes a word a prefix."""
    out: list[tuple[str, tuple[str, ...]]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def walk(node: Node) -> None:
        if isinstance(node, Clause):
            fields = TEXT_INDEXES.get(node.index)
            if fields is None:
                return
            raw = node.term.replace("?", "")
            words = fold_words(raw)
            if raw.rstrip().endswith("*") and words:
                words = (*words[:-1], words[-1] + "*")
            kept = [w for w in words if w not in STOPWORDS] or list(words)
            for w in kept:
                if (w, fields) not in seen:
                    seen.add((w, fields))
                    out.append((w, fields))
        elif isinstance(node, Boolean):
            walk(node.left)
            if node.op != "not":
                walk(node.right)

    walk(query.root)
    return out


def _field_texts(m: RecordView) -> dict[str, list[str]]:
    return {
        "title": [m.title, m.part] if m.part else [m.title] if m.title else [],
        "author": [*m.authors, m.responsibility] if m.responsibility else m.authors,
        "subject": m.subjects,
        "publisher": [m.publisher] if m.publisher else [],
        "series": m.series,
    }


def _lengths(texts: dict[str, list[str]]) -> dict[str, int]:
    return {f: sum(len(s.split()) for s in v) for f, v in texts.items()}


def _count(word: str, words: tuple[str, ...]) -> int:
    if word.endswith("*"):
        prefix = word[:-1]
        return sum(1 for w in words if w.startswith(prefix))
    return words.count(word)


def relevance(merged: Sequence[RecordView], query: Query) -> dict[str, float]:
    """BM25F score of every merged record (by id), holdings boost included."""
    terms = query_terms(query)
    scores = dict.fromkeys((m.id for m in merged), 0.0)
    if not terms or not merged:
        return scores
    n = len(merged)
    needles = {w.rstrip("*") for w, _ in terms}
    ascii_needles = all(w.isascii() for w in needles)
    # records whose text contains a query word at all (a cheap substring test); only these
    # are tokenised and scored
    candidates: list[int] = []
    for i, m in enumerate(merged):
        hay = "\n".join([m.title or "", m.part or "", *m.authors, m.responsibility or "", *m.subjects,
                          m.publisher or "", *m.series])
        if hay.isascii():
            hay = hay.lower()
        elif ascii_needles:  # what fold would leave of the Latin letters, quickly
            hay = unicodedata.normalize("NFKD", hay.casefold()).encode("ascii", "ignore").decode()
        else:
            hay = " ".join(fold_words(hay))
        hay = hay.replace("'", "").replace("`", "")
        for w in needles:
            if w in hay:
                candidates.append(i)
                break
    # average field lengths (in raw words) from an evenly spaced sample: a normaliser does
    # not need every record, and the sample is the same for the same list
    step = max(1, n // AVERAGE_SAMPLE)
    sample = [_lengths(_field_texts(m)) for m in merged[::step]]
    avg = {f: (sum(x[f] for x in sample) / len(sample)) or 1.0 for f in FIELD_WEIGHTS}

    # tf~ (field-weighted, length-normalised term frequency) of each term in each candidate
    tf: dict[int, list[float]] = {}
    df = [0] * len(terms)
    for i in candidates:
        texts = _field_texts(merged[i])
        length = _lengths(texts)
        words = {f: tuple(w for s in v for w in fold_words(s)) for f, v in texts.items()}
        row = []
        for j, (word, fields) in enumerate(terms):
            t = 0.0
            for f in fields:
                if words[f]:
                    c = _count(word, words[f])
                    if c:
                        t += FIELD_WEIGHTS[f] * c / (1.0 - B + B * length[f] / avg[f])
            row.append(t)
            if t:
                df[j] += 1
        tf[i] = row
    idf = [math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for d in df]
    for i, row in tf.items():
        s = sum(idf[j] * t / (K1 + t) for j, t in enumerate(row) if t)
        m = merged[i]
        scores[m.id] = s * (1.0 + HOLDINGS_BOOST * math.log1p(len(m.partners)))
    return scores


def _title_sort(m: RecordView) -> str:
    return title_key(m.title) or _LAST


def _author_sort(m: RecordView) -> str:
    return " ".join(fold_words(m.authors[0])) if m.authors else _LAST


def rank(merged: Sequence[MergedRecord], query: Query, *, sort: str = "relevance") -> Sequence[MergedRecord]:
    """The merged records in `sort` order, each with its relevance in `.score`.

    A MergedList (what the clusterer gives) is ranked on its compact views and comes back as a
    MergedList in the new order: only the records read from it (a page) are built.

    Sorts: relevance (ties: more partners, newer, id), title, author (A-Z, missing last),
    year (newest first), year_asc (oldest first), holdings (most partners first). Every order
    ends with the id, so it is total and repeatable.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    lazy = isinstance(merged, MergedList)
    records: Sequence[RecordView] = merged.views if lazy else merged  # type: ignore[assignment,union-attr]
    scores = relevance(records, query)
    for m in records:
        m.score = scores[m.id]
    key: Callable[[RecordView], tuple]
    if sort == "relevance":
        key = lambda m: (-scores[m.id], -len(m.partners), -(m.year or -10**6), m.id)  # noqa: E731
    elif sort == "title":
        key = lambda m: (_title_sort(m), _author_sort(m), m.id)  # noqa: E731
    elif sort == "author":
        key = lambda m: (_author_sort(m), _title_sort(m), m.id)  # noqa: E731
    elif sort == "year":
        key = lambda m: (m.year is None, -(m.year or 0), -scores[m.id], m.id)  # noqa: E731
    elif sort == "year_asc":
        key = lambda m: (m.year is None, m.year or 0, -scores[m.id], m.id)  # noqa: E731
    else:  # holdings
        key = lambda m: (-len(m.partners), -scores[m.id], m.id)  # noqa: E731
    out = sorted(records, key=key)
    return MergedList(out) if lazy else out  # type: ignore[return-value]
