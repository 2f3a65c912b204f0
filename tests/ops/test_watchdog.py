"""The hung-request watchdog of ``serve``: a request stuck in Python, or in C code holding the GIL,
ends its worker after ``NALTREXONE_CDS_WORKER_TIMEOUT``, and a fresh worker answers the next calls.

The server runs with ``--dev``: one worker with ONE Python thread, so without the watchdog the stuck
request would hold the only thread for ever and no call would be answered again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import requests

from tests.security.attack_support import SCENARIO, SIGN, hook_body
from tests.support.live_server import live_server
from tests.support.loopback import Reply, loopback_server

WORKER_TIMEOUT_S = 3.0  # the slow call below needs ~1 s (FHIR_TIMEOUT): ample room on a loaded machine
HANGING_SERVE = (sys.executable, "-m", "tests.support.hanging_serve")


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "NALTREXONE_CDS_STATE_DIR": str(tmp_path / "state"),
        "NALTREXONE_CDS_NOW": SCENARIO["now"],
        "NALTREXONE_CDS_FHIR_TIMEOUT": "1",
        "NALTREXONE_CDS_WORKER_TIMEOUT": str(WORKER_TIMEOUT_S),
    }


def _answered_again(base: str, within_s: float) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        try:
            answer = requests.post(base + SIGN, json=SCENARIO["request"], timeout=2.0)
            if answer.status_code == 200 and answer.json()["cards"]:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


@pytest.mark.parametrize(
    ("route", "evidence"),
    [
        # the watchdog thread's own error line, with the stuck request's stack
        ("/test/spin", ["a POST request has run", "ending the worker", "in _spin"]),
        # the GIL never comes back: faulthandler's dump of every thread, then the worker's exit
        ("/test/regex", ["Timeout (0:00:0", "in _regex"]),
    ],
    ids=["python-loop", "gil-held-in-c"],
)
def test_a_stuck_request_ends_its_worker_and_a_fresh_one_answers(
    tmp_path: Path, route: str, evidence: list[str]
) -> None:
    log_path = tmp_path / "serve.log"
    with live_server(_env(tmp_path), stderr_path=log_path, command=HANGING_SERVE) as base:
        assert _answered_again(base, within_s=5.0), "the service answers before the hang"
        with loopback_server(Reply(stall_s=10)) as stalled:  # a slow call is not a stuck one
            slow = requests.post(base + SIGN, json=hook_body(stalled.base_url), timeout=10)
        assert slow.status_code == 200 and "UNVERIFIED" in slow.text
        started = time.monotonic()
        stuck = requests.post(base + route, timeout=30)
        elapsed = time.monotonic() - started
        assert stuck.status_code == 502 and stuck.headers["Content-Type"].startswith("application/json")
        assert elapsed >= WORKER_TIMEOUT_S, "ended before the timeout"
        assert elapsed < WORKER_TIMEOUT_S + 8, "the watchdog took far longer than its timeout"
        assert _answered_again(base, within_s=20.0), "no fresh worker took the stuck one's place"
    log = log_path.read_text()
    for text in evidence:
        assert text in log, f"{text!r} not in the server's log"
    assert log.count("Respawning worker-1") == 1, "one worker ended: the stuck one, not the slow one"
