"""The packaging and documentation stay in step with the code."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

from federator.config import load_settings, reference_markdown
from federator.connector import ENTRY_POINT_GROUP, connector_class

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT / "src").parent.parts) for p in (ROOT / "src").rglob("__init__.py")}
    found.add("federator_connectors")
    assert found == listed


def test_builtin_connectors_register_through_the_entry_point_group():
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"sru", "z3950"} <= names
    for name in names:
        assert connector_class(name).protocol == name


def test_every_dependency_is_pinned():
    project = _pyproject()["project"]
    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        assert "==" in spec, spec


def test_configuration_reference_is_current():
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert documented.strip() == reference_markdown().strip(), (
        "docs/configuration.md is stale: run `python -m federator.config > docs/configuration.md`")


def test_default_configuration_loads_and_every_partner_uses_a_known_connector():
    settings = load_settings()
    assert len(settings.partners) >= 4
    for partner in settings.partners:
        connector_class(partner.protocol)
        assert set(partner.networks) <= {n.id for n in settings.networks}
