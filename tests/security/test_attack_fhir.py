"""Attack regression, FHIR servers that fight back: trickling answers and records of huge pages.

An allow-listed server may answer 200 and then send one byte at a time.  Each call must still end at
its deadline with "could not verify", its connections must be closed then (the server sees them
go), and calls against another, healthy server must keep getting the real card.  A server sending
pages of many thousands of entries must not get more than the call's read budget into memory; the
could-not-verify card names the cut.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from plugin import create_app
from tests.security.attack_support import NOW, healthy_record, hook_body, post_hook, rules_of
from tests.support.loopback import Loopback, Reply, loopback_server

DEADLINE_S = 0.5
SHORT_DEADLINE_S = 0.2
TRICKLE_S = 0.05
BAD_CALLS = 16


def _client(tmp_path: Path, *servers: Loopback, **settings: Any) -> FlaskClient:
    app = create_app(
        {
            "auth": "none",
            "now": NOW,
            "state_dir": str(tmp_path / "state"),
            "fhir_allowlist": ",".join(s.base_url for s in servers),
            **settings,
        }
    )
    return app.test_client()


def _all_cut(server: Loopback, within_s: float) -> bool:
    end = time.monotonic() + within_s
    while server.seen.trickling and time.monotonic() < end:
        time.sleep(0.02)
    return server.seen.trickling == 0


TRICKLES = {
    "body, no Content-Length": Reply(trickle_s=TRICKLE_S, body=b'{"resourceType": "Bundle", "entry": ['),
    "body, huge Content-Length": Reply(trickle_s=TRICKLE_S, headers={"Content-Length": str(10**9)}),
    "status line and headers": Reply(trickle_s=TRICKLE_S, trickle_head=True),
}


@pytest.mark.parametrize("name", list(TRICKLES))
def test_trickling_server_is_cut_at_the_deadline(tmp_path: Path, name: str) -> None:
    with loopback_server(TRICKLES[name]) as trickler:
        client = _client(tmp_path, trickler, fhir_timeout=DEADLINE_S)
        started = time.monotonic()
        response = post_hook(client, hook_body(trickler.base_url))
        elapsed = time.monotonic() - started
        assert trickler.seen.requests, "the server was asked"
        assert _all_cut(trickler, within_s=1.5), f"{trickler.seen.trickling} connections still held open"
    assert ("UNVERIFIED", "warning") in rules_of(response)
    assert "timed out" in str(response.get_json())
    assert elapsed < DEADLINE_S + 1.0  # generous for a loaded machine


def test_a_trickling_server_does_not_starve_a_healthy_one(tmp_path: Path) -> None:
    """16 calls one after another against the trickler, then more at once while a healthy call runs."""
    trickle = Reply(trickle_s=TRICKLE_S, headers={"Content-Length": str(10**9)})
    with loopback_server(trickle) as trickler, loopback_server(healthy_record()) as healthy:
        bad = _client(tmp_path / "bad", trickler, fhir_timeout=SHORT_DEADLINE_S)
        good = _client(tmp_path / "good", healthy, fhir_timeout=2.0)
        answers = [post_hook(bad, hook_body(trickler.base_url)) for _ in range(BAD_CALLS)]
        after_sequence = post_hook(good, hook_body(healthy.base_url))

        def bad_call() -> None:
            answers.append(post_hook(bad, hook_body(trickler.base_url)))

        threads = [threading.Thread(target=bad_call) for _ in range(BAD_CALLS // 2)]
        for thread in threads:
            thread.start()
        during = post_hook(good, hook_body(healthy.base_url))
        for thread in threads:
            thread.join(timeout=10)
        all_cut = _all_cut(trickler, within_s=1.5)
        held = trickler.seen.trickling
    assert rules_of(after_sequence) == [("R1", "critical")], "the healthy server was starved"
    assert rules_of(during) == [("R1", "critical")], "the healthy server was starved"
    assert all_cut, f"{held} connections still held open"
    assert len(answers) == BAD_CALLS + BAD_CALLS // 2
    assert all(("UNVERIFIED", "warning") in rules_of(a) for a in answers)


def _huge_pages(entries_per_page: int) -> Any:
    """A server whose every search answers pages of ``entries_per_page`` entries, with a next page."""
    pages: dict[str, bytes] = {}

    def respond(_index: int, path: str) -> Reply:
        resource_type = path.split("?")[0].rstrip("/").rpartition("/")[2]
        if resource_type not in pages:
            entry = {"resource": {"resourceType": resource_type, "id": "x", "status": "unknown"}}
            pages[resource_type] = orjson.dumps(
                {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "link": [{"relation": "next", "url": f"{server_base[0]}/{resource_type}?page=next"}],
                    "entry": [entry] * entries_per_page,
                }
            )
        return Reply(200, pages[resource_type])

    server_base: list[str] = []
    return respond, server_base


@pytest.mark.parametrize(
    ("limits", "cut"),
    [({"fhir_max_entries": 5_000}, "more than 5,000 FHIR entries"), ({"fhir_max_bytes": 400_000}, "bytes")],
)
def test_huge_pages_are_cut_at_the_read_budget(tmp_path: Path, limits: dict[str, int], cut: str) -> None:
    respond, base = _huge_pages(2_000)
    with loopback_server(respond) as huge:
        base.append(huge.base_url)
        response = post_hook(_client(tmp_path, huge, fhir_timeout=5.0, **limits), hook_body(huge.base_url))
    cards = response.get_json()["cards"]
    (unverified,) = [c for c in cards if c["source"]["topic"]["code"] == "UNVERIFIED"]
    text = unverified["summary"] + unverified.get("detail", "")
    assert "record larger than this service reads per call" in text and cut in text
    assert len(huge.seen.requests) < 40  # stopped early, not 10 searches x 20 pages
