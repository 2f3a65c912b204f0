"""The CDS Hooks sandbox's Node/Express sample service (``cms-price-check``) as a reference column.

Its source is not part of this repository: fetch github.com/cds-hooks/sandbox-cds-services, run
``npm install`` in it, and point ``BENCH_NODE_SERVICE`` at that directory (or put it, ignored by git, at
``bench/node-service``).  Without it, or without ``node``, the column reads "n/a".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import Server, free_port

NODE_PATH = "/cds-services/cms-price-check"
DEFAULT_DIR = Path(__file__).resolve().parent / "node-service"
STARTUP_TIMEOUT_S = 20.0


def node_service_dir() -> Path | None:
    directory = Path(os.environ.get("BENCH_NODE_SERVICE") or DEFAULT_DIR)
    ready = (directory / "server.js").is_file() and (directory / "node_modules").is_dir()
    return directory if ready and shutil.which("node") else None


@contextmanager
def node_service(workdir: Path) -> Iterator[Server | None]:
    """The sample service on a free port (one Node process, as it ships), or None when absent."""
    directory = node_service_dir()
    if directory is None:
        yield None
        return
    port = free_port()
    with open(workdir / "node.log", "wb") as log:
        process = subprocess.Popen(
            ["node", "server.js"],
            cwd=directory,
            env={**os.environ, "PORT": str(port), "NODE_ENV": "production"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/cds-services", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = (workdir / "node.log").read_text()
                    raise RuntimeError(f"node sample did not start: {output}") from None
                time.sleep(0.1)
        yield Server("node", port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
