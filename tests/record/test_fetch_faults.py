"""Faults a real FHIR server will not produce on demand, played by a tiny loopback server.

Each must end in FetchFailures - never in silently empty data - within the deadline + 0.5 s.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from plugin.errors import FhirServerNotAllowed
from plugin.http.services import PREFETCH
from plugin.record.fetch import fetch_missing
from tests.record.conftest import hook_request, settings
from tests.support.fhir_server import free_port
from tests.support.loopback import Reply, loopback_server

DEADLINE_S = 1.0
KEYS = tuple(PREFETCH)
EMPTY_BUNDLE = orjson.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []})


def _request(fixture_scenario: dict[str, Any], base_url: str) -> Any:
    body = {k: v for k, v in fixture_scenario["request"].items() if k != "prefetch"}
    body["fhirServer"] = base_url
    body["fhirAuthorization"] = {"access_token": "tok-fault", "token_type": "Bearer"}
    return hook_request(body)


def _fetch(fixture_scenario: dict[str, Any], base_url: str, **overrides: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = fetch_missing(
        _request(fixture_scenario, base_url), KEYS, settings(**{"fhir_timeout": DEADLINE_S, **overrides})
    )
    return result, time.monotonic() - started


FAULTS = {
    "stall": (Reply(stall_s=30), "FHIR server timed out"),
    "500": (Reply(500, b'{"resourceType":"OperationOutcome"}'), "FHIR server error (HTTP 500)"),
    "401": (Reply(401, b"unauthorized", "text/plain"), "FHIR server refused the access token (HTTP 401)"),
    "403": (Reply(403), "FHIR server refused the access token (HTTP 403)"),
    "html": (Reply(200, b"<html><body>Sign in</body></html>", "text/html"), "non-FHIR body"),
    "json-not-fhir": (Reply(200, b'{"ok": true}'), "non-FHIR body"),
    "bad-json": (Reply(200, b'{"resourceType": "Bundle", '), "non-FHIR body"),
    "503-too-long": (Reply(503, headers={"Retry-After": "30"}), "FHIR server busy (HTTP 503)"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_ends_in_failures_within_deadline(fixture_scenario: dict[str, Any], fault: str) -> None:
    reply, reason = FAULTS[fault]
    with loopback_server(reply) as server:
        result, elapsed = _fetch(fixture_scenario, server.base_url)
    print(f"\nfault {fault}: {elapsed * 1000:.0f} ms")
    assert elapsed < DEADLINE_S + 0.5
    assert result.resources == {}
    assert {f.key for f in result.failures} >= set(KEYS)
    assert all(reason in f.reason for f in result.failures if f.key in KEYS)
    assert server.seen.requests and all(auth == "Bearer tok-fault" for _, auth in server.seen.requests)


def test_closed_port_ends_in_failures(fixture_scenario: dict[str, Any]) -> None:
    result, elapsed = _fetch(fixture_scenario, f"http://127.0.0.1:{free_port()}/fhir")
    print(f"\nclosed port: {elapsed * 1000:.0f} ms")
    assert elapsed < DEADLINE_S + 0.5
    assert result.resources == {}
    assert {f.reason for f in result.failures} == {"FHIR server refused the connection"}
    assert {f.key for f in result.failures} >= set(KEYS)


def test_429_then_200_is_retried_within_the_deadline(fixture_scenario: dict[str, Any]) -> None:
    seen_paths: dict[str, int] = {}

    def busy_once(_index: int, path: str) -> Reply:
        seen_paths[path] = seen_paths.get(path, 0) + 1
        if seen_paths[path] == 1:
            return Reply(429, headers={"Retry-After": "0"})
        return Reply(200, EMPTY_BUNDLE)

    with loopback_server(busy_once) as server:
        result, elapsed = _fetch(fixture_scenario, server.base_url)
    assert result.failures == ()
    assert set(result.resources) >= set(KEYS)
    assert len(server.seen.requests) >= 2 * len(KEYS)
    assert elapsed < DEADLINE_S


def test_redirect_is_not_followed(fixture_scenario: dict[str, Any]) -> None:
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as target:
        moved = Reply(302, headers={"Location": f"{target.base_url}/MedicationRequest"})
        with loopback_server(moved) as server:
            result, _ = _fetch(fixture_scenario, server.base_url)
    assert target.seen.connections == 0
    assert all("redirected" in f.reason for f in result.failures)
    assert result.resources == {}


def test_next_link_off_base_is_not_followed(fixture_scenario: dict[str, Any]) -> None:
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as elsewhere:
        page = {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": [{"relation": "next", "url": f"{elsewhere.base_url}/Observation?page=2"}],
            "entry": [],
        }
        with loopback_server(Reply(200, orjson.dumps(page))) as server:
            result, _ = _fetch(fixture_scenario, server.base_url)
    assert elsewhere.seen.connections == 0
    assert all("paging link outside" in f.reason for f in result.failures)


def test_server_not_on_allow_list_gets_no_connection(fixture_scenario: dict[str, Any]) -> None:
    """AUTH=jwt settings: loopback is not allowed, so the listener must never see a connection."""
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as server:
        request = _request(fixture_scenario, server.base_url)
        with pytest.raises(FhirServerNotAllowed):
            fetch_missing(request, KEYS, settings(auth="jwt", fhir_allowlist="https://ehr.example.org/fhir"))
        time.sleep(0.1)
    assert server.seen.connections == 0


def test_endless_paging_is_a_failure_not_a_truncation(fixture_scenario: dict[str, Any]) -> None:
    def forever(index: int, path: str) -> Reply:
        base = path.split("?")[0]
        page = {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": [{"relation": "next", "url": f"http://127.0.0.1:{port}{base}?page={index}"}],
            "entry": [],
        }
        return Reply(200, orjson.dumps(page))

    # 10 searches x 20 pages: ~1 s on an idle machine, more on a loaded one, so a longer deadline here -
    # the point is the page limit, which must be reported whatever the load.
    deadline_s = 10 * DEADLINE_S
    with loopback_server(forever) as server:
        port = server.port
        result, elapsed = _fetch(fixture_scenario, server.base_url, fhir_timeout=deadline_s)
    assert elapsed < deadline_s + 0.5
    assert result.resources == {}
    reasons = {f.reason for f in result.failures}
    assert "FHIR server returned more than 20 pages" in reasons
    assert reasons <= {"FHIR server returned more than 20 pages", "FHIR server timed out"}
