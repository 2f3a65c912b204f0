"""Typed FHIR failures, mapped from requests/urllib3 errors in one place.

    FhirError              base; ``reason`` is a short phrase safe to show a clinician
     ├── FhirTimeout       the overall deadline passed (connecting, reading, or waiting to retry)
     ├── FhirUnreachable   connection refused, name or TLS failure, connection dropped mid-body
     ├── FhirStatusError   a non-2xx answer; 3xx too, because redirects are never followed
     ├── FhirBadBody       2xx but not a FHIR JSON body, too large, or paging that does not end
     └── FhirTooLarge      the call's read budget (bytes or entries, plugin.record.limits) is spent

None of them is retried: 429/503 are retried inside the client before FhirStatusError is raised.
"""

from __future__ import annotations

import requests
import urllib3.exceptions


class FhirError(Exception):
    """A FHIR query that could not be answered; ``reason`` names why in clinician-safe words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FhirTimeout(FhirError):
    """Raised when the data-gathering deadline passes before the answer is complete."""

    def __init__(self) -> None:
        super().__init__("FHIR server timed out")


class FhirUnreachable(FhirError):
    """Raised when no HTTP answer could be had: refused, unknown host, TLS failure, dropped."""


class FhirStatusError(FhirError):
    """Raised for a non-2xx status; retrying 429/503 has already been tried when raised."""

    def __init__(self, status: int) -> None:
        super().__init__(_status_reason(status))
        self.status = status


class FhirBadBody(FhirError):
    """Raised when a 2xx answer is not usable FHIR JSON (HTML login page, wrong resource, ...)."""


class FhirTooLarge(FhirError):
    """Raised when one call would read more than its budget; the rest of the record is not read."""

    def __init__(self, what: str) -> None:
        super().__init__(f"record larger than this service reads per call ({what}); the rest was cut")


def _status_reason(status: int) -> str:
    if status in (401, 403):
        return f"FHIR server refused the access token (HTTP {status})"
    if status in (429, 503):
        return f"FHIR server busy (HTTP {status})"
    if 300 <= status < 400:
        return f"FHIR server redirected the query (HTTP {status}); redirects are not followed"
    if status >= 500:
        return f"FHIR server error (HTTP {status})"
    return f"FHIR server rejected the query (HTTP {status})"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """True when ``kind`` is anywhere in the chain requests and urllib3 wrap around a socket error."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        linked = [*current.args, current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo.extend(e for e in linked if isinstance(e, BaseException))
    return False


def map_transport_error(exc: requests.RequestException) -> FhirError:
    """The FhirError for a transport failure; the original (with its URL) is dropped."""
    if isinstance(exc, requests.Timeout) or _caused_by(exc, urllib3.exceptions.ReadTimeoutError):
        return FhirTimeout()
    if isinstance(exc, requests.exceptions.SSLError):
        return FhirUnreachable("TLS handshake with the FHIR server failed")
    if _caused_by(exc, ConnectionRefusedError):
        return FhirUnreachable("FHIR server refused the connection")
    if _caused_by(exc, urllib3.exceptions.NameResolutionError):
        return FhirUnreachable("FHIR server host name could not be resolved")
    return FhirUnreachable("could not reach the FHIR server")
