"""Run the real service (``naltrexone-cds serve``: nginx + granian) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

CLI = Path(sys.executable).with_name("naltrexone-cds")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    env: Mapping[str, str],
    dev: bool = True,
    timeout: float = 20.0,
    stderr_path: Path | None = None,
    port: int | None = None,
    command: Sequence[str] = (str(CLI),),
) -> Iterator[str]:
    """Start the server as a subprocess group (on ``port``, else a free one), yield its base URL, stop it.

    With ``stderr_path`` everything the server writes to stderr (its log) is kept in that file;
    ``command`` is what runs ``serve`` (the CLI, or a test launcher around it).
    """
    with live_process(env, dev, timeout, stderr_path, port, command) as (base, _proc):
        yield base


@contextmanager
def live_process(
    env: Mapping[str, str],
    dev: bool = True,
    timeout: float = 20.0,
    stderr_path: Path | None = None,
    port: int | None = None,
    command: Sequence[str] = (str(CLI),),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``live_server``, yielding the ``serve`` process too (to find its workers below it)."""
    port = port or free_port()
    args = [*command, "serve", "--host", "127.0.0.1", "--port", str(port)] + (["--dev"] if dev else [])
    log_file = open(stderr_path, "wb") if stderr_path else None  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        args,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log_file or subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                output = proc.stderr.read() if proc.stderr else Path(str(stderr_path)).read_bytes()
                raise RuntimeError(f"server exited: {output.decode()[-2000:]}")
            try:
                if requests.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stderr:
            proc.stderr.close()
        if log_file:
            log_file.close()
