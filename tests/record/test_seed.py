"""``naltrexone-cds seed-fhir`` against a real FHIR server: data lands, ids are kept, curl lines work."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner

from plugin import create_app
from plugin.ops.cli import main
from plugin.ops.seed import namespaced, scenario_prefix, transaction_bundle
from tests.record.conftest import DATA, FHIR_TOKEN, FIXTURE, card_kinds
from tests.support.fhir_server import FhirServer


def _read(fhir: FhirServer, path: str) -> dict[str, Any]:
    response = requests.get(f"{fhir.base_url}/{path}", headers=fhir.headers, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def test_seed_fhir_loads_the_scenario_and_prints_a_working_curl_line(
    fhir_server: FhirServer, fixture_scenario: dict[str, Any], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["seed-fhir", fhir_server.base_url, "--scenarios-dir", str(DATA), "--scenario", FIXTURE]
        + ["--id-prefix", "cli-"],
        env={"FHIR_TOKEN": FHIR_TOKEN},
    )
    assert result.exit_code == 0, result.output
    patient = f"cli-{FIXTURE}-pt-fetch-1"
    assert f"patient {patient}" in result.output
    assert FHIR_TOKEN not in result.output  # the curl line reads $FHIR_TOKEN instead
    assert _read(fhir_server, f"Patient/{patient}")["id"] == patient
    oxy = _read(fhir_server, f"MedicationRequest/cli-{FIXTURE}-mr-oxy")
    assert oxy["subject"]["reference"] == f"Patient/{patient}"
    assert oxy["medicationReference"]["reference"] == f"Medication/cli-{FIXTURE}-med-oxy"

    curl = next(line for line in result.output.splitlines() if line.startswith("curl "))
    argv = shlex.split(curl.replace("$FHIR_TOKEN", FHIR_TOKEN))
    url, body = argv[argv.index("-X") + 2], json.loads(argv[argv.index("--data") + 1])
    assert url == "http://127.0.0.1:8080/cds-services/naltrexone-order-sign"
    assert "prefetch" not in body and body["fhirServer"] == fhir_server.base_url
    app = create_app({"auth": "none", "now": fixture_scenario["now"], "state_dir": str(tmp_path)})
    response = app.test_client().post(url.removeprefix("http://127.0.0.1:8080"), json=body)
    assert card_kinds(response)[("R2", "critical")] == 1


def test_transaction_keeps_ids_and_creates_the_patient(fixture_scenario: dict[str, Any]) -> None:
    bundle = transaction_bundle(fixture_scenario["request"])
    urls = [e["request"]["url"] for e in bundle["entry"]]
    assert bundle["type"] == "transaction"
    assert urls[0] == "Patient/pt-fetch-1"
    assert {"MedicationRequest/mr-oxy", "Medication/med-oxy", "Encounter/enc-2"} <= set(urls)
    assert len(urls) == len(set(urls))
    assert all(e["request"]["method"] == "PUT" for e in bundle["entry"])


def test_id_prefix_renames_ids_and_references_consistently(fixture_scenario: dict[str, Any]) -> None:
    request = namespaced(fixture_scenario["request"], "p-")
    assert request["context"]["patientId"] == "p-pt-fetch-1"
    draft = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert draft["subject"]["reference"] == "Patient/p-pt-fetch-1"
    assert draft["medicationReference"]["reference"] == "Medication/p-med-naltrexone"
    assert draft["id"] == "draft-ntx"  # drafts are not on the server; their ids stay
    assert fixture_scenario["request"]["context"]["patientId"] == "pt-fetch-1"  # input untouched


def test_scenario_prefix_stays_short_and_unique() -> None:
    assert scenario_prefix("r2-short-acting-5-days", "me-") == "me-r2-short-acting-5-days-"
    long_a, long_b = scenario_prefix("x" * 40 + "a"), scenario_prefix("x" * 40 + "b")
    assert long_a != long_b and len(long_a) <= 29


def test_unknown_scenario_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        main, ["seed-fhir", "http://127.0.0.1:9/fhir", "--scenarios-dir", str(DATA), "--scenario", "nope"]
    )
    assert result.exit_code != 0
    assert "no scenario 'nope'" in result.output
