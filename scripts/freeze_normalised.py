"""Freeze what the MARC normalisers give for every bundled MARC record (run once, at a commit
whose normalisers are the reference): tests/unit/test_records_equivalence.py compares the
current normalisers with these values on every Record field.

Sources: the demo pools (src/federator/demo/data/*.mrc), the Zebra fixtures (tests/fixtures/zebra,
MARC-8 among them) and the MARC fixtures (tests/fixtures/marc: LC, traject, pymarc encoding cases
with MARC-8 and broken UTF-8, Open Library's 880/alternate-script and broken-record cases, Koha's
MARCXML). Each binary record goes through both paths: ISO 2709 (normalise_iso2709) and MARCXML
(written with marc_to_element, parsed, normalise_xml); MARCXML files go through normalise_xml.

    .venv/bin/python scripts/freeze_normalised.py   # writes tests/fixtures/normalised/expected.json.gz
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.normalised import cases, record_values  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "normalised" / "expected.json.gz"


def main() -> None:
    expected = {key: record_values(record) for key, record in cases()}
    data = json.dumps(expected, ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(data, mtime=0))
    print(f"{len(expected)} records -> {OUT} ({OUT.stat().st_size} bytes, sha1 {hashlib.sha1(data).hexdigest()[:12]})")


if __name__ == "__main__":
    main()
