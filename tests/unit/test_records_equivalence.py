"""The MARC normalisers give, for every bundled MARC record and through every path (ISO 2709,
MARCXML over SRU, MARCXML files), exactly the Record the reference normalisers gave: every field,
and raw to the byte (its SHA-1). The reference values were frozen by scripts/freeze_normalised.py
at 4aa10f9 (pymarc-based normalisers). The records include MARC-8 and decomposed diacritics,
880 alternate-script fields, broken leaders and directories, and records missing 001/245/260."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.support.normalised import cases, record_values

EXPECTED = Path(__file__).parent.parent / "fixtures" / "normalised" / "expected.json.gz"


def test_every_bundled_marc_record_normalises_as_the_reference_did():
    expected = json.loads(gzip.decompress(EXPECTED.read_bytes()))
    seen = set()
    differences = []
    for key, record in cases():
        seen.add(key)
        got = record_values(record)
        want = expected.get(key, "missing from the reference")
        if got != want:
            if isinstance(got, dict) and isinstance(want, dict):
                fields = {k: (want.get(k), got.get(k)) for k in got if got.get(k) != want.get(k)}
                differences.append((key, fields))
            else:
                differences.append((key, (want, got)))
    assert not differences, f"{len(differences)} records differ, first: {differences[:3]}"
    assert seen == set(expected)
    assert len(seen) > 8000
