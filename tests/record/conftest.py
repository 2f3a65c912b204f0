"""Fixtures: one real sekmet FHIR server per session, loaded with the fetch fixtures, and helpers.

The server demands a bearer token, so every passing fetch test also proves the service forwards
the hook's ``fhirAuthorization`` token.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.clinical.hook_request import HookRequest, parse_hook_request
from plugin.http.services import SERVICES
from plugin.ops.seed import namespaced, service_id_for, transaction_bundle
from plugin.settings import Settings, load_settings
from tests.support.fhir_server import FhirServer, running_fhir_server

DATA = Path(__file__).parent / "data"
FHIR_TOKEN = "sekmet-test-token-7f3c"
FIXTURE = "oxycodone-behind-reference"


def load_scenario(path: Path) -> dict[str, Any]:
    scenario: dict[str, Any] = json.loads(path.read_text())
    return scenario


def seed(fhir: FhirServer, scenario: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Load the scenario under ``prefix``; return its (namespaced) hook request, prefetch included."""
    request = namespaced(scenario["request"], prefix)
    fhir.transaction(transaction_bundle(request))
    return request


def without_prefetch(request: dict[str, Any], fhir: FhirServer, token: str = FHIR_TOKEN) -> dict[str, Any]:
    body = {k: v for k, v in request.items() if k != "prefetch"}
    body["fhirServer"] = fhir.base_url
    body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300}
    return body


def card_kinds(response: Any) -> Counter[tuple[str, str]]:
    return Counter(
        (c["source"].get("topic", {}).get("code", ""), c["indicator"]) for c in response.get_json()["cards"]
    )


def hook_request(body: dict[str, Any]) -> HookRequest:
    service = SERVICES[service_id_for(body["hook"])]
    return parse_hook_request(service.id, service.hook, body)


def settings(**overrides: Any) -> Settings:
    return load_settings({"auth": "none", **overrides}, environ={})


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirServer]:
    with running_fhir_server(token=FHIR_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def fixture_scenario() -> dict[str, Any]:
    return load_scenario(DATA / f"{FIXTURE}.json")


@pytest.fixture(scope="session")
def seeded(fhir_server: FhirServer, fixture_scenario: dict[str, Any]) -> dict[str, Any]:
    """The fetch fixture loaded once (ids prefixed 'fx-'); its request with prefetch."""
    return seed(fhir_server, fixture_scenario, "fx-")
