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

from federator.errors import BREAKER_KINDS, ConfigError

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
    max_response_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest answer read from this partner per request, in bytes; enforced while the body streams in")
    retries: int | None = Field(None, ge=1, le=10, description="Tries per search for transient failures (overrides resilience.retry.attempts)")
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

    @field_validator("endpoint")
    @classmethod
    def _no_secrets_in_endpoint(cls, value: str) -> str:
        # The directory shows endpoints: user:password@ in one would publish the password.
        if re.match(r"^[a-z][a-z0-9+.-]*://[^/?#]*@", value.strip(), re.I):
            raise ValueError("the endpoint must not hold credentials: name environment variables "
                             "in credentials.user_env / password_env instead")
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
    max_cql_depth: int = Field(32, ge=1, le=256, description="Deepest nesting of parentheses or mixed booleans accepted in CQL")
    cache_ttl: float = Field(300.0, ge=0, description="Seconds a finished search is kept for paging and record lookups")
    record_cache_size: int = Field(10_000, ge=0, description="Normalised partner records kept (for `cache_ttl` after their last use) so a record that comes back in another search is not normalised again; 0 = off")
    shared_cache_url: str | None = Field(None, description="Redis URL (redis://host:port/db) of a search cache shared by every gateway process (`--workers N`, several hosts); unset = each process caches its own searches. Redis being down only costs the cache, never a search")


DEFAULT_SUSPENSION: dict[str, float] = {"timeout": 30, "connect": 60, "reset": 30, "unavailable": 30, "http": 60,
                                        "auth": 600, "too_large": 300, "malformed": 120}


class RetrySettings(_Strict):
    """Retries of transient partner failures (connect errors, resets, HTTP 502/503/504), never past the deadline."""

    attempts: int = Field(3, ge=1, le=10, description="Tries per partner search; 1 turns retries off")
    backoff: float = Field(0.1, ge=0, le=10, description="Backoff base in seconds: before try n+1 a random wait up to backoff * 2^n (full jitter)")
    max_backoff: float = Field(1.0, ge=0, le=60, description="Longest wait between two tries, in seconds")


class BreakerSettings(_Strict):
    """The per-partner circuit breaker: suspends a failing partner, then probes it back."""

    enabled: bool = Field(True, description="Suspend partners that keep failing")
    failure_threshold: int = Field(3, ge=1, le=1000, description="Consecutive failed searches that suspend a partner")
    suspension: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SUSPENSION), description="Seconds of suspension by the kind of the last failure (timeout, connect, reset, unavailable, http, auth, too_large, malformed); unlisted kinds keep their defaults")
    max_suspension: float = Field(900.0, gt=0, description="Longest suspension: each failed probe doubles it up to this")

    @field_validator("suspension")
    @classmethod
    def _known_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - BREAKER_KINDS
        if unknown:
            raise ValueError(f"unknown failure kind(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(BREAKER_KINDS))}")
        if any(v <= 0 for v in value.values()):
            raise ValueError("suspension times must be positive")
        return {**DEFAULT_SUSPENSION, **value}


class ResilienceSettings(_Strict):
    retry: RetrySettings = Field(default_factory=RetrySettings, description="Retries of transient failures")
    breaker: BreakerSettings = Field(default_factory=BreakerSettings, description="Circuit breaker per partner")


class RateLimitSettings(_Strict):
    """Per-client rate limiting of the API (a token bucket per client); /health, /ready, /metrics and /demo are exempt."""

    requests_per_minute: float = Field(0.0, ge=0, description="Sustained requests per minute per client; 0 turns rate limiting off")
    burst: int = Field(60, ge=1, description="Requests a client may make at once before the rate applies")
    client_header: str | None = Field(None, description="Request header naming the client (e.g. X-Forwarded-For behind a trusted proxy; its first address); default: the peer address")
    max_clients: int = Field(10000, ge=1, description="Clients tracked at once; the least recently seen are forgotten")


class OpsSettings(_Strict):
    admin_token_env: str = Field("FEDERATOR_ADMIN_TOKEN", description="Environment variable holding the bearer token of the /admin endpoints; unset or empty disables them")
    log_format: Literal["json", "text"] = Field("json", description="`federator serve` log lines: one JSON object each (with the request id), or plain text")
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings, description="Per-client rate limiting")


class Settings(_Strict):
    title: str = Field("federator union catalog", description="Name shown in answers and pages")
    networks: list[Network] = Field(default_factory=list, description="Networks and regions partners belong to")
    partners: list[Partner] = Field(description="The partner directory")
    search: SearchSettings = Field(default_factory=SearchSettings, description="Search defaults and limits")
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings, description="Retries and circuit breaking around every partner")
    ops: OpsSettings = Field(default_factory=OpsSettings, description="Operations: admin token, logs, rate limiting")

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def partner_networks(self) -> dict[str, list[str]]:
        """Each partner's networks, by partner id (the network facet counts through it)."""
        return {p.id: list(p.networks) for p in self.partners}

    @field_validator("partners")
    @classmethod
    def _unique_ids(cls, partners: list[Partner]) -> list[Partner]:
        seen: set[str] = set()
        for p in partners:
            if p.id in seen:
                raise ValueError(f"duplicate partner id {p.id!r}")
            seen.add(p.id)
        return partners


def config_path(path: str | Path | None = None) -> Path:
    """The configuration file to read: `path`, else $FEDERATOR_CONFIG, else the bundled demo one."""
    return Path(path if path is not None else os.environ.get("FEDERATOR_CONFIG") or PROJECT_CONFIG)


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the YAML configuration: `path`, else $FEDERATOR_CONFIG, else the bundled demo one."""
    path = config_path(path)
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
