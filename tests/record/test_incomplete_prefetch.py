"""A prefetched search that is only its first page: the rest is fetched from the real FHIR server, else
the could-not-verify card names the key.  Without fhirAuthorization an allow-listed server is tried
open before answering 412."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from plugin import create_app
from plugin.ops.seed import service_id_for
from tests.paths import SCENARIOS
from tests.record.conftest import FHIR_TOKEN, card_kinds, load_scenario, seed
from tests.support.fhir_server import FhirServer
from tests.support.loopback import Reply, loopback_server

NEGATIVE = {
    "resourceType": "Observation",
    "id": "uds-0",
    "status": "final",
    "code": {
        "coding": [
            {"system": "http://loinc.org", "code": "19295-5", "display": "Opiates [Presence] in Urine"}
        ]
    },
    "valueString": "Negative",
    "effectiveDateTime": "2026-10-01",
}


def _client(tmp_path: Path, now: str) -> FlaskClient:
    return create_app({"auth": "none", "now": now, "state_dir": str(tmp_path / "state")}).test_client()


def _paged(fhir: FhirServer, prefix: str) -> tuple[dict[str, Any], str]:
    """The positive-screen scenario on the server; the request's prefetch holds only page 1 (the old
    negative), the positive screen is on page 2."""
    scenario = copy.deepcopy(load_scenario(SCENARIOS / "r4-positive-uds-valuestring.json"))
    observations = scenario["request"]["prefetch"]["observations"]
    negative = {**NEGATIVE, "subject": observations["entry"][0]["resource"]["subject"]}
    observations["entry"].insert(0, {"fullUrl": "Observation/uds-0", "resource": negative})
    request = seed(fhir, scenario, prefix)
    page = request["prefetch"]["observations"]
    page["total"] = len(page["entry"])
    page["entry"] = page["entry"][:1]
    page["link"] = [{"relation": "next", "url": f"{fhir.base_url}/Observation?patient=x&_page=2"}]
    assert "Negative" in str(page["entry"]) and "uds-1" not in str(page["entry"])
    return request, scenario["now"]


def _post(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post(f"/cds-services/{service_id_for(body['hook'])}", json=body)


def test_page_two_is_fetched_with_the_token(tmp_path: Path, fhir_server: FhirServer) -> None:
    request, now = _paged(fhir_server, "pg-a-")
    request["fhirServer"] = fhir_server.base_url
    request["fhirAuthorization"] = {"access_token": FHIR_TOKEN, "token_type": "Bearer"}
    response = _post(_client(tmp_path, now), request)
    assert card_kinds(response)[("R4", "critical")] == 1, response.get_json()


def test_page_two_unreachable_names_the_key(tmp_path: Path, fhir_server: FhirServer) -> None:
    """No token: the allow-listed (loopback, dev mode) server is tried open; it refuses, so the search
    stays incomplete and is named - never the clean card."""
    request, now = _paged(fhir_server, "pg-b-")
    request["fhirServer"] = fhir_server.base_url
    response = _post(_client(tmp_path, now), request)
    kinds = card_kinds(response)
    assert ("CLEAN", "info") not in kinds and ("UNVERIFIED", "warning") in kinds
    unverified = next(c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "UNVERIFIED")
    assert "observations: the prefetched search was only partly sent" in unverified["detail"]


def test_incomplete_without_fhir_server_names_the_key(tmp_path: Path, fhir_server: FhirServer) -> None:
    request, now = _paged(fhir_server, "pg-c-")
    kinds = card_kinds(_post(_client(tmp_path, now), request))
    assert ("UNVERIFIED", "warning") in kinds and ("CLEAN", "info") not in kinds


def test_missing_key_tries_the_open_server_before_412(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "r4-positive-uds-valuestring.json")
    with loopback_server(Reply(401, b'{"resourceType": "OperationOutcome", "issue": []}')) as server:
        request = copy.deepcopy(scenario["request"])
        del request["prefetch"]["conditions"]
        request["fhirServer"] = server.base_url
        response = _post(_client(tmp_path, scenario["now"]), request)
    assert response.status_code == 412 and "conditions" in response.get_json()["missing"]
    assert server.seen.requests and all(auth is None for _, auth in server.seen.requests)


def test_open_server_answers_without_a_token(tmp_path: Path) -> None:
    """An open sandbox answers a search without authorization: the missing key is filled from it."""
    scenario = load_scenario(SCENARIOS / "r4-positive-uds-valuestring.json")
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    with loopback_server(Reply(200, json.dumps(bundle).encode())) as server:
        request = copy.deepcopy(scenario["request"])
        del request["prefetch"]["conditions"]
        request["fhirServer"] = server.base_url
        response = _post(_client(tmp_path, scenario["now"]), request)
    assert response.status_code == 200 and server.seen.requests
    assert all(auth is None for _, auth in server.seen.requests)
    assert card_kinds(response)[("R4", "critical")] == 1


def test_server_off_the_allow_list_is_not_tried_without_a_token(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "r4-positive-uds-valuestring.json")
    with loopback_server() as server:
        request = copy.deepcopy(scenario["request"])
        del request["prefetch"]["conditions"]
        request["fhirServer"] = server.base_url
        settings = {"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path / "s")}
        client = create_app({**settings, "fhir_allowlist": "https://ehr.example.org/fhir"}).test_client()
        response = _post(client, request)
    assert response.status_code == 412 and server.seen.connections == 0
