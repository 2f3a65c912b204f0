"""EHR key sets (JWKS): loaded from ``https://`` or ``file:///`` URLs, cached per URL with a TTL.

Why a cache with a refresh budget: every hook call carries a JWT, and fetching the issuer's key set each
time would add a network round-trip to a 500 ms budget.  A token whose ``kid`` is not in the cached set
may mean the EHR rotated its key, so it earns one refresh - but the ``kid`` is read before the signature
is checked, so anyone can send random ones: refreshes of a URL are rate-limited to one per
``min_refresh_s``.  When a refresh fails the last good set stays in use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import orjson
import requests

JWKS_TIMEOUT_S = (3.0, 5.0)  # (connect, read): an unreachable EHR must not hold a worker for long
JWKS_MAX_BYTES = 1024 * 1024
MIN_REFRESH_S = 60.0


class JwksError(Exception):
    """Raised when a key set cannot be loaded or is not a JWK Set; the message is safe to log."""


def check_jwks_url(url: str) -> None:
    """Refuse anything but ``https://`` and local ``file:///`` URLs (plain http lets a MITM swap keys)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "file" and parts.path and parts.netloc in ("", "localhost"):
        return
    raise JwksError(f"JWKS URL must be https:// or file:///, not {url!r}")


def _parse(raw: bytes, url: str) -> dict[str, dict[str, Any]]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise JwksError(f"key set at {url} is not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise JwksError(f"key set at {url} has no 'keys' array")
    by_kid: dict[str, dict[str, Any]] = {}
    for key in keys:
        if isinstance(key, dict) and isinstance(key.get("kid"), str) and key.get("use", "sig") == "sig":
            by_kid[key["kid"]] = key
    return by_kid


def fetch_jwks(url: str) -> dict[str, dict[str, Any]]:
    """The signing keys at ``url`` by ``kid``; raises JwksError on any failure."""
    check_jwks_url(url)
    parts = urlsplit(url)
    if parts.scheme == "file":
        try:
            with open(url2pathname(parts.path), "rb") as fh:
                raw = fh.read(JWKS_MAX_BYTES + 1)
        except OSError as exc:
            raise JwksError(f"cannot read key set {url}: {exc.strerror}") from None
    else:
        try:
            with requests.get(url, timeout=JWKS_TIMEOUT_S, stream=True, allow_redirects=False) as response:
                if response.status_code != 200:
                    raise JwksError(f"key set {url} answered HTTP {response.status_code}")
                raw = response.raw.read(JWKS_MAX_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise JwksError(f"cannot fetch key set {url}: {type(exc).__name__}") from None
    if len(raw) > JWKS_MAX_BYTES:
        raise JwksError(f"key set at {url} is larger than {JWKS_MAX_BYTES} bytes")
    return _parse(raw, url)


@dataclass
class _Entry:
    keys: Mapping[str, dict[str, Any]]
    fetched_at: float | None  # last successful load; None = never loaded
    attempted_at: float  # last load attempt, successful or not
    error: str = ""


class JwksCache:
    """Thread-safe per-URL cache; ``clock`` and ``fetch`` are injectable so tests can step over the TTL."""

    def __init__(
        self,
        ttl_s: float,
        min_refresh_s: float = MIN_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
        fetch: Callable[[str], dict[str, dict[str, Any]]] = fetch_jwks,
    ) -> None:
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def key(self, url: str, kid: str) -> dict[str, Any] | None:
        """The JWK ``kid`` of the set at ``url``; None when the set, even refreshed, lacks it.

        Raises JwksError when the set has never loaded.  One lock per URL: a slow EHR delays only
        callers presenting that EHR's tokens.
        """
        with self._guard:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            now = self._clock()
            entry = self._entries.get(url)
            if entry is None:
                entry = self._load(url, None, now)
            else:
                stale = entry.fetched_at is None or now - entry.fetched_at >= self._ttl_s
                gate = min(self._ttl_s, self._min_refresh_s) if stale else self._min_refresh_s
                if (stale or kid not in entry.keys) and now - entry.attempted_at >= gate:
                    entry = self._load(url, entry, now)
            if entry.fetched_at is None:
                raise JwksError(entry.error)
            return entry.keys.get(kid)

    def _load(self, url: str, entry: _Entry | None, now: float) -> _Entry:
        """Fetch once; on failure keep the last good set, and remember the attempt (rate limit)."""
        try:
            fresh = _Entry(self._fetch(url), now, now)
        except JwksError as exc:
            fresh = entry or _Entry({}, None, now)
            fresh.attempted_at = now
            fresh.error = str(exc)
        self._entries[url] = fresh
        return fresh
