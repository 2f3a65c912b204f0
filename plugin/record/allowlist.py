"""SSRF guard: the service only ever connects to FHIR servers the site listed.

``fhirServer`` comes from the caller, so without a check anyone able to call a hook could make the
service open connections to internal hosts (and hand them the bearer token).  A URL is allowed
when it falls under one ``FHIR_ALLOWLIST`` entry: same scheme (https unless the entry itself says
http), same host, same port, and a path under the entry's path on a segment boundary - so
``https://ehr.example.org.evil.com`` and ``https://ehr.example.org/fhir-evil`` do not match
``https://ehr.example.org/fhir``.  In ``AUTH=none`` development mode, and only while
``FHIR_ALLOWLIST`` is empty, loopback hosts are allowed: an explicit list is the list, in every mode.
The check runs before any connection is opened.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from plugin.errors import FhirServerNotAllowed

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class BaseUrl:
    """A URL cut into the parts the allow-list compares."""

    scheme: str
    host: str
    port: int
    path: str  # no trailing slash; "" for the root


def parse_base(url: str, *, default_scheme: str | None = None) -> BaseUrl | None:
    """Split ``url``; None when it is not a plain http(s) URL we are willing to compare."""
    text = url.strip()
    if default_scheme and "://" not in text:
        text = f"{default_scheme}://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        return None
    segments = [unquote(s) for s in parts.path.split("/")]
    if any(s in (".", "..") or "/" in s or "\\" in s for s in segments):
        return None  # dot segments or encoded slashes could climb out of the allowed prefix
    return BaseUrl(scheme, host, port or DEFAULT_PORTS[scheme], parts.path.rstrip("/"))


def is_under(url: BaseUrl, prefix: BaseUrl) -> bool:
    """True when ``url`` is ``prefix`` or below it (path prefix on a segment boundary)."""
    if (url.scheme, url.host, url.port) != (prefix.scheme, prefix.host, prefix.port):
        return False
    return url.path == prefix.path or url.path.startswith(prefix.path + "/")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_allowed(url: str, allowlist: Iterable[str], *, dev_mode: bool) -> bool:
    """True when the service may connect to ``url``; never touches the network."""
    parsed = parse_base(url)
    if parsed is None:
        return False
    entries = [entry for entry in allowlist if entry.strip()]
    if dev_mode and not entries and is_loopback(parsed.host):
        return True
    for entry in entries:
        prefix = parse_base(entry, default_scheme="https")
        if prefix is not None and is_under(parsed, prefix):
            return True
    return False


def require_allowed(fhir_server: str, allowlist: Iterable[str], *, dev_mode: bool) -> None:
    """Raise FhirServerNotAllowed (HTTP 403) unless ``fhir_server`` is an allowed FHIR base."""
    try:
        parts = urlsplit(fhir_server.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise FhirServerNotAllowed("fhirServer is not a valid URL") from None
    if parts.query or parts.fragment:
        raise FhirServerNotAllowed("fhirServer must be a FHIR base URL without query or fragment")
    if not is_allowed(fhir_server, allowlist, dev_mode=dev_mode):
        raise FhirServerNotAllowed(
            "fhirServer is not on this service's FHIR allow-list (NALTREXONE_CDS_FHIR_ALLOWLIST)"
        )
