"""A cheap, conservative pre-filter in front of the pairwise matcher (issue 7).

Blocking brings together records that share a title word and an author (the same author's
other books) or the first title words (other books with a generic title), and most such pairs
are no match; `match_keys` spends most of its time proving it (containment, citation leftovers,
spacing variants, weighted agreement). `screen_reason` says why a pair is certainly no match
for most of them at a fraction of the cost, and never for a pair `match_keys` could call the
same edition or work. Each rule of the matcher is followed to what it needs at least, with the
thresholds imported from match.py (not copied):

  - every rule compares titles first: no title, or two different parts (volume), is no match;
  - the identifier and serial rules need title_compare >= ID_TITLE_MIN / ISSN_TITLE_MIN; the
    fuzzy rule needs no companion-book word added to a title proper, and title_compare at the
    close / work minimum or else authors that agree (author_agreement, the matcher's function)
    and one of containment, spacing variants, citation-leftover agreement, or (two people
    agreeing) weighted agreement;
  - title_compare is the lower of fuzz.ratio (computed here as the matcher does, in C) and a
    word Dice agreement, bounded here by counting words the other title has or has within edit
    distance 2 (a superset of the matcher's typo rule); the cleaned agreement keeps every word
    the other title has and every word that cannot be a citation leftover, at least
    CLEANED_MIN_WORDS on each side, which bounds its Dice; weighted agreement is bounded by the
    weight of the words that have a partner; containment and spacing variants are computed by
    the matcher's own functions, after a ratio that bounds the latter.

The rules in match.py change over time; tests/unit/test_dedup_screen.py checks the screen
against `match_keys` over the benchmark pairs, the gold set and the pairs the clusterer
generates, and names the pair, the screen's reason and the accepting rule when a rule change
makes the screen unsafe.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from federator.dedup.keys import RecordKeys, context_words
from federator.dedup.match import (
    CONJOINED_INITIALS,
    ANOTHER_BOOK_WORDS,
    CITATION_WORDS,
    CLEANED_MIN_WORDS,
    CONTAINED_MIN,
    CONTAINED_MIN_CHARS,
    CONTAINED_STRONG_MIN,
    EVIDENCE_TITLE_FLOOR,
    FUSED_EXTRA_CHARS,
    FUSED_MIN_CHARS,
    ID_TITLE_MIN,
    ISSN_TITLE_MIN,
    TITLE_CLOSE_MIN,
    TITLE_EDITION_MIN,
    TITLE_NO_AUTHOR_MIN,
    TITLE_SUBSTITUTION_MIN,
    TITLE_WORK_MIN,
    WEIGHTED_STRONG_MIN,
    spaceless,
    spacing_variants,
    word_weight,
    author_agreement,
    title_containment,
)

# The lowest word-agreement score any fuzzy path accepts (title_compare for edition / work /
# close titles, the cleaned comparison, and the weighted agreement).
WORD_MIN = min(TITLE_CLOSE_MIN, TITLE_WORK_MIN, TITLE_EDITION_MIN, TITLE_NO_AUTHOR_MIN, TITLE_SUBSTITUTION_MIN,
               WEIGHTED_STRONG_MIN)
# The lowest title similarity the identifier and serial rules accept.
ID_WORD_MIN = min(ID_TITLE_MIN, ISSN_TITLE_MIN, WORD_MIN)
# Below this title similarity the fuzzy rule looks at nothing but containment, citation leftovers,
# spacing and weighted agreement, and only for authors that agree (`author_agreement`).
TITLE_PAIR_MIN = min(TITLE_WORK_MIN, TITLE_CLOSE_MIN)
# The lowest character ratio of whole titles (spaces removed) any path accepts (spacing_variants).
SPACING_MIN = min(TITLE_EDITION_MIN, WORD_MIN)
# The lowest partial ratio a containment accepts.
CONTAINED_LOW = min(CONTAINED_MIN, CONTAINED_STRONG_MIN)
# Edit distance within which two words may count as one (the matcher allows 1, or 2 for long
# words): a larger bound only makes the screen let more pairs through.
TYPO_MAX = 2


class ScreenKeys:
    """What the screen reads of one record, computed once per record content."""

    __slots__ = ("keys", "title_set", "words_set", "all_words", "title_dups", "spaceless", "spaceless_art",
                 "_context", "_kept", "_weights", "title_text", "words_text", "_by_length")

    def __init__(self, k: RecordKeys):
        self.keys = k
        # one set where the title proper's words are the whole title's (fewer objects to collect)
        self.title_set = frozenset(k.title_words)
        self.words_set = self.title_set if k.words == k.title_words else frozenset(k.words)
        self.all_words = self.title_set if self.words_set <= self.title_set else self.title_set | self.words_set
        self.title_dups = len(self.title_set) != len(k.title_words)
        self.spaceless = k.title.replace(" ", "")
        self.spaceless_art = spaceless(k.title) if k.title else ""
        self._context: frozenset[str] | None = None
        self._kept: tuple[str, ...] | None = None
        self._weights: int | None = None
        self._by_length: dict[int, list[str]] | None = None
        # the strings title_compare's character ratio compares
        self.title_text = " ".join(k.title_words)
        self.words_text = " ".join(k.words)

    def weights(self) -> int:
        if self._weights is None:
            self._weights = sum(map(word_weight, self.title_set))
        return self._weights

    def by_length(self) -> dict[int, list[str]]:
        """The words (numbers left out: the matcher's typo rules never pair them) by length."""
        if self._by_length is None:
            self._by_length = {}
            for w in self.all_words:
                if not w.isdigit():
                    self._by_length.setdefault(len(w), []).append(w)
        return self._by_length

    def context(self) -> frozenset[str]:
        if self._context is None:
            self._context = context_words(self.keys)
        return self._context

    def kept(self) -> tuple[str, ...]:
        """Title words that are no citation leftover by this record's own context (whether the
        other record's context or title makes them one is decided per pair)."""
        if self._kept is None:
            ctx = self.context()
            self._kept = tuple(w for w in self.title_set if not _maybe_leftover(w, ctx))
        return self._kept


def _partners(a: ScreenKeys, b: ScreenKeys) -> tuple[frozenset[str], frozenset[str]]:
    """The words of `a` (title proper and whole title) that `b` has or has within TYPO_MAX
    edits, and the same of `b`."""
    xs, ys = a.all_words, b.all_words
    shared = xs & ys
    if len(shared) == len(xs) or len(shared) == len(ys):
        return shared, shared
    px, py = set(shared), set(shared)
    by_length = b.by_length()
    for lw, words in a.by_length().items():
        for w in words:
            if w in shared:
                continue
            for lv in range(lw - TYPO_MAX, lw + TYPO_MAX + 1):
                if lw < 4 and lv < 4:  # the matcher's typo rules need a word of 4 letters or more
                    continue
                for v in by_length.get(lv, ()):
                    if v not in shared and Levenshtein.distance(w, v, score_cutoff=TYPO_MAX) <= TYPO_MAX:
                        px.add(w)
                        py.add(v)
    return frozenset(px), frozenset(py)


def _dice_bound(x: frozenset[str], y: frozenset[str], px: frozenset[str], py: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 200.0 * min(len(x & px), len(y & py)) / (len(x) + len(y))


def _maybe_leftover(w: str, context: frozenset[str], other_joined: str = "") -> bool:
    """Whether the cleaned comparison might drop `w` as a citation leftover
    (match._citation_leftover, with `context` one record's context words)."""
    if w.isdigit() or len(w) < 3 or w in context or w in CITATION_WORDS or CONJOINED_INITIALS.fullmatch(w):
        return True
    n = len(w)
    if n >= FUSED_MIN_CHARS and w in other_joined:
        return True
    for size in range(max(FUSED_MIN_CHARS, n - FUSED_EXTRA_CHARS), n + 1):  # a context word glued to others
        if w[:size] in context or w[n - size:] in context:
            return True
    return False


def _cleaned_bound(a: ScreenKeys, b: ScreenKeys, pa: frozenset[str], pb: frozenset[str]) -> float:
    """Upper bound of title_compare_cleaned: the cleaned titles keep every word the other title
    has and every word that cannot be a citation leftover; kept words without any possible
    partner in the other title only lower the Dice agreement; each side keeps at least
    CLEANED_MIN_WORDS words (that many distinct ones unless the title repeats a word)."""
    m = min(len(a.title_set & pa), len(b.title_set & pb))
    if not m:
        return 0.0
    low_a = 1 if a.title_dups else CLEANED_MIN_WORDS
    low_b = 1 if b.title_dups else CLEANED_MIN_WORDS
    bound = 200.0 * m / (max(m, low_a) + max(m, low_b))
    if bound < WORD_MIN:
        return bound
    dead_a = dead_b = 0
    cb, ca = b.context(), a.context()
    for w in a.kept():
        if w not in pa and not _maybe_leftover(w, cb, b.keys.joined):
            dead_a += 1
            bound = 200.0 * m / (max(m + dead_a, low_a) + max(m + dead_b, low_b))
            if bound < WORD_MIN:
                return bound
    for w in b.kept():
        if w not in pb and not _maybe_leftover(w, ca, a.keys.joined):
            dead_b += 1
            bound = 200.0 * m / (max(m + dead_a, low_a) + max(m + dead_b, low_b))
            if bound < WORD_MIN:
                return bound
    return bound


def screen_reason(a: ScreenKeys, b: ScreenKeys) -> str | None:
    """Why `match_keys(a.keys, b.keys)` certainly finds no edition or work, or None when it might."""
    ka, kb = a.keys, b.keys
    if not ka.title or not kb.title:
        return "no title"  # every rule compares titles first
    if ka.volume != kb.volume:
        return "different parts"  # every rule says no match for two parts
    if ka.title == kb.title or a.spaceless_art == b.spaceless_art:  # title_compare says 100
        return None
    identifier = bool(ka.isbns & kb.isbns or (ka.lccn and ka.lccn == kb.lccn) or ka.oclcs & kb.oclcs
                      or ka.issns & kb.issns)
    if not identifier and not ANOTHER_BOOK_WORDS.isdisjoint(a.words_set ^ b.words_set):
        return "companion book"
    both_subtitled = ka.subtitle and kb.subtitle
    # title_compare (every rule reads it; the identifier and serial rules need nothing else, and a
    # shared ISBN that decides nothing leaves the fuzzy rule): the lower of a character ratio and
    # a word Dice agreement, over the whole titles or (one subtitle at most) the titles proper
    word_min = min(ID_WORD_MIN if identifier else WORD_MIN, TITLE_PAIR_MIN)
    close = ratio(a.title_text, b.title_text, score_cutoff=word_min) or (
        not both_subtitled and ratio(a.words_text, b.words_text, score_cutoff=word_min))
    pa = pb = None
    if close:
        pa, pb = _partners(a, b)
        if _dice_bound(a.title_set, b.title_set, pa, pb) >= word_min:
            return None
        if not both_subtitled and _dice_bound(a.words_set, b.words_set, pa, pb) >= word_min:
            return None
    # The titles are not close (title_compare < TITLE_PAIR_MIN): the identifier and
    # serial rules fail, and the fuzzy rule needs authors that agree ...
    ag = author_agreement(ka, kb).level
    if ag not in ("compatible", "strong"):
        return "titles not close and authors do not agree"
    # ... and one title contained in the other, citation leftovers, spacing or weighted agreement
    # (spacing_variants is the ratio of the spaceless titles, or 0; title_containment the partial
    # ratio of the shorter joined title in the longer, or 0 for a short one)
    if ratio(a.spaceless, b.spaceless, score_cutoff=SPACING_MIN) and spacing_variants(ka, kb) >= SPACING_MIN:
        return None
    if min(len(ka.joined), len(kb.joined)) >= CONTAINED_MIN_CHARS and title_containment(ka, kb) >= CONTAINED_LOW:
        return None
    if pa is None or pb is None:
        pa, pb = _partners(a, b)
    if _cleaned_bound(a, b, pa, pb) >= WORD_MIN:
        return None
    if ag == "strong":  # weighted agreement: only words with a partner add to the shared weight
        total = a.weights() + b.weights()
        shared = sum(map(word_weight, a.title_set & pa)) + sum(map(word_weight, b.title_set & pb))
        if total and 100.0 * shared / total >= WORD_MIN:
            return None
    if _evidence_bound(a, b, pa, pb) >= EVIDENCE_TITLE_FLOOR:
        return None
    return "titles too far apart for any rule"


def _evidence_bound(a: ScreenKeys, b: ScreenKeys, pa: frozenset[str], pb: frozenset[str]) -> float:
    """Upper bound of the weighted agreement of the cleaned titles (match.evidence_features,
    weighted_title_agreement over _cleaned_words): shared weight S over S plus the weight D of
    words left unmatched. Only words with a partner can be shared, so S is at most their
    weight; words with no partner that cannot be a citation leftover stay in the cleaned title
    and unmatched, so D is at least their weight; S / (S + D) grows with S and falls with D."""
    shared = sum(map(word_weight, a.title_set & pa)) + sum(map(word_weight, b.title_set & pb))
    if not shared:
        return 0.0
    dead = sum(word_weight(w) for w in a.kept() if w not in pa and not _maybe_leftover(w, b.context(), b.keys.joined))
    dead += sum(word_weight(w) for w in b.kept() if w not in pb and not _maybe_leftover(w, a.context(), a.keys.joined))
    return 100.0 * shared / (shared + dead)
