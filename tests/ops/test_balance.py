"""``serve`` with 2 workers behind nginx: calls over persistent connections reach both workers, and a
killed worker comes back on its own socket while calls keep being answered.

Which worker served is read from outside, without touching the responses: the CPU time of each
granian worker process (``/proc/<pid>/stat``); an idle worker uses next to none.  The worker pids
come from granian's own "Spawning worker-N with PID: P" log lines.
"""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.servers import process_cpu_seconds
from tests.security.attack_support import SCENARIO, SIGN
from tests.support.live_server import live_process
from tests.support.waiting import wait_until

CONNECTIONS = 8
CALLS_PER_CONNECTION = 30
MIN_SHARE = 0.2  # of the workers' CPU over a burst; least_conn gives each about half
SPAWNED = re.compile(r"Spawning worker-(\d+) with PID: (\d+)")
LISTENING = re.compile(r"Listening at: http://unix:(\S+)/worker-\{1\.\.2\}\.sock")


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "NALTREXONE_CDS_STATE_DIR": str(tmp_path / "state"),
        "NALTREXONE_CDS_NOW": SCENARIO["now"],
        "NALTREXONE_CDS_AUTH": "none",
        "NALTREXONE_CDS_WORKERS": "2",
        "NALTREXONE_CDS_THREADS": "2",
    }


def _workers(log: Path) -> dict[int, int]:
    """Worker number -> pid of its latest process, from granian's log."""
    return {int(n): int(pid) for n, pid in SPAWNED.findall(log.read_text())}


def _connection(base: str) -> list[int]:
    """Statuses of calls made one after another over ONE persistent connection."""
    with requests.Session() as session:
        return [
            session.post(base + SIGN, json=SCENARIO["request"], timeout=30).status_code
            for _ in range(CALLS_PER_CONNECTION)
        ]


def _burst(base: str, pids: list[int]) -> tuple[list[int], list[float]]:
    """Concurrent calls over ``CONNECTIONS`` persistent connections: their statuses, and each pid's
    share of the CPU the workers spent meanwhile."""
    before = [process_cpu_seconds(pid) for pid in pids]
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        statuses = [s for conn in pool.map(_connection, [base] * CONNECTIONS) for s in conn]
    spent = [process_cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
    total = sum(spent) or 1.0
    return statuses, [s / total for s in spent]


def test_calls_over_persistent_connections_reach_both_workers(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with live_process(_env(tmp_path), dev=False, stderr_path=log, timeout=60) as (base, _server):
        workers = _workers(log)
        assert sorted(workers) == [1, 2]
        private = LISTENING.findall(log.read_text())
        assert len(private) == 1  # granian's "Listening at" line names the sockets' directory
        assert sorted(p.name for p in Path(private[0]).iterdir() if p.is_socket()) == [
            "worker-1.sock",
            "worker-2.sock",
        ]
        statuses, shares = _burst(base, [workers[1], workers[2]])
        assert statuses == [200] * CONNECTIONS * CALLS_PER_CONNECTION
        assert min(shares) >= MIN_SHARE, f"one worker did nearly all the work: {shares}"


def test_a_killed_worker_is_respawned_on_its_own_socket_and_calls_keep_being_answered(
    tmp_path: Path,
) -> None:
    log = tmp_path / "serve.log"
    with live_process(_env(tmp_path), dev=False, stderr_path=log, timeout=60) as (base, _server):
        first = _workers(log)
        os.kill(first[2], signal.SIGKILL)
        # Sent at once: those nginx gives worker 2 wait in worker-2.sock until the new worker takes them.
        statuses, _ = _burst(base, [first[1]])
        assert statuses == [200] * CONNECTIONS * CALLS_PER_CONNECTION
        assert wait_until(lambda: _workers(log)[2] != first[2], within_s=30)
        assert "Respawning worker-2" in log.read_text()
        now = _workers(log)
        assert now[1] == first[1]
        # Only worker-2.sock has no other worker: calls there are answered only if the new worker
        # listens on it, and then both workers share the work again.
        statuses, shares = _burst(base, [now[1], now[2]])
        assert statuses == [200] * CONNECTIONS * CALLS_PER_CONNECTION
        assert min(shares) >= MIN_SHARE, f"the respawned worker is not served: {shares}"
