"""The demo stack: a sekmet FHIR server seeded with the demo patients, and the service in dev mode.

Used by ``make demo`` (``scripts/demo.py``) and by the browser tests, so the tests drive exactly what a
person runs.  The scenarios' rules assume one "today" (their ``now``); the service gets it as
``NALTREXONE_CDS_NOW`` so the demo patients keep their cards whatever the date.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.paths import SCENARIOS
from tests.support.fhir_server import FhirServer, running_fhir_server
from tests.support.live_server import CLI, live_server

DEMO_TOKEN = "demo-fhir-token"


@dataclass(frozen=True)
class DemoStack:
    fhir: FhirServer
    service_url: str
    state_dir: Path
    seed_output: str

    def page_url(self, patient_id: str = "") -> str:
        query = {"fhirServiceUrl": self.fhir.base_url, "fhirToken": self.fhir.token}
        if patient_id:
            query["patientId"] = patient_id
        return f"{self.service_url}/demo?{urlencode(query)}"


def scenarios_today(names: Sequence[str] = ("all",)) -> str:
    """The ``now`` most of the chosen scenarios assume."""
    paths = sorted(SCENARIOS.glob("*.json")) if "all" in names else [SCENARIOS / f"{n}.json" for n in names]
    days = Counter(json.loads(p.read_text()).get("now") for p in paths)
    return str(days.most_common(1)[0][0])


def seed(fhir: FhirServer, names: Sequence[str]) -> str:
    args = [str(CLI), "seed-fhir", fhir.base_url, "--token", fhir.token]
    for name in names:
        args += ["--scenario", name]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"seed-fhir failed: {result.stderr[-2000:]}")
    return result.stdout


@contextmanager
def demo_stack(
    state_dir: Path, scenarios: Sequence[str] = ("all",), port: int | None = None
) -> Iterator[DemoStack]:
    state_dir.mkdir(parents=True, exist_ok=True)
    with running_fhir_server(token=DEMO_TOKEN) as fhir:
        output = seed(fhir, scenarios)
        env = {
            "NALTREXONE_CDS_AUTH": "none",
            "NALTREXONE_CDS_NOW": scenarios_today(scenarios),
            "NALTREXONE_CDS_STATE_DIR": str(state_dir),
            "NALTREXONE_CDS_DATABASE_URL": "",
            "NALTREXONE_CDS_FHIR_ALLOWLIST": "",
            "NALTREXONE_CDS_REDIS_URL": "",
        }
        with live_server(env, port=port, stderr_path=state_dir / "service.log") as url:
            yield DemoStack(fhir, url, state_dir, output)
