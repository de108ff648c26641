"""The demo catalogs, once built, are out of the cycle collector's sight (gc.freeze): a full
collection in the gateway process no longer walks their ~560,000 objects while searches wait."""

from __future__ import annotations

import gc
import threading

from federator.config import load_settings
from federator.demo.sru_app import create_demo_app


def test_preloaded_catalogs_are_frozen_and_full_collections_skip_them():
    partners = [p for p in load_settings().partners if p.demo is not None]
    app = create_demo_app(partners)
    for thread in threading.enumerate():
        if thread.name == "demo-catalog-preload":
            thread.join(120)
    catalogs = app.state.sru.catalogs.values()
    assert all(c._loaded for c in catalogs)
    sample = [next(iter(c._words.values())) for c in catalogs]  # an index of each catalog
    assert gc.get_freeze_count() > 100_000
    tracked = {id(o) for o in gc.get_objects()}  # generations 0-2: what collections walk
    assert not any(id(s) in tracked for s in sample)
