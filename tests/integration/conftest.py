"""Integration fixtures: real catalog servers on loopback ports (see tests/support/zebra.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from federator.api.app import create_app
from federator.config import Partner, load_settings
from tests.support.servers import serve_app, with_slow_demo_partner


def _load_support(name: str):
    """tests/support/<name>.py as a module (tests/ is not a package)."""
    qualified = f"federator_test_support_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, Path(__file__).resolve().parents[1] / "support" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


zebra_support = _load_support("zebra")


@pytest.fixture(scope="session")
def zebra_cluster(tmp_path_factory):
    """Three Zebra partner libraries (north, south, east: overlapping subsets of the real MARC
    fixtures, Z39.50 + SRU on one port each) and yaz-ztest, stopped at the end of the session.
    `zebra_cluster["east"].address` is host:port, `.sru_url` the SRU base URL, `.records` the
    ISO 2709 records loaded; `zebra_cluster.stop(name)`/`.start(name)` take one down and up;
    `zebra_cluster.delay_proxy(name, seconds)` is a slower way to the same server."""
    cluster = zebra_support.ZebraCluster(tmp_path_factory.mktemp("zebra"))
    cluster.start_all()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def zebra_partner(zebra_cluster):
    """Make a Partner for one of the cluster's servers: zebra_partner("north", protocol="sru", ...)."""

    def make(name: str, *, protocol: str = "z3950", partner_id: str | None = None, **settings) -> Partner:
        server = zebra_cluster[name]
        endpoint = server.sru_url if protocol == "sru" else server.address
        return Partner(id=partner_id or re.sub(r"[^a-z0-9_-]", "-", name.lower()), name=f"{name.title()} test library",
                       protocol=protocol, endpoint=endpoint, **settings)

    return make


@pytest.fixture(scope="module")
def slow_gateway():
    """A gateway on the bundled demo partners, SLOW_PARTNER answering SLOW_MS later than the
    others (tests.support.servers): (base URL, settings)."""
    settings = with_slow_demo_partner(load_settings())
    with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as base:
        yield base, settings
