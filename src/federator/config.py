"""Typed settings: the partner directory, networks and search defaults, loaded from YAML.

Defaults live here in code; `config/*.yaml` overrides them. Every field carries a description,
which is the documentation of the setting (docs/configuration.md is generated from it and a
test keeps the two in step).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from federator.errors import ConfigError

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "federator.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    email: str | None = Field(None, description="Contact e-mail of the library")
    phone: str | None = Field(None, description="Contact telephone")
    url: str | None = Field(None, description="The library's web site")
    person: str | None = Field(None, description="Contact person or desk")


class Credentials(_Strict):
    """Credentials are never written in the YAML: only the names of environment variables."""

    user_env: str | None = Field(None, description="Environment variable holding the user name")
    password_env: str | None = Field(None, description="Environment variable holding the password")
    group_env: str | None = Field(None, description="Environment variable holding the group (Z39.50)")

    def resolve(self) -> tuple[str | None, str | None, str | None]:
        get = lambda name: os.environ.get(name) if name else None  # noqa: E731
        return get(self.user_env), get(self.password_env), get(self.group_env)


class DemoCatalog(_Strict):
    records: list[str] = Field(description="MARC files (relative to federator/demo/data) this demo catalog serves")
    holdings_seed: int = Field(0, description="Seed of the generated demo holdings")
    locations: list[str] = Field(default_factory=lambda: ["Main library"], description="Demo shelving locations")
    call_number_scheme: Literal["lcc", "ddc"] = Field("lcc", description="Which classification the demo call numbers use")
    indexes: list[str] | None = Field(None, description="Canonical indexes the demo server supports (default: all)")
    share: float = Field(1.0, ge=0, le=1, description="Fraction of each records file this catalog holds, picked by a hash of each record's 001 and `salt`")
    shares: dict[str, float] = Field(default_factory=dict, description="Per-file overrides of `share`, keyed by file name")
    salt: str | None = Field(None, description="Salt of the selection hash (default: the partner id); partners with different salts hold different subsets")
    always: list[str] = Field(default_factory=list, description="Records held whatever the share: 'language:<code>' (008/35-37) or 'serials' (leader/07 s or an 022)")
    library_code: str | None = Field(None, description="Library code written to 852 $a of the demo holdings (default: the partner id, upper-cased)")
    latency_ms: int = Field(0, ge=0, le=60000, description="Simulated response delay of the demo SRU server, in milliseconds")


class Partner(_Strict):
    id: str = Field(description="Short stable identifier, used in URLs and facets")
    name: str = Field(description="Library name as users know it")
    kind: Literal["university", "public", "school", "special", "national", "other"] = Field(
        "other", description="Kind of library")
    address: str | None = Field(None, description="Postal address")
    city: str | None = Field(None, description="City")
    region: str | None = Field(None, description="Province / region")
    contact: Contact = Field(default_factory=Contact, description="How to reach the library")
    networks: list[str] = Field(default_factory=list, description="Networks/regions the library belongs to (several allowed)")
    protocol: str = Field("sru", description="Connector name (entry point in group federator.connectors)")
    endpoint: str = Field(description="Base URL (SRU) or host:port (Z39.50); '{gateway}' is the gateway's own base URL")
    database: str | None = Field(None, description="Database name (Z39.50) or path suffix")
    record_schema: str = Field("marcxml", description="Preferred record schema: marcxml, dc, mods")
    sru_version: Literal["1.1", "1.2", "2.0"] = Field("1.2", description="SRU version to speak")
    http_method: Literal["GET", "POST"] = Field("GET", description="SRU HTTP method")
    indexes: dict[str, str | None] = Field(default_factory=dict, description="Overrides of the protocol's default index map; null = unsupported")
    relations: list[str] | None = Field(None, description="CQL relations the partner supports (default: all)")
    timeout: float = Field(8.0, gt=0, description="Seconds this partner may take for one search")
    max_records: int = Field(100, ge=0, le=10000, description="Most records fetched from this partner per search")
    page_size: int = Field(50, ge=1, le=1000, description="Records asked for per request when paging")
    credentials: Credentials = Field(default_factory=Credentials, description="Environment variable names of credentials")
    enabled: bool = Field(True, description="A disabled partner stays in the directory but is not searched")
    demo: DemoCatalog | None = Field(None, description="When set, federator serves this catalog itself (bundled demo)")
    options: dict[str, Any] = Field(default_factory=dict, description="Connector-specific options")

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", value):
            raise ValueError("partner id must be lower-case letters, digits, '-' or '_'")
        return value


class Network(_Strict):
    id: str = Field(description="Network identifier")
    name: str = Field(description="Display name")
    description: str | None = Field(None, description="What the network is")


class SearchSettings(_Strict):
    deadline: float = Field(10.0, gt=0, description="Seconds after which a search answers with what has arrived")
    default_page_size: int = Field(20, ge=1, le=100, description="Merged records per page by default")
    max_page_size: int = Field(100, ge=1, le=1000, description="Largest page size a client may ask for")
    max_query_length: int = Field(2000, ge=16, description="Longest accepted query text, in characters")
    cache_ttl: float = Field(300.0, ge=0, description="Seconds a finished search is kept for paging and record lookups")


class Settings(_Strict):
    title: str = Field("federator union catalog", description="Name shown in answers and pages")
    networks: list[Network] = Field(default_factory=list, description="Networks and regions partners belong to")
    partners: list[Partner] = Field(description="The partner directory")
    search: SearchSettings = Field(default_factory=SearchSettings, description="Search defaults and limits")

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    @field_validator("partners")
    @classmethod
    def _unique_ids(cls, partners: list[Partner]) -> list[Partner]:
        seen: set[str] = set()
        for p in partners:
            if p.id in seen:
                raise ValueError(f"duplicate partner id {p.id!r}")
            seen.add(p.id)
        return partners


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the YAML configuration: `path`, else $FEDERATOR_CONFIG, else the bundled demo one."""
    if path is None:
        path = os.environ.get("FEDERATOR_CONFIG") or PROJECT_CONFIG
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration {path} is not valid YAML: {exc}") from exc
    try:
        return Settings.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(f"configuration {path} is invalid:\n{exc}") from exc


def reference_markdown() -> str:
    """docs/configuration.md, generated from the settings models (tests keep the file in step)."""
    out = ["# Configuration reference", "",
           "Generated from `src/federator/config.py` by `python -m federator.config > docs/configuration.md`.",
           "The YAML file (`config/federator.yaml` by default, or `--config`, or `$FEDERATOR_CONFIG`)",
           "holds one `Settings` object. Unknown keys are errors.", ""]
    seen: set[type] = set()

    def section(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        out.extend([f"## {model.__name__}", ""])
        if model.__doc__ and model.__doc__.strip() and model.__doc__ is not BaseModel.__doc__:
            out.extend([model.__doc__.strip().splitlines()[0], ""])
        out.extend(["| key | type | default | meaning |", "|---|---|---|---|"])
        nested: list[type[BaseModel]] = []
        for name, info in model.model_fields.items():
            annotation = info.annotation
            typename = (annotation.__name__ if isinstance(annotation, type) else str(annotation))
            typename = re.sub(r"\b(typing|federator\.config|__main__)\.", "", typename)
            value = info.default_factory() if info.default_factory else info.default
            default = "required" if info.is_required() else (
                "(see below)" if isinstance(value, BaseModel) else repr(value))
            if isinstance(default, str) and len(default) > 40:
                default = default[:37] + "..."
            out.append(f"| `{name}` | `{typename}` | `{default}` | {info.description or ''} |")
            for arg in (annotation, *getattr(annotation, "__args__", ())):
                for inner in (arg, *getattr(arg, "__args__", ())):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        nested.append(inner)
        out.append("")
        for inner in nested:
            section(inner)

    section(Settings)
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())
