"""Service settings: one frozen value object, read once from the environment or a mapping.

Every field mirrors an env var ``NALTREXONE_CDS_<FIELD upper-case>``; ``create_app(settings)``
takes the same names in lower case.  Only this module reads ``os.environ``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

ENV_PREFIX = "NALTREXONE_CDS_"
DEFAULT_FHIR_TIMEOUT_S = 2.0
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_JWKS_CACHE_S = 300
# A FHIR Bundle nests ~15 levels inside a hook request; 64 leaves room, and stops stack-exhaustion payloads.
DEFAULT_MAX_JSON_DEPTH = 64
# Every JSON value counts (objects, arrays, scalars); ample for a year of medication history in prefetch.
DEFAULT_MAX_JSON_ENTRIES = 500_000
# What one hook call may read from fhirServer across all its queries (a 10,000-resource record is
# ~8 MB): beyond it the record is cut and the could-not-verify card names what was not read.
DEFAULT_FHIR_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_FHIR_MAX_ENTRIES = 20_000


class SettingsError(ValueError):
    """Raised at start-up when a setting cannot be understood."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    auth: str = "jwt"  # "jwt" | "none"
    public_url: str = ""
    fhir_allowlist: tuple[str, ...] = ()
    fhir_timeout: float = DEFAULT_FHIR_TIMEOUT_S
    fhir_max_bytes: int = DEFAULT_FHIR_MAX_BYTES
    fhir_max_entries: int = DEFAULT_FHIR_MAX_ENTRIES
    database_url: str = ""
    state_dir: str = "state"
    policy_file: str = ""
    now: date | None = None
    discovery_public: bool = False
    trusted_issuers: Mapping[str, str] = field(default_factory=dict)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    redis_url: str = ""
    # JSON {iss: url | [url, ...]}: extra jku URLs honoured for that issuer besides its trusted_issuers URL.
    jku_allowlist: Mapping[str, Any] = field(default_factory=dict)
    jwks_cache_seconds: int = DEFAULT_JWKS_CACHE_S
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    max_json_entries: int = DEFAULT_MAX_JSON_ENTRIES
    auto_migrate: bool = True
    log_json: bool = False
    workers: int = 0
    threads: int = 0

    @property
    def dev_mode(self) -> bool:
        return self.auth == "none"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{os.path.abspath(self.state_dir)}/naltrexone-cds.sqlite3"


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    """The typed value of one setting, from an env string or a Python value; None = not set."""
    if raw is None or raw == "":
        return None
    kind = str(kind)
    text = raw.strip() if isinstance(raw, str) else str(raw)
    try:
        if kind == "bool":
            return raw if isinstance(raw, bool) else _bool(text)
        if kind == "int":
            return int(raw) if isinstance(raw, int) else int(text)
        if kind == "float":
            return float(raw) if isinstance(raw, (int, float)) else float(text)
        if "tuple" in kind:
            items = list(raw) if isinstance(raw, (list, tuple)) else text.split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        if "Mapping" in kind:
            return dict(raw) if isinstance(raw, dict) else dict(json.loads(text))
        if "date" in kind:
            return raw if isinstance(raw, date) else date.fromisoformat(text[:10])
        return text
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}: cannot read {raw!r}") from exc


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from env vars, then the explicit overrides (lower-case names) on top."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    known = {f.name: f.type for f in fields(Settings)}
    for name, kind in known.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if name == "workers" and raw is None:
            raw = env.get("WEB_CONCURRENCY")
        value = _coerce(name, kind, raw)
        if value is not None:
            values[name] = value
    for name, raw in (overrides or {}).items():
        if name not in known:
            raise SettingsError(f"unknown setting {name!r}")
        value = _coerce(name, known[name], raw)
        if value is not None:
            values[name] = value
    settings = Settings(**values)
    if settings.auth not in ("jwt", "none"):
        raise SettingsError(f"{ENV_PREFIX}AUTH must be 'jwt' or 'none', not {settings.auth!r}")
    if settings.fhir_timeout <= 0:
        raise SettingsError(f"{ENV_PREFIX}FHIR_TIMEOUT must be positive")
    if settings.fhir_max_bytes <= 0 or settings.fhir_max_entries <= 0:
        raise SettingsError(f"{ENV_PREFIX}FHIR_MAX_BYTES and FHIR_MAX_ENTRIES must be positive")
    return settings
