"""``serve`` stopped while its workers are still building their app stops at once, not after the kill
timeout: a forked worker inherited the master's signal handler, which swallowed the stop.

Seen as "Killing worker-1 after it refused to gracefully stop" ~20 s after a SIGTERM that came while
the second worker was still starting (the metrics test stops ``serve`` as soon as one worker answers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from plugin.ops.server import GRACEFUL_TIMEOUT_S
from tests.security.attack_support import SCENARIO
from tests.support.live_server import free_port
from tests.support.waiting import wait_until

SLOW_START_S = 30.0  # longer than the kill timeout: a swallowed stop cannot end by itself in time
WORKERS = 2


def test_a_stop_while_workers_start_ends_them_at_once(tmp_path: Path) -> None:
    markers = tmp_path / "starting"
    markers.mkdir()
    env = {
        **os.environ,
        "NALTREXONE_CDS_AUTH": "none",
        "NALTREXONE_CDS_STATE_DIR": str(tmp_path / "state"),
        "NALTREXONE_CDS_NOW": SCENARIO["now"],
        "NALTREXONE_CDS_WORKERS": str(WORKERS),
        "SLOW_START_MARKERS": str(markers),
        "SLOW_START_S": str(SLOW_START_S),
    }
    command = [sys.executable, "-m", "tests.support.slow_start_serve", "serve", "--port", str(free_port())]
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        starting = wait_until(lambda: len(list(markers.iterdir())) == WORKERS, within_s=30)
        assert starting, log_path.read_text()[-2000:]
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=GRACEFUL_TIMEOUT_S + 15)
        elapsed = time.monotonic() - started
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log_text = log_path.read_text()
    assert "Killing" not in log_text, log_text[-2000:]
    assert elapsed < GRACEFUL_TIMEOUT_S / 2, f"serve took {elapsed:.1f} s to stop"
    for marker in markers.iterdir():  # every worker that was starting is gone
        assert not _alive(int(marker.name)), f"worker {marker.name} outlived serve"


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped (a container's init may never reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
