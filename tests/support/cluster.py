"""Several real service instances behind Debian's nginx, sharing one PostgreSQL and one Redis.

Every part is a real process on loopback, started and stopped here: ``naltrexone-cds serve`` per
instance (its own process group, so ``kill -9`` takes its workers too), and ``/usr/sbin/nginx`` run
non-daemon from a temp prefix with deploy/nginx/nginx.conf - the deployed file, its upstream servers,
paths and port rewritten for loopback - so the proxy settings under test are the ones that ship.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from tests.paths import REPO_ROOT
from tests.support.live_server import free_port

CLI = Path(sys.executable).with_name("naltrexone-cds")
NGINX = Path("/usr/sbin/nginx")
NGINX_CONF = REPO_ROOT / "deploy" / "nginx" / "nginx.conf"
PROXY_CONF = REPO_ROOT / "deploy" / "nginx" / "cds-proxy.conf"
START_TIMEOUT_S = 30.0
_UPSTREAM_SERVER = re.compile(r"^\s*server service-\d+:8080(?P<params>[^;]*);\n", re.M)


def _cli_command(*args: str) -> list[str]:
    if CLI.exists():
        return [str(CLI), *args]
    return [sys.executable, "-c", "from plugin.ops.cli import main; main()", *args]


def service_env(**settings: str) -> dict[str, str]:
    """The test process's environment without any NALTREXONE_CDS_* of ours, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NALTREXONE_CDS_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({f"NALTREXONE_CDS_{name.upper()}": value for name, value in settings.items()})
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def migrate(env: Mapping[str, str]) -> None:
    """The one-shot migration job: ``naltrexone-cds db upgrade``."""
    done = subprocess.run(
        _cli_command("db", "upgrade"), env=dict(env), capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"db upgrade failed: {done.stdout}{done.stderr}")


class Instance:
    """One ``naltrexone-cds serve`` on a fixed loopback port (kept across restarts)."""

    def __init__(self, name: str, env: Mapping[str, str], workdir: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                _cli_command("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = START_TIMEOUT_S, probe: str = "/readyz") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + probe, timeout=2).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or its worker still booting
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def send(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Send ``sig`` to the whole process group and wait for the master; its exit code."""
        if self.process is None:
            return None
        self.send(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            code = self.process.wait(timeout=10)
        if sig == signal.SIGKILL:  # the workers are in the group too; let them go before a restart
            _wait_port_free(self.port)
        return code


def _wait_port_free(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
        except requests.ConnectionError:
            return
        except requests.RequestException:
            pass
        time.sleep(0.05)


def fail_timeout_s() -> float:
    """nginx's fail_timeout in deploy/nginx/nginx.conf: how long it avoids an instance after a failure."""
    found = re.search(r"fail_timeout=(\d+)s", NGINX_CONF.read_text())
    if found is None:
        raise RuntimeError("no fail_timeout=Ns in deploy/nginx/nginx.conf")
    return float(found[1])


def nginx_config(prefix: Path, port: int, upstream_ports: list[int], extra: str = "") -> str:
    """deploy/nginx/nginx.conf for loopback: our ports, our prefix, our copy of cds-proxy.conf."""
    text = NGINX_CONF.read_text()
    servers = list(_UPSTREAM_SERVER.finditer(text))
    if not servers:
        raise RuntimeError("no 'server service-N:8080 ...;' lines in deploy/nginx/nginx.conf")
    params = servers[0]["params"]
    local = "".join(f"        server 127.0.0.1:{p}{params};\n" for p in upstream_ports)
    text = text[: servers[0].start()] + local + text[servers[-1].end() :]
    replacements = {
        " /tmp/": f" {prefix}/tmp/",  # first: the paths below live under a temp directory too
        "access_log /dev/stdout cds;": f"access_log {prefix}/access.log cds;",
        "error_log /dev/stderr warn;": f"error_log {prefix}/error.log warn;",
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "include /etc/nginx/cds-proxy.conf;": f"include {PROXY_CONF};\n{extra}",
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"deploy/nginx/nginx.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return "daemon off;\n" + text


class Balancer:
    """Debian's nginx in front of ``instances``; adds X-Upstream (which instance answered) for tests."""

    def __init__(self, instances: list[Instance], workdir: Path) -> None:
        self.prefix = workdir / "nginx"
        (self.prefix / "tmp").mkdir(parents=True)
        for path in (workdir, self.prefix, self.prefix / "tmp"):
            path.chmod(0o755 if path != self.prefix / "tmp" else 0o777)  # workers run as nobody
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.prefix / "nginx.conf"
        extra = "        add_header X-Upstream $upstream_addr always;"
        self.conf.write_text(nginx_config(self.prefix, self.port, [i.port for i in instances], extra))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not NGINX.exists():
            raise RuntimeError("nginx is not installed: run scripts/install-system-deps.sh")
        base = [str(NGINX), "-p", str(self.prefix), "-c", str(self.conf)]
        checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t: {checked.stderr}")
        self.process = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""
