"""A real ``redis-server`` on a free loopback port (Debian's package, installed by ``make test``).

Never skips: a missing binary is an error naming the fix.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.live_server import free_port

MISSING = "redis-server is not installed: run scripts/install-system-deps.sh"
START_TIMEOUT_S = 10.0


@dataclass
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start listening")


@contextmanager
def redis_server(port: int | None = None) -> Iterator[RedisServer]:
    """Run redis-server (no persistence) until the block ends; ``port`` to restart on the same one."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(MISSING)
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="naltrexone-redis-") as workdir:
        cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(
            [*cmd, "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_listening(port, process)
            yield RedisServer(f"redis://127.0.0.1:{port}/0", port, process)
        finally:
            process.terminate()
            process.wait(timeout=10)
