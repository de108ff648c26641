"""A cheap, conservative pre-filter in front of the pairwise matcher (issue 7).

Blocking brings together records that share a title word and an author (the same author's
other books), and most such pairs are no match; `match_keys` spends most of its time proving
it (containment, citation leftovers, spacing variants, weighted agreement). `may_match` says
"certainly no match" for most of them at a fraction of the cost, and never for a pair
`match_keys` could call the same edition or work:

  - a shared ISBN, LCCN, OCLC number or ISSN: always compared (the identifier rules decide);
  - otherwise only the fuzzy rule can match, and it never does for a missing title, a
    different part (volume), or a title proper that adds a companion book's word
    (ANOTHER_BOOK_WORDS);
  - and every way the fuzzy rule can accept needs the titles to be close by some measure. The
    screen computes an UPPER BOUND for each measure and rejects only when every bound is below
    that measure's smallest threshold (thresholds are imported from match.py, not copied):
      * word agreement (title_compare, and the cleaned / weighted variants): a word counts only
        if the other title has it or a word within edit distance 2 (a superset of the typo rule
        the matcher uses), so the number of words that could match bounds the Dice agreement;
        the cleaned comparison keeps at least CLEANED_MIN_WORDS words on each side;
      * character ratios (spacing variants, containment): fuzz.ratio is 2·LCS/(len1+len2) and
        the longest common subsequence is at most the letters the two strings have in common
        (as multisets), which bounds both ratio and partial_ratio.

The rules in match.py change over time; tests/unit/test_dedup_screen.py checks the screen
against `match_keys` over the benchmark pairs, the gold set and the pairs the clusterer
generates, and names the pair and the rule when a rule change makes the screen unsafe.
"""

from __future__ import annotations

from collections import Counter

from rapidfuzz.distance import Levenshtein

from federator.dedup.keys import RecordKeys
from federator.dedup.match import (
    ANOTHER_BOOK_WORDS,
    CLEANED_MIN_WORDS,
    CONTAINED_MIN,
    CONTAINED_MIN_CHARS,
    CONTAINED_STRONG_MIN,
    TITLE_CLOSE_MIN,
    TITLE_EDITION_MIN,
    TITLE_NO_AUTHOR_MIN,
    TITLE_SUBSTITUTION_MIN,
    TITLE_WORK_MIN,
    WEIGHTED_STRONG_MIN,
    _spaceless,
    _word_weight,
)

# The lowest word-agreement score any fuzzy path accepts (title_compare for edition / work /
# close titles, the cleaned comparison, and the weighted agreement).
WORD_MIN = min(TITLE_CLOSE_MIN, TITLE_WORK_MIN, TITLE_EDITION_MIN, TITLE_NO_AUTHOR_MIN, TITLE_SUBSTITUTION_MIN,
               WEIGHTED_STRONG_MIN)
# The lowest character ratio of whole titles (spaces removed) any path accepts (_spacing_variants).
SPACING_MIN = min(TITLE_EDITION_MIN, WORD_MIN)
# The lowest partial ratio a containment accepts.
CONTAINED_LOW = min(CONTAINED_MIN, CONTAINED_STRONG_MIN)
# Edit distance within which two words may count as one (the matcher allows 1, or 2 for long
# words): a larger bound only makes the screen let more pairs through.
TYPO_MAX = 2


class ScreenKeys:
    """What the screen reads of one record, computed once per record content."""

    __slots__ = ("keys", "title_set", "words_set", "all_words", "title_dups", "spaceless", "spaceless_art",
                 "_spaceless_bag", "_joined_bag", "weights")

    def __init__(self, k: RecordKeys):
        self.keys = k
        self.title_set = frozenset(k.title_words)
        self.words_set = frozenset(k.words)
        self.all_words = self.title_set | self.words_set
        self.title_dups = len(self.title_set) != len(k.title_words)
        self.spaceless = k.title.replace(" ", "")
        self.spaceless_art = _spaceless(k.title) if k.title else ""
        self._spaceless_bag: Counter[str] | None = None
        self._joined_bag: Counter[str] | None = None
        self.weights = sum(map(_word_weight, self.title_set))

    def spaceless_bag(self) -> Counter[str]:
        if self._spaceless_bag is None:
            self._spaceless_bag = Counter(self.spaceless)
        return self._spaceless_bag

    def joined_bag(self) -> Counter[str]:
        if self._joined_bag is None:
            self._joined_bag = Counter(self.keys.joined)
        return self._joined_bag


def _common(x: Counter[str], y: Counter[str]) -> int:
    """Letters two strings have in common, as multisets: an upper bound of their LCS."""
    if len(x) > len(y):
        x, y = y, x
    return sum(min(n, y[c]) for c, n in x.items() if c in y)


def _partnered(xs: frozenset[str], ys: frozenset[str]) -> frozenset[str]:
    """Words of `xs` that `ys` has, or has within TYPO_MAX edits."""
    shared = xs & ys
    rest_y = ys - shared
    if not rest_y:
        return shared
    out = set(shared)
    for w in xs - shared:
        lw = len(w)
        for v in rest_y:
            if abs(len(v) - lw) <= TYPO_MAX and Levenshtein.distance(w, v, score_cutoff=TYPO_MAX) <= TYPO_MAX:
                out.add(w)
                break
    return frozenset(out)


def _dice_bound(x: frozenset[str], y: frozenset[str], px: frozenset[str], py: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 200.0 * min(len(x & px), len(y & py)) / (len(x) + len(y))


def screen_reason(a: ScreenKeys, b: ScreenKeys) -> str | None:
    """Why `match_keys(a.keys, b.keys)` certainly finds no edition or work, or None when it might."""
    ka, kb = a.keys, b.keys
    if ka.isbns & kb.isbns or (ka.lccn and ka.lccn == kb.lccn) or ka.oclcs & kb.oclcs or ka.issns & kb.issns:
        return None  # an identifier rule applies
    if not ka.title or not kb.title:
        return "no title"
    if ka.volume != kb.volume:
        return "different parts"
    if ka.title == kb.title:
        return None
    if not ANOTHER_BOOK_WORDS.isdisjoint(a.words_set ^ b.words_set):
        return "companion book"
    pa = _partnered(a.all_words, b.all_words)
    pb = _partnered(b.all_words, a.all_words)
    # title_compare: Dice over the whole titles' words, or over the titles proper
    if _dice_bound(a.title_set, b.title_set, pa, pb) >= WORD_MIN:
        return None
    if not (ka.subtitle and kb.subtitle) and _dice_bound(a.words_set, b.words_set, pa, pb) >= WORD_MIN:
        return None
    # cleaned comparison: some subsequences of the whole titles' words, each at least
    # CLEANED_MIN_WORDS long (so that many distinct words, unless a title repeats a word)
    m = min(len(a.title_set & pa), len(b.title_set & pb))
    if m:
        ka_min = max(m, 1 if a.title_dups else CLEANED_MIN_WORDS)
        kb_min = max(m, 1 if b.title_dups else CLEANED_MIN_WORDS)
        if 200.0 * m / (ka_min + kb_min) >= WORD_MIN:
            return None
    # weighted agreement: only words with a partner can add to the shared weight
    total = a.weights + b.weights
    if total and 100.0 * (sum(map(_word_weight, a.title_set & pa)) + sum(map(_word_weight, b.title_set & pb))) / total >= WORD_MIN:
        return None
    # titles that differ only in spacing (title_compare's run-together case, _spacing_variants)
    if a.spaceless_art == b.spaceless_art:
        return None
    lx, ly = len(a.spaceless), len(b.spaceless)
    if 200.0 * _common(a.spaceless_bag(), b.spaceless_bag()) / (lx + ly) >= SPACING_MIN:
        return None
    # containment: partial_ratio of the shorter joined title within the longer
    ls = min(len(ka.joined), len(kb.joined))
    if ls >= CONTAINED_MIN_CHARS:
        o = _common(a.joined_bag(), b.joined_bag())
        if 200.0 * o / (ls + o) >= CONTAINED_LOW:
            return None
    return "titles too far apart for any rule"


def may_match(a: ScreenKeys, b: ScreenKeys) -> bool:
    """False only when `match_keys` certainly says neither edition nor work."""
    return screen_reason(a, b) is None
