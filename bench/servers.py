"""Start the service and the ceiling as real ``serve`` processes on loopback; find workers; read RSS."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def descendants(self) -> list[int]:
        return descendants(self.process.pid)

    def workers(self) -> list[int]:
        """Pids of the Python workers: the processes below ours, other than nginx, with none below them.

        ``serve`` -> granian's master -> workers and nginx (the ceiling lacks the first level).
        """
        return [p for p in self.descendants() if b"nginx" not in _cmdline(p) and not children(p)]

    def cpu_seconds(self) -> float:
        """CPU time so far of every process of the server (user + system)."""
        return sum(process_cpu_seconds(pid) for pid in [self.process.pid, *self.descendants()])

    def worker_rss_mb(self) -> dict[str, float]:
        """Largest current (VmRSS) and peak (VmHWM) resident set over the workers, in MB."""
        rss = hwm = 0.0
        for pid in self.workers():
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if ":" in line
            )
            rss = max(rss, int(fields["VmRSS"].split()[0]) / 1024)
            hwm = max(hwm, int(fields["VmHWM"].split()[0]) / 1024)
        return {"rss_mb": round(rss, 1), "peak_rss_mb": round(hwm, 1)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (nginx is started by a thread of granian's master)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: children, their children, and so on."""
    found, todo = [], [pid]
    while todo:
        below = children(todo.pop())
        found += below
        todo += below
    return found


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(server: Server, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=1) as r:
                if r.status == 200 and len(server.workers()) >= 1:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not become healthy within {STARTUP_TIMEOUT_S:.0f}s")


@contextmanager
def running(
    name: str, command: list[str], env: Mapping[str, str], workdir: Path, workers: int
) -> Iterator[Server]:
    """Run ``command --port N`` until the block ends; SIGTERM (graceful) then wait."""
    port = free_port()
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, port, process)
    try:
        _wait_healthy(server, log)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def service_command() -> list[str]:
    return [str(Path(sys.executable).parent / "naltrexone-cds"), "serve", "--host", "127.0.0.1"]


def ceiling_command() -> list[str]:
    return [sys.executable, "-m", "bench.ceiling"]


def edge_command() -> list[str]:
    return [sys.executable, "-m", "bench.edge"]
