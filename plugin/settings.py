"""Service settings: one frozen value object, read once from the environment or a mapping.

Every field mirrors an env var ``NALTREXONE_CDS_<FIELD upper-case>``; ``create_app(settings)``
takes the same names in lower case.  Only this module reads ``os.environ``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

ENV_PREFIX = "NALTREXONE_CDS_"
DEFAULT_FHIR_TIMEOUT_S = 2.0
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_CLIENT_TIMEOUT_S = 10.0  # headers in full / longest pause in a body (serve's proxy)
DEFAULT_WORKER_TIMEOUT_S = 30.0  # a request running longer is stuck: serve ends its worker
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
    proxy: str = "nginx"  # "nginx": serve buffers every request in nginx first | "none"
    client_timeout: float = DEFAULT_CLIENT_TIMEOUT_S
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT_S

    @property
    def dev_mode(self) -> bool:
        return self.auth == "none"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{os.path.abspath(self.state_dir)}/naltrexone-cds.sqlite3"


# The expected form of each setting, as the one-line start-up error states it.
FORMS: dict[str, str] = {
    "auth": "'jwt' or 'none'",
    "public_url": "this service's base URL as the EHR calls it, e.g. https://cds.example.org",
    "fhir_allowlist": "comma-separated FHIR base URLs",
    "fhir_timeout": "a number of seconds > 0, e.g. 2.5",
    "fhir_max_bytes": "a whole number of bytes >= 1",
    "fhir_max_entries": "a whole number >= 1",
    "database_url": "an SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/db",
    "state_dir": "a directory path",
    "policy_file": "the path of a .toml or .yaml policy file",
    "now": "an ISO date YYYY-MM-DD",
    "discovery_public": "true or false",
    "trusted_issuers": 'a JSON object {"<iss>": "<https JWKS URL>"}',
    "cors_origins": "comma-separated origins, e.g. https://ehr.example.org",
    "max_body_bytes": "a whole number of bytes >= 1",
    "redis_url": "a redis:// or rediss:// URL",
    "jku_allowlist": 'a JSON object {"<iss>": "<https URL>" or ["<https URL>", ...]}',
    "jwks_cache_seconds": "a whole number of seconds >= 0",
    "max_json_depth": "a whole number >= 1",
    "max_json_entries": "a whole number >= 1",
    "auto_migrate": "true or false",
    "log_json": "true or false",
    "workers": "a whole number >= 0 (0: one per CPU core)",
    "threads": "a whole number >= 0 (0: the default)",
    "proxy": "'nginx' or 'none'",
    "client_timeout": "a number of seconds > 0, e.g. 10",
    "worker_timeout": "a number of seconds above NALTREXONE_CDS_FHIR_TIMEOUT, e.g. 30 (0: no watchdog)",
}
# Smallest accepted value of the numeric settings (fhir_timeout must be above it).
_MINIMUM: dict[str, float] = {
    "fhir_timeout": 0,
    "fhir_max_bytes": 1,
    "fhir_max_entries": 1,
    "max_body_bytes": 1,
    "jwks_cache_seconds": 0,
    "max_json_depth": 1,
    "max_json_entries": 1,
    "workers": 0,
    "threads": 0,
    "worker_timeout": 0,
}
# NALTREXONE_CDS_* variables that are not service settings (read by seed-fhir and by the tests).
OTHER_VARIABLES = frozenset({"SCENARIOS_DIR", "TEST_POSTGRES_URL"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CREDENTIALS = re.compile(r"://[^/@\s]*@")


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def closest(name: str, choices: Iterable[str]) -> str:
    """ "; did you mean X?" for the nearest of ``choices``, else ""."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]}?" if match else ""


def shown(raw: Any) -> str:
    """``raw`` for an error line, credentials in a URL (user:password@) masked."""
    return repr(_CREDENTIALS.sub("://***@", raw) if isinstance(raw, str) else raw)


def _refuse(name: str, raw: Any) -> SettingsError:
    return SettingsError(f"{env_name(name)}={shown(raw)}: expected {FORMS[name]}")


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _number(raw: Any, whole: bool) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
    if whole and not value.is_integer():
        raise ValueError(raw)  # 7.9 is not 7
    return int(value) if whole else value


def _mapping(raw: Any) -> dict[str, Any]:
    value = raw if isinstance(raw, Mapping) else json.loads(str(raw))
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(raw)
    return dict(value)


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    """The typed value of one setting, from an env string or a Python value; None = not set."""
    if raw is None or raw == "":
        return None
    kind = str(kind)
    try:
        if kind == "bool":
            return _bool(raw)
        if kind in ("int", "float"):
            value = _number(raw, whole=kind == "int")
            low = _MINIMUM.get(name)
            if low is not None and (value < low or (name == "fhir_timeout" and value <= low)):
                raise ValueError(raw)
            return value
        if "tuple" in kind:
            items = list(raw) if isinstance(raw, (list, tuple)) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        if "Mapping" in kind:
            return _mapping(raw)
        if "date" in kind:
            if isinstance(raw, date):
                return raw
            text = str(raw).strip()
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(raw)
            return date.fromisoformat(text)
        return raw.strip() if isinstance(raw, str) else str(raw)
    except (ValueError, TypeError, OverflowError):
        raise _refuse(name, raw) from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from env vars, then the explicit overrides (lower-case names) on top.

    Anything not understood - an unknown ``NALTREXONE_CDS_*`` variable or override, a value of the
    wrong form or out of range - raises ``SettingsError`` with one line naming it.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    known = {f.name: f.type for f in fields(Settings)}
    for variable in sorted(env):
        suffix = variable[len(ENV_PREFIX) :]
        if variable.startswith(ENV_PREFIX) and suffix.lower() not in known and suffix not in OTHER_VARIABLES:
            hint = closest(variable, [env_name(n) for n in known])
            raise SettingsError(f"{variable}={shown(env[variable])}: not a setting{hint}")
    for name, kind in known.items():
        raw = env.get(env_name(name))
        if name == "workers" and raw is None:
            raw = env.get("WEB_CONCURRENCY")
        value = _coerce(name, kind, raw)
        if value is not None:
            values[name] = value
    for name, raw in (overrides or {}).items():
        if name not in known:
            raise SettingsError(f"{name}={shown(raw)}: not a setting{closest(name, known)}")
        value = _coerce(name, known[name], raw)
        if value is not None:
            values[name] = value
    settings = Settings(**values)
    if settings.auth not in ("jwt", "none"):
        hint = closest(settings.auth, ("jwt", "none"))
        raise SettingsError(f"{env_name('auth')}={settings.auth!r}: expected {FORMS['auth']}{hint}")
    if settings.proxy not in ("nginx", "none"):
        hint = closest(settings.proxy, ("nginx", "none"))
        raise SettingsError(f"{env_name('proxy')}={settings.proxy!r}: expected {FORMS['proxy']}{hint}")
    if settings.client_timeout <= 0:
        raise SettingsError(f"{env_name('client_timeout')}: expected {FORMS['client_timeout']}")
    return settings
