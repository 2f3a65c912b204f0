"""Start a real FHIR R4 server (sekmet-fhir) on a free loopback port, for tests and benchmarks.

    with running_fhir_server(token="t0k3n") as fhir:
        requests.get(f"{fhir.base_url}/metadata")

sekmet lives in its own virtualenv (``make`` builds ``.venv-fhir`` from
``tests/support/fhir-server-requirements.txt``) because its pins are not ours.  Its settings are
written here, not taken from its defaults: inbound validation off (it rejects resources the way
EHRs really write them), the pharmacy simulator off (it would change MedicationRequests under the
tests' feet) and a static bearer token, so every test also proves the service forwards the token.
``SEKMET_BASE_URL`` makes its paging links point back at this port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.paths import REPO_ROOT

REPO = REPO_ROOT
STARTUP_TIMEOUT_S = 30.0


class FhirServerUnavailable(RuntimeError):
    """Raised when sekmet is not installed or does not come up."""


@dataclass(frozen=True)
class FhirServer:
    base_url: str
    token: str
    log_path: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/fhir+json"}

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle; raise unless every entry succeeded."""
        response = requests.post(
            self.base_url,
            json=bundle,
            headers={**self.headers, "Content-Type": "application/fhir+json"},
            timeout=30,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        statuses = [e["response"]["status"] for e in result.get("entry", [])]
        bad = [s for s in statuses if not s.startswith("2")]
        if bad:
            raise RuntimeError(f"transaction entries failed: {bad}")
        return result


def sekmet_executable() -> str:
    """$SEKMET_BIN, else the repo's .venv-fhir, else ``sekmet`` on PATH."""
    local = str(REPO / ".venv-fhir" / "bin" / "sekmet")
    candidates = [os.environ.get("SEKMET_BIN"), local, shutil.which("sekmet")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FhirServerUnavailable("sekmet-fhir is missing: run `make .venv-fhir/.installed` or `make test`")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _settings_yaml(data_dir: Path, token: str) -> str:
    return "\n".join(
        [
            f"data_dir: {data_dir}",
            "validation: {inbound: 'off'}",
            "simulator: {enabled: false}",
            f"server_auth: {{types: [bearer], tokens: ['{token}']}}",
            "log_inbound: false",
            "",
        ]
    )


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FhirServerUnavailable(f"sekmet exited early:\n{log_path.read_text()[-2000:]}")
        try:
            if requests.get(f"{base_url}/metadata", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise FhirServerUnavailable(f"sekmet did not answer /metadata within {STARTUP_TIMEOUT_S:.0f}s")


@contextmanager
def running_fhir_server(token: str = "test-fhir-token", workdir: Path | None = None) -> Iterator[FhirServer]:
    """A fresh, empty sekmet server for the duration of the block; stopped and cleaned after."""
    executable = sekmet_executable()
    with tempfile.TemporaryDirectory(prefix="sekmet-") as tmp:
        root = workdir or Path(tmp)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}/fhir"
        config = root / "settings.yaml"
        config.write_text(_settings_yaml(root / "data", token))
        log_path = root / "sekmet.log"
        env = {**os.environ, "SEKMET_BASE_URL": base_url, "SEKMET_DB": str(root / "sekmet.db")}
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [executable, "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(base_url, process, log_path)
                yield FhirServer(base_url, token, log_path)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
