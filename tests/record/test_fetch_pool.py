"""The query threads are shared by all hook calls of a process: reused, bounded, and not held hostage.

Stalled queries abandoned at one call's deadline keep their threads until their own timeouts; the
next call must still get threads at once and answer within its own deadline.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson

from plugin.http.services import PREFETCH
from plugin.record import fetch, origins
from plugin.record.allowlist import parse_base
from plugin.record.fhir_client import session_for
from tests.record.conftest import hook_request, settings
from tests.support.loopback import Reply, loopback_server

KEYS = tuple(PREFETCH)
EMPTY_BUNDLE = orjson.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []})


def _fetch(fixture_scenario: dict[str, Any], base_url: str, deadline_s: float) -> tuple[Any, float]:
    body = {k: v for k, v in fixture_scenario["request"].items() if k != "prefetch"}
    body["fhirServer"] = base_url
    body["fhirAuthorization"] = {"access_token": "tok-pool", "token_type": "Bearer"}
    started = time.monotonic()
    result = fetch.fetch_missing(hook_request(body), KEYS, settings(fhir_timeout=deadline_s))
    return result, time.monotonic() - started


def _query_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("fhir-fetch"))


def test_threads_are_reused_and_stalls_do_not_starve_the_next_call(fixture_scenario: dict[str, Any]) -> None:
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as healthy:
        origin = origins.origin_of(healthy.base_url)
        pool = origins.executor_for(origin)
        for _ in range(5):
            result, _ = _fetch(fixture_scenario, healthy.base_url, 2.0)
            assert not result.failures
        assert origins.executor_for(origin) is pool
        with loopback_server(Reply(stall_s=3)) as stalled:
            result, elapsed = _fetch(fixture_scenario, stalled.base_url, 0.3)
            assert {f.key for f in result.failures} >= set(KEYS) and elapsed < 0.8
            result, elapsed = _fetch(fixture_scenario, healthy.base_url, 2.0)
        assert not result.failures and elapsed < 1.0
    assert _query_threads() <= origins.ORIGIN_THREADS * origins.MAX_ORIGINS


def test_sessions_are_kept_for_the_most_recent_origins_and_the_oldest_is_closed() -> None:
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as server:
        base = parse_base(server.base_url)
        assert base is not None
        first = session_for(base)
        assert first.get(f"{server.base_url}/Patient").status_code == 200
        assert session_for(base) is first and server.seen.connections == 1  # pooled, kept alive
        # as many other origins as are kept (never connected to): the first is now the oldest
        for port in range(1, origins.MAX_ORIGINS + 1):
            other = parse_base(f"http://127.0.0.1:{port}/fhir")
            assert other is not None
            session_for(other)
        again = session_for(base)
        assert again is not first  # retired: a fresh session for this origin
        assert again.get(f"{server.base_url}/Patient").status_code == 200
        assert server.seen.connections == 2  # the retired session's connection was not reused
        # a query still holding the retired session (a page fetch, say) goes on with a new connection
        assert first.get(f"{server.base_url}/Patient").status_code == 200
        assert server.seen.connections == 3
