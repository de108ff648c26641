"""The bundled demo partner catalogs: real MARC records, generated holdings, searched in memory.

Each demo partner (a `demo:` block in config/federator.yaml) serves its own subset of the record
pools in `federator/demo/data/` (see PROVENANCE.md there): a record is held when a hash of its
pool 001 and the partner's salt falls under the partner's share, or when an `always` rule says
so. Partners with different salts hold different, overlapping subsets.

The bibliographic records are real. The holdings are DEMO DATA: every 852 field (library code,
location, call number, barcode, availability, serial holdings statement) is generated from a
seeded hash, so the same configuration always gives the same holdings. No real library holds
these copies.

Searching is an inverted index over the normalised record (federator.records.marc) for the
canonical indexes, evaluating the query tree with CQL semantics:

- word indexes (any, title, author, subject, publisher): case- and diacritics-insensitive words;
  `=` and `all` need every word, `any` one of them, `adj` the words in order, `==` the whole
  field; `*` masks any number of characters, `?` exactly one;
- identifier indexes (isbn, issn, lccn, oclc, id, language, format): the whole normalised value
  (ISBN-10 and ISBN-13 match each other), masking allowed;
- year: =, ==, <, >, <=, >=, <>, within "from to".

A clause the catalog cannot run raises a QueryError whose `diagnostic` is the SRU diagnostic
number (16 unsupported index, 19 unsupported relation, 20 relation modifier, 27 empty term,
36 bad term for the index, 37 unsupported boolean, 80 sort unsupported).
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pymarc
from pymarc import Field, Subfield
from stdnum import isbn as stdisbn

from federator.config import DemoCatalog as DemoSettings
from federator.config import Partner
from federator.errors import QueryError, UnsupportedIndexError, UnsupportedRelationError
from federator.query.indexes import CANONICAL
from federator.query.model import Clause, Node, Query
from federator.records.model import MaterialType, Record

DATA_DIR = Path(__file__).resolve().parent / "data"

WORD_INDEXES = ("any", "title", "author", "subject", "publisher")
VALUE_INDEXES = ("isbn", "issn", "lccn", "oclc", "id", "language", "format")
ALL_INDEXES = tuple(CANONICAL)  # any title author subject isbn issn year language format publisher lccn oclc id

# Relation modifiers that do not change what the demo catalog does.
_HARMLESS_MODIFIERS = frozenset({"relevant", "ignorecase", "ignoreaccents", "word", "cql.relevant",
                                 "cql.ignorecase", "cql.ignoreaccents", "cql.word", "fuzzy", "cql.fuzzy"})
_WORD_RE = re.compile(r"[^\W_]+")
_NOT_TERM_CHAR_RE = re.compile(r"[^\w*?]|_")


class DemoQueryError(QueryError):
    """A query the demo catalog cannot run, carrying its SRU diagnostic number."""

    def __init__(self, diagnostic: int, message: str, *, details: str | None = None):
        super().__init__(message, details=details)
        self.diagnostic = diagnostic


# --- text folding -------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case without diacritics (NFKD, combining marks dropped; ı, ø, đ, ł... simplified)."""
    if text.isascii():
        return text.lower()
    text = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return text.lower().translate(_EXTRA_FOLD)


_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_EXTRA_FOLD = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "æ": "ae",
                             "œ": "oe", "ß": "ss", "ʻ": None, "ʼ": None, "ʹ": None, "ʺ": None})


def words(text: str) -> list[str]:
    """Searchable words of a text."""
    return _WORD_RE.findall(fold(text))


def _term_words(term: str) -> list[str]:
    """Words of a query term, split like indexed text, keeping the masks * and ? inside words."""
    term = term.replace("\\*", " ").replace("\\?", " ")
    pieces = _NOT_TERM_CHAR_RE.sub(" ", fold(term)).split()
    return [piece for piece in pieces if piece.strip("*?")]


def _is_masked(word: str) -> bool:
    return "*" in word or "?" in word


@lru_cache(maxsize=4096)
def _mask_regex(word: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in word) + r"\Z")


# --- record pools ---------------------------------------------------------------------------------

@dataclass(slots=True)
class PoolRecord:
    """A pool record, parsed, normalised and tokenised once per process and shared by every
    partner that holds it (never mutated)."""

    source: str  # "<pool file>:<pool 001>" (or "#<position>" when the record has no 001)
    marc: pymarc.Record
    base: Record  # normalised under the neutral partner id "pool"
    tokens: dict[str, list[list[str]]]  # word index -> field values -> words
    values: dict[str, list[str]]  # identifier index -> normalised values (not "id")
    serial: bool  # a serial by the normaliser's reading (leader/07 s, ...): gets a holdings statement
    issn: bool  # has an ISSN (022): monographs in a series count as serials for `always`
    language: str


_POOL_LOCK = threading.Lock()
_POOLS: dict[str, list[PoolRecord]] = {}


def load_pool(name: str) -> list[PoolRecord]:
    """The records of one pool file, built once per process and shared between partners."""
    with _POOL_LOCK:
        pool = _POOLS.get(name)
        if pool is None:
            pool = _POOLS[name] = _read_pool(name)
        return pool


def _read_pool(name: str) -> list[PoolRecord]:
    from federator.records.marc import normalise_marc

    path = (DATA_DIR / name).resolve()
    if path.parent != DATA_DIR:
        raise ValueError(f"demo records file {name!r} is not in {DATA_DIR}")
    out: list[PoolRecord] = []
    seen: set[str] = set()
    with path.open("rb") as fh:
        reader = pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, utf8_handling="replace")
        for position, rec in enumerate(reader):
            if rec is None:
                continue
            base = normalise_marc(rec, "pool")
            source = f"{name}:{_control(rec, '001') or ''}"
            if source in seen or source.endswith(":"):  # no 001, or one shared with another record
                source = f"{source}#{position}"
            seen.add(source)
            out.append(PoolRecord(
                source=source,
                marc=rec,
                base=base,
                tokens={ix: [w for w in (words(t) for t in texts if t) if w]
                        for ix, texts in _word_fields(base).items()},
                values=_value_fields(base),
                serial=base.material_type is MaterialType.SERIAL,
                issn=bool(base.issns),
                language=_language(rec),
            ))
    return out


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _control(rec: pymarc.Record, tag: str) -> str | None:
    field = rec.get(tag)
    return field.data.strip() if field is not None and field.data else None


def _language(rec: pymarc.Record) -> str:
    f008 = _control(rec, "008")
    return f008[35:38] if f008 and len(f008) >= 38 else ""


def _always(rec: PoolRecord, rules: list[str]) -> bool:
    for rule in rules:
        kind, _, value = rule.partition(":")
        if kind == "language" and rec.language == value.strip().lower():
            return True
        if kind == "serials" and (rec.serial or rec.issn):
            return True
    return False


# --- demo holdings ------------------------------------------------------------------------------

# LC classification letters -> a plausible DDC class, for a DDC library without an 082 (demo only).
_LCC_TO_DDC = {
    "A": "030", "B": "100", "BF": "150", "BL": "200", "BM": "296", "BP": "297", "BQ": "294.3",
    "BR": "270", "BS": "220", "BT": "230", "BV": "240", "BX": "280", "C": "900", "CT": "920",
    "D": "940", "DS": "950", "DS6": "959.8", "E": "970", "F": "970", "G": "910", "GV": "790",
    "H": "300", "HB": "330", "HC": "330", "HD": "338", "HF": "650", "HG": "332", "HJ": "336",
    "HM": "301", "HN": "306", "HQ": "306.8", "HV": "360", "J": "320", "K": "340", "L": "370",
    "M": "780", "N": "700", "NA": "720", "P": "400", "PL": "895", "PN": "800", "PQ": "860",
    "PR": "820", "PS": "810", "PT": "830", "Q": "500", "QA": "510", "QA76": "004", "QC": "530",
    "QD": "540", "QE": "550", "QH": "570", "QK": "580", "QL": "590", "QM": "611", "QR": "579",
    "R": "610", "S": "630", "T": "600", "TK": "621.3", "TX": "640", "U": "355", "V": "359", "Z": "020",
}
_LCC_RE = re.compile(r"^([A-Z]{1,3})\s?(\d+)")


def _lcc_to_ddc(lcc: str) -> str | None:
    m = _LCC_RE.match(lcc)
    if not m or lcc.startswith("MLC"):
        return None
    letters, number = m.group(1), m.group(2)
    for key in (letters + number[:1], letters + number, letters, letters[:1]):
        if key in _LCC_TO_DDC:
            return _LCC_TO_DDC[key]
    return None


def _main_entry(rec: pymarc.Record) -> str:
    for tag in ("100", "110", "111", "130"):
        f = rec.get(tag)
        if f is not None and f.get("a"):
            return f.get("a")
    return _title_words(rec)


def _title_words(rec: pymarc.Record) -> str:
    f = rec.get("245")
    if f is None or not f.get("a"):
        return "x"
    title = f.get("a")
    skip = f.indicator2 if f.indicator2 and f.indicator2.isdigit() else "0"
    return title[int(skip):] or title


def _letters(text: str) -> str:
    return "".join(_WORD_RE.findall(fold(text))) or "x"


def _lc_cutter(name: str) -> str:
    """A Cutter number after the LC Cutter table (simplified: two expansion digits)."""
    s = _letters(name)
    first, rest = s[0].upper(), s[1:]
    if not rest:
        return f".{first}"
    nxt = rest[0]
    if first in "AEIOU":
        table = {"b": 2, "d": 3, "l": 4, "m": 4, "n": 5, "p": 6, "r": 7, "s": 8, "t": 8}
        digit = table.get(nxt, 9 if nxt >= "u" else 2)
    elif first == "S":
        digit = 3 if rest.startswith("ch") else {"a": 2, "e": 4, "h": 5, "i": 5, "m": 6, "n": 6, "o": 6,
                                                  "p": 6, "t": 7, "u": 8}.get(nxt, 9 if nxt >= "w" else 2)
    elif first == "Q" and nxt == "u":
        digit = {"a": 4, "e": 5, "i": 6, "o": 7, "y": 9}.get(rest[1:2], 3)
    else:
        digit = {"a": 3, "e": 4, "i": 5, "o": 6, "r": 7, "u": 8, "y": 9}.get(nxt, 2)
    third = rest[1:2]
    expand = "3" if third <= "d" else "4" if third <= "h" else "5" if third <= "l" else \
        "6" if third <= "o" else "7" if third <= "s" else "8" if third <= "v" else "9"
    return f".{first}{digit}{expand if third else ''}"


def _year(rec: pymarc.Record) -> str:
    f008 = _control(rec, "008")
    y = f008[7:11] if f008 and len(f008) >= 11 else ""
    return y if y.isdigit() else ""


def call_number(rec: pymarc.Record, scheme: str) -> str:
    """A plausible call number for this record in a library using `scheme` (demo data)."""
    f050, f082, f090 = rec.get("050"), rec.get("082"), rec.get("090")
    lcc = f050.get("a") if f050 is not None else None
    if lcc and lcc.startswith("MLC"):
        lcc = None  # LoC minimal-level shelf numbers are not classification
    ddc = f082.get("a") if f082 is not None else None
    if ddc:
        ddc = ddc.replace("/", "").strip()
    if scheme == "lcc":
        if lcc:
            item = f050.get("b") if f050 is not None else None
            if item:
                return f"{lcc.strip()} {item.strip()}"
            return " ".join(p for p in (lcc.strip(), _lc_cutter(_main_entry(rec)), _year(rec)) if p)
        if f090 is not None and f090.get("a"):
            return " ".join(p for p in (f090.get("a"), f090.get("b")) if p).strip()
    klass = ddc or (_lcc_to_ddc(lcc) if lcc else None)
    if not klass and f090 is not None and f090.get("a"):
        return " ".join(p for p in (f090.get("a"), f090.get("b")) if p).strip()
    # Indonesian libraries' habit: class number, three letters of the main entry, first title letter
    author = _letters(_main_entry(rec))[:3].upper()
    title = _letters(_title_words(rec))[:1]
    return f"{klass or 'UMUM'} {author} {title}"


_DUE_DAYS = 365


def _holding_fields(rec: pymarc.Record, *, key: str, n: int, settings: DemoSettings,
                    code: str, serial: bool) -> list[Field]:
    """The generated (DEMO) 852 fields of one record in one partner library."""
    seed = settings.holdings_seed
    locations = settings.locations or ["Koleksi Umum"]
    reference = [loc for loc in locations if "referen" in loc.lower()]
    serial_locs = [loc for loc in locations if any(w in loc.lower() for w in ("berkala", "serial", "jurnal"))]
    general = [loc for loc in locations if loc not in reference and loc not in serial_locs] or locations
    callno = call_number(rec, settings.call_number_scheme)
    fields: list[Field] = []
    if serial:
        location = (serial_locs or general)[0]
        subs = [Subfield("a", code), Subfield("b", location), Subfield("h", callno),
                Subfield("p", f"{code}{n:06d}1"), Subfield("z", "Reference only - not for loan"),
                Subfield("z", _serial_statement(rec, key, seed))]
        return [Field("852", [" ", " "], subs)]
    u = _unit(seed, key, "copies")
    copies = 1 if u < 0.6 else 2 if u < 0.88 else 3
    for copy in range(1, copies + 1):
        u_loc = _unit(seed, key, copy, "location")
        if reference and (u_loc < 0.12 or (copy == 3)):
            location = reference[0]
            status = "Reference only - not for loan"
        else:
            location = general[0] if copy == 1 or len(general) == 1 else general[int(u_loc * len(general))]
            u_av = _unit(seed, key, copy, "availability")
            if u_av < 0.7:
                status = "Available"
            else:
                day = int(_unit(seed, key, copy, "due") * _DUE_DAYS)
                status = f"On loan, due {_date_2026(day)}"
        fields.append(Field("852", [" ", " "], [
            Subfield("a", code), Subfield("b", location), Subfield("h", callno),
            Subfield("p", f"{code}{n:06d}{copy}"), Subfield("z", status)]))
    return fields


def _date_2026(day_of_year: int) -> str:
    return (datetime.date(2026, 1, 1) + datetime.timedelta(days=day_of_year)).isoformat()


def _serial_statement(rec: pymarc.Record, key: str, seed: int) -> str:
    start = _year(rec)
    first = int(start) if start and 1800 <= int(start) <= 2025 else 1990 + int(_unit(seed, key, "y") * 20)
    begin = first + int(_unit(seed, key, "begin") * 5)
    vol = begin - first + 1
    if _unit(seed, key, "closed") < 0.35:
        end = begin + 2 + int(_unit(seed, key, "end") * 12)
        return f"Vol. {vol} ({begin})-v. {vol + end - begin} ({end})"
    return f"Vol. {vol} ({begin})-"


# --- the catalog ---------------------------------------------------------------------------------

@dataclass(slots=True)
class DemoRecord:
    """One record as this partner holds it."""

    marc: pymarc.Record  # with the partner's 001, 003, 035 and DEMO 852 holdings
    record: Record  # normalised from `marc`, as a client would
    source: str  # "<pool file>:<pool 001>", the same for every partner holding this pool record


class DemoCatalog:
    """One demo partner's catalog: its share of the pools and an inverted index over them.

    `load()` (or the first search) builds it; the record pools are shared between partners.
    A record's partner copy (own 001, DEMO holdings), its normalised form and its XML are
    made when first asked for and cached. Thread-safe.
    """

    def __init__(self, partner: Partner):
        if partner.demo is None:
            raise ValueError(f"partner {partner.id!r} has no demo block")
        self.partner = partner
        self.settings: DemoSettings = partner.demo
        self.partner_id = partner.id
        self.code = self.settings.library_code or partner.id.upper()
        self.salt = self.settings.salt or partner.id
        indexes = self.settings.indexes
        unknown = [i for i in indexes or () if i not in CANONICAL]
        if unknown:
            raise ValueError(f"demo partner {partner.id!r}: unknown index(es) {', '.join(unknown)}")
        self.indexes: tuple[str, ...] = tuple(indexes) if indexes is not None else ALL_INDEXES
        self._lock = threading.Lock()
        self._loaded = False
        self._held: list[PoolRecord] = []
        self._words: dict[str, dict[str, set[int]]] = {}
        self._values: dict[str, dict[str, set[int]]] = {}
        self._vocab: dict[str, list[str]] = {}
        self._years: list[tuple[int, int]] = []  # (year, position), sorted
        self._records: dict[int, DemoRecord] = {}
        self._serialised: dict[tuple[int, str], bytes] = {}

    # loading

    def load(self) -> DemoCatalog:
        """Pick this partner's records from the pools and index them (once)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._build()
                    self._loaded = True
        return self

    def __len__(self) -> int:
        return len(self.load()._held)

    def local_id(self, pos: int) -> str:
        """The partner's own record id (001) of the record at `pos`."""
        return f"{self.partner_id}-{pos + 1}"

    def _build(self) -> None:
        settings = self.settings
        held: list[PoolRecord] = []
        for name in settings.records:
            share = settings.shares.get(name, settings.share)
            for rec in load_pool(name):
                if _unit(self.salt, rec.source) < share or _always(rec, settings.always):
                    held.append(rec)
        words_ix: dict[str, dict[str, set[int]]] = {name: {} for name in WORD_INDEXES}
        values_ix: dict[str, dict[str, set[int]]] = {name: {} for name in VALUE_INDEXES}
        years: list[tuple[int, int]] = []
        for pos, rec in enumerate(held):
            for name, fields in rec.tokens.items():
                postings = words_ix[name]
                for value in fields:
                    for w in value:
                        postings.setdefault(w, set()).add(pos)
            for name, values in rec.values.items():
                postings = values_ix[name]
                for v in values:
                    postings.setdefault(v, set()).add(pos)
            values_ix["id"].setdefault(self.local_id(pos), set()).add(pos)
            if rec.base.year is not None:
                years.append((rec.base.year, pos))
        self._held = held
        self._words, self._values = words_ix, values_ix
        self._vocab = {name: sorted(p) for name, p in (words_ix | values_ix).items()}
        self._years = sorted(years)

    def _partner_copy(self, pos: int) -> pymarc.Record:
        """The partner's copy of a pool record: own 001/003, the pool id in 035, DEMO 852s."""
        rec = self._held[pos]
        marc = rec.marc
        copy = pymarc.Record(leader=str(marc.leader), to_unicode=True, force_utf8=True)
        keep = [f for f in marc.fields if f.tag not in ("001", "003", "852", "952")]
        extra = [Field("001", data=self.local_id(pos)), Field("003", data=self.code)]
        pool_id = _control(marc, "001")
        if pool_id:
            org = _control(marc, "003") or "DLC"
            extra.append(Field("035", [" ", " "], [Subfield("a", f"({org}){pool_id}")]))
        extra += _holding_fields(marc, key=rec.source, n=pos + 1, settings=self.settings, code=self.code,
                                 serial=rec.serial)
        copy.fields = sorted(keep + extra, key=lambda f: f.tag)  # stable: keeps field order within a tag
        return copy

    # searching

    def search(self, query: Query | Node) -> list[int]:
        """Positions (0-based, catalog order, or the query's sort order) of the matching records."""
        self.load()
        root = query.root if isinstance(query, Query) else query
        found = sorted(self._eval(root))
        if isinstance(query, Query) and query.sort:
            found = self._sort(found, query)
        return found

    def _eval(self, node: Node) -> set[int]:
        if isinstance(node, Clause):
            return self._clause(node)
        if node.op == "prox":
            raise DemoQueryError(37, "prox is not supported by this server", details="prox")
        if node.op not in ("and", "or", "not"):
            raise DemoQueryError(37, f"unsupported boolean operator {node.op!r}", details=node.op)
        if node.modifiers:
            raise DemoQueryError(46, "boolean modifiers are not supported", details=node.modifiers[0].name)
        left = self._eval(node.left)
        if node.op == "and" and not left:
            self._eval(node.right)  # still validate the right side (diagnostics do not depend on data)
            return set()
        right = self._eval(node.right)
        if node.op == "and":
            return left & right
        if node.op == "or":
            return left | right
        return left - right

    def _clause(self, c: Clause) -> set[int]:
        if c.index not in self.indexes:
            raise UnsupportedIndexError(f"index {c.index!r} is not supported by {self.partner_id}",
                                        details=c.index)
        for m in c.modifiers:
            if m.name.lower() not in _HARMLESS_MODIFIERS:
                raise DemoQueryError(20, f"relation modifier {m.name!r} is not supported", details=m.name)
        relation = c.relation.lower()
        if c.index == "year":
            return self._year_clause(relation, c.term)
        if relation not in ("=", "==", "all", "any", "adj"):
            raise UnsupportedRelationError(f"relation {c.relation!r} is not supported for {c.index}",
                                           details=c.relation)
        if c.index in WORD_INDEXES:
            return self._word_clause(c.index, relation, c.term)
        return self._value_clause(c.index, relation, c.term)

    def _matching(self, index: str, word: str) -> set[int]:
        postings = self._words[index] if index in self._words else self._values[index]
        if not _is_masked(word):
            return set(postings.get(word, ()))
        vocab = self._vocab[index]
        prefix = re.split(r"[*?]", word, maxsplit=1)[0]
        start = bisect.bisect_left(vocab, prefix)
        out: set[int] = set()
        if word == prefix + "*":
            for w in vocab[start:]:
                if not w.startswith(prefix):
                    break
                out |= postings[w]
            return out
        rx = _mask_regex(word)
        candidates = vocab[start:] if prefix else vocab
        for w in candidates:
            if prefix and not w.startswith(prefix):
                break
            if rx.match(w):
                out |= postings[w]
        return out

    def _word_clause(self, index: str, relation: str, term: str) -> set[int]:
        wanted = _term_words(term)
        if not wanted:
            if not term.strip():
                raise DemoQueryError(27, "empty term is not supported", details=term)
            if set(term.strip()) == {"*"}:  # any value at all
                return set().union(*self._words[index].values())
            return set()
        if relation == "any":
            out: set[int] = set()
            for w in wanted:
                out |= self._matching(index, w)
            return out
        hits = None
        for w in sorted(wanted, key=_is_masked):
            found = self._matching(index, w)
            hits = found if hits is None else hits & found
            if not hits:
                return set()
        assert hits is not None
        if relation in ("=", "all") or len(wanted) == 1 and relation == "adj":
            return hits
        exact = relation == "=="
        held = self._held
        return {pos for pos in hits if any(_phrase_in(value, wanted, exact) for value in held[pos].tokens[index])}

    def _value_clause(self, index: str, relation: str, term: str) -> set[int]:
        if not term.strip():
            raise DemoQueryError(27, "empty term is not supported", details=term)
        parts = term.split() if relation in ("any", "all") else [term]
        keys = [_normalise_value(index, p) for p in parts]
        keys = [k for k in keys if k]
        if not keys:
            raise DemoQueryError(36, f"term {term!r} is not valid for index {index}", details=term)
        sets = [self._matching(index, k) for k in keys]
        if relation == "all":
            return set.intersection(*sets)
        return set.union(*sets)

    def _year_clause(self, relation: str, term: str) -> set[int]:
        term = term.strip()
        if not term:
            raise DemoQueryError(27, "empty term is not supported", details=term)
        years = self._years
        if relation in ("=", "==", "adj", "any", "all") and _is_masked(term):
            rx = _mask_regex(term)
            return {pos for y, pos in years if rx.match(str(y))}
        if relation == "within":
            bounds = term.replace("-", " ").split()
            if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
                raise DemoQueryError(36, "within needs two years, e.g. \"1990 2000\"", details=term)
            lo, hi = sorted(int(b) for b in bounds)
            return self._year_range(lo, hi)
        values = term.split()
        if not all(v.isdigit() for v in values) or (len(values) > 1 and relation not in ("any", "=")):
            raise DemoQueryError(36, f"term {term!r} is not a year", details=term)
        if relation in ("any", "=") and len(values) > 1:
            out: set[int] = set()
            for v in values:
                out |= self._year_range(int(v), int(v))
            return out
        y = int(values[0])
        if relation in ("=", "==", "adj", "all", "any"):
            return self._year_range(y, y)
        if relation == "<":
            return self._year_range(None, y - 1)
        if relation == "<=":
            return self._year_range(None, y)
        if relation == ">":
            return self._year_range(y + 1, None)
        if relation == ">=":
            return self._year_range(y, None)
        if relation == "<>":
            return {pos for yy, pos in years if yy != y}
        raise UnsupportedRelationError(f"relation {relation!r} is not supported for year", details=relation)

    def _year_range(self, lo: int | None, hi: int | None) -> set[int]:
        years = self._years
        start = 0 if lo is None else bisect.bisect_left(years, (lo, -1))
        stop = len(years) if hi is None else bisect.bisect_right(years, (hi, len(self._held)))
        return {pos for _, pos in years[start:stop]}

    def _sort(self, found: list[int], query: Query) -> list[int]:
        for key in reversed(query.sort):
            if key.index not in ("title", "author", "year", "id", "relevance"):
                raise DemoQueryError(80, f"sorting by {key.index!r} is not supported", details=key.index)
            if key.index == "relevance":
                continue
            found = sorted(found, key=lambda pos: _sort_value(self._held[pos].base, key.index, self.local_id(pos)),
                           reverse=not key.ascending)
        return found

    # records

    def get(self, pos: int) -> DemoRecord:
        """The record at `pos` as this partner holds it."""
        self.load()
        found = self._records.get(pos)
        if found is None:
            from federator.records.marc import normalise_marc

            marc = self._partner_copy(pos)
            found = DemoRecord(marc, normalise_marc(marc, self.partner_id), self._held[pos].source)
            self._records[pos] = found  # a race only builds the same value twice
        return found

    def source(self, pos: int) -> str:
        """The pool record behind position `pos` (equal across partners holding the same record)."""
        return self.load()._held[pos].source

    def serialised(self, pos: int, schema: str) -> bytes:
        """The record as XML bytes in `schema` (marcxml, dc, mods), built once and cached."""
        key = (pos, schema)
        data = self._serialised.get(key)
        if data is None:
            data = _serialise(self.get(pos), schema)
            self._serialised[key] = data
        return data


def _phrase_in(value: list[str], wanted: list[str], exact: bool) -> bool:
    """Whether the words `wanted` occur in order in `value` (exact: and nothing else)."""
    n = len(wanted)
    if exact:
        return len(value) == n and all(_word_matches(v, w) for v, w in zip(value, wanted))
    return any(all(_word_matches(value[i + k], w) for k, w in enumerate(wanted))
               for i in range(len(value) - n + 1))


def _word_matches(word: str, pattern: str) -> bool:
    if not _is_masked(pattern):
        return word == pattern
    return bool(_mask_regex(pattern).match(word))


def _word_fields(r: Record) -> dict[str, list[str]]:
    title = [t for t in (r.title, r.part) if t]
    author = list(r.authors) + ([r.responsibility] if r.responsibility else [])
    publisher = [r.publisher] if r.publisher else []
    anything = (title + author + list(r.subjects) + list(r.series) + publisher
                + [t for t in (r.place, r.edition, r.physical_description) if t] + list(r.notes)
                + list(r.isbns) + list(r.issns) + ([str(r.year)] if r.year else []))
    return {"any": anything, "title": title, "author": author, "subject": list(r.subjects),
            "publisher": publisher}


def _value_fields(r: Record) -> dict[str, list[str]]:
    return {
        "isbn": [_compact(v) for v in list(r.isbns) + list(r.invalid_isbns)],
        "issn": [_compact(v) for v in r.issns],
        "lccn": [_compact(r.lccn)] if r.lccn else [],
        "oclc": [v.lstrip("0") for v in r.oclc_numbers],
        "language": [r.language.lower()] if r.language else [],
        "format": [r.material_type.value],
    }


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value).lower()


def _normalise_value(index: str, term: str) -> str:
    value = _compact(fold(term.strip()))
    if index == "isbn" and not _is_masked(value):
        value = value.replace("isbn", "")
        if stdisbn.is_valid(value):
            return stdisbn.to_isbn13(value).lower()
    if index == "lccn" and not _is_masked(value):
        return _normalise_lccn(term)
    if index == "oclc":
        value = re.sub(r"^\(ocolc\)|^oc[mn]|^on", "", value).lstrip("0")
    if index == "id":
        return fold(term.strip())
    return value


def _normalise_lccn(term: str) -> str:
    """LC's LCCN normalisation: no blanks, no part after '/', the serial after '-' padded to 6."""
    value = re.sub(r"\s", "", term).split("/")[0].lower()
    if "-" in value:
        prefix, _, serial = value.partition("-")
        if serial.isdigit():
            value = prefix + serial.zfill(6)
    return value


def _sort_value(r: Record, index: str, local_id: str) -> tuple:
    if index == "year":
        return (r.year is None, r.year or 0)
    if index == "title":
        return (" ".join(words(r.title or "")),)
    if index == "author":
        return (" ".join(words(r.authors[0])) if r.authors else "\uffff",)
    return (local_id,)


def _serialise(demo: DemoRecord, schema: str) -> bytes:
    from lxml import etree

    if schema == "marcxml":
        from federator.records.marcxml import marc_to_element
        element = marc_to_element(demo.marc)
    elif schema == "dc":
        from federator.records.dc import record_to_dc
        element = record_to_dc(demo.record)
    elif schema == "mods":
        from federator.records.mods import record_to_mods
        element = record_to_mods(demo.record)
    else:
        raise ValueError(f"unknown schema {schema!r}")
    return etree.tostring(element, encoding="utf-8", xml_declaration=False)
