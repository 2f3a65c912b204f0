"""HTTP to the EHR's FHIR server: pooled sessions, bearer token, one deadline, paging.

Only 429 and 503 are retried, and only when the server's ``Retry-After`` still fits the deadline:
any other failure is final (see fhir_errors), so one hook call never costs more than
``FHIR_TIMEOUT`` - the deadline also cuts the connection of a read still blocked when it passes
(plugin.record.limits), and the call's read budget caps bytes and entries.  Requests' error
messages embed URLs with patient ids, so they are never logged - only the query label, page, status
code and duration are.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import logging
import threading
import time
from collections import OrderedDict
from functools import partial
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter

from plugin.ops.metrics import observe_fhir_query
from plugin.record.allowlist import BaseUrl, is_under, parse_base
from plugin.record.fhir_errors import (
    FhirBadBody,
    FhirError,
    FhirStatusError,
    FhirTimeout,
    map_transport_error,
)
from plugin.record.limits import WATCHED_POOLS, Deadline, ReadBudget, running_under
from plugin.record.origins import most_recent
from plugin.record.prefetch import entry_resources

__all__ = ["Deadline", "FhirClient", "ReadBudget", "session_for"]

log = logging.getLogger("naltrexone_cds.fhir")
# urllib3 logs every request line - patient ids included - at DEBUG; never let that reach a log file.
logging.getLogger("urllib3").setLevel(logging.WARNING)

DEFAULT_PAGE_SIZE = 100  # _count asked for; servers may send fewer per page
MAX_PAGES = 20  # beyond this a search is reported as failed rather than silently truncated
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_RETRIES = 2  # on 429/503 only
DEFAULT_RETRY_WAIT_S = 0.1  # when 429/503 comes without Retry-After
MIN_ATTEMPT_S = 0.05  # a retry is pointless with less time than this left after waiting
POOL_SIZE = 16  # connections kept per FHIR base; one hook call runs ~10 queries at once
READ_CHUNK_BYTES = 16 * 1024
FHIR_MEDIA_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
UNLIMITED = ReadBudget(max_bytes=2**62, max_entries=2**62)


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections are cut by the deadline of the query using them."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS


class _BearerAuth(requests.auth.AuthBase):
    """Sets the token per request; as an auth object it also stops requests reading ~/.netrc."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token:
            r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


_sessions: OrderedDict[tuple[str, str, int], requests.Session] = OrderedDict()
_sessions_lock = threading.Lock()


def session_for(base: BaseUrl) -> requests.Session:
    """The pooled Session of one FHIR origin, created once and shared by all threads.

    No token or cookie is kept on it: tokens are per call, and a cookie set for one patient's
    query must never ride along on another's.  Like the query threads (``plugin.record.origins``),
    at most ``MAX_ORIGINS`` are kept, least recently used first: the oldest is closed, which ends its
    idle pooled connections (one still in use finishes its query and is then closed).
    """
    key = (base.scheme, base.host, base.port)
    with _sessions_lock:
        return most_recent(_sessions, key, partial(_new_session, base.scheme), requests.Session.close)


def _new_session(scheme: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount(f"{scheme}://", adapter)
    session.headers.update({"Accept": FHIR_MEDIA_TYPES[0], "User-Agent": "naltrexone-cds"})
    return session


def _retry_wait(header: str | None) -> float:
    """Seconds asked for by Retry-After (delta-seconds or HTTP-date); a short default without it."""
    if not header:
        return DEFAULT_RETRY_WAIT_S
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_WAIT_S
    return max(0.0, when.timestamp() - time.time())


class FhirClient:
    """Searches one FHIR base with one token under one deadline; safe to share across threads."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        deadline: Deadline,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        budget: ReadBudget = UNLIMITED,
    ) -> None:
        base = parse_base(base_url)
        if base is None:
            raise ValueError("not an http(s) FHIR base URL")
        self.base_url = base_url.rstrip("/")
        self._base = base
        self._auth = _BearerAuth(token)
        self._deadline = deadline
        self._page_size = page_size
        self._budget = budget
        self._session = session_for(base)

    def search(
        self, resource_type: str, params: list[tuple[str, str]], *, label: str
    ) -> list[dict[str, Any]]:
        """Every resource of a type-level search, following ``next`` links up to MAX_PAGES."""
        with running_under(self._deadline):  # this thread's connections are cut at the deadline
            return self._search(resource_type, params, label=label)

    def _search(
        self, resource_type: str, params: list[tuple[str, str]], *, label: str
    ) -> list[dict[str, Any]]:
        if not any(name == "_count" for name, _ in params):
            params = [*params, ("_count", str(self._page_size))]
        url: str = f"{self.base_url}/{resource_type}"
        query: list[tuple[str, str]] | None = params
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            bundle = self._get(url, query, label=label, page=page)
            if bundle.get("resourceType") != "Bundle":
                raise FhirBadBody("FHIR server answered a search without a Bundle")
            entries = _entries(bundle)
            self._budget.take_entries(len(entries))
            found.extend(entries)
            next_url = _next_link(bundle)
            if next_url is None:
                return found
            target = parse_base(next_url.partition("?")[0])
            if target is None or not is_under(target, self._base):
                # the token belongs to this base only; never carry it elsewhere
                raise FhirBadBody("FHIR server sent a paging link outside its own base URL")
            url, query = next_url, None
        raise FhirBadBody(f"FHIR server returned more than {MAX_PAGES} pages")

    def _get(
        self, url: str, params: list[tuple[str, str]] | None, *, label: str, page: int
    ) -> dict[str, Any]:
        attempt = 0
        while True:
            remaining = self._deadline.remaining()
            if remaining <= 0:
                raise FhirTimeout()
            started = time.monotonic()
            try:
                response = self._session.get(
                    url,
                    params=params,
                    auth=self._auth,
                    timeout=(remaining, remaining),
                    allow_redirects=False,
                    stream=True,
                )
            except (requests.RequestException, OSError) as exc:
                error = self._transport_error(exc)
                _log(label, page, None, started, type(error).__name__)
                raise error from None
            with response:
                status = response.status_code
                if status in (429, 503) and attempt < MAX_RETRIES:
                    wait = _retry_wait(response.headers.get("Retry-After"))
                    if wait + MIN_ATTEMPT_S < self._deadline.remaining():
                        _log(label, page, status, started, f"retry in {wait:.2f}s")
                        time.sleep(wait)
                        attempt += 1
                        continue
                try:
                    body = self._read(response) if 200 <= status < 300 else b""
                except FhirError as exc:
                    _log(label, page, status, started, type(exc).__name__)
                    raise
            _log(label, page, status, started, None)
            if not 200 <= status < 300:
                raise FhirStatusError(status)
            return _parse(body, response.headers.get("Content-Type", ""))

    def _read(self, response: requests.Response) -> bytearray:
        """The body, read in chunks so that neither the deadline nor the size caps can be outrun.

        A read blocked on a trickling server is ended by the deadline's watchdog cutting the socket;
        what it returned then is not a body, even when the cut looks like its end (no Content-Length).
        """
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=READ_CHUNK_BYTES):
                if self._deadline.expired:
                    raise FhirTimeout()
                if len(body) + len(chunk) > MAX_BODY_BYTES:
                    raise FhirBadBody("FHIR server answered with a body too large to read")
                self._budget.take_bytes(len(chunk))
                body += chunk
        except (requests.RequestException, OSError) as exc:
            raise self._transport_error(exc) from None
        if self._deadline.expired:
            raise FhirTimeout()
        return body

    def _transport_error(self, exc: BaseException) -> FhirError:
        if self._deadline.expired:  # the watchdog cut the connection: that is a timeout
            return FhirTimeout()
        if isinstance(exc, requests.RequestException):
            return map_transport_error(exc)
        return (
            FhirTimeout()
            if isinstance(exc, TimeoutError)
            else map_transport_error(requests.ConnectionError(exc))
        )


def _parse(body: bytes | bytearray, content_type: str) -> dict[str, Any]:
    media = content_type.split(";")[0].strip().lower()
    if media and media not in FHIR_MEDIA_TYPES:
        raise FhirBadBody("FHIR server answered with a non-FHIR body")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FhirBadBody("FHIR server answered with a non-FHIR body") from None
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise FhirBadBody("FHIR server answered with a non-FHIR body")
    return value


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Resources of a searchset page; OperationOutcome entries (search warnings) are dropped."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirBadBody("FHIR server answered with a malformed Bundle")
    return entry_resources(entries)


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _log(label: str, page: int, status: int | None, started: float, note: str | None) -> None:
    ms = (time.monotonic() - started) * 1000
    observe_fhir_query(label, status if status is not None else (note or "error"), ms / 1000)
    log.info(
        "fhir query key=%s page=%d status=%s ms=%.0f%s",
        label,
        page,
        status if status is not None else "-",
        ms,
        f" ({note})" if note else "",
    )
