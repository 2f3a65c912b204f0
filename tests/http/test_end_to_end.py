"""End to end through the real HTTP stack (nginx + granian + the app) for each hook and request shape."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests import builders as b
from tests.paths import SCENARIOS
from tests.support.live_server import live_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("state")
    with live_server({"NALTREXONE_CDS_NOW": "2026-11-25", "NALTREXONE_CDS_STATE_DIR": str(state)}) as url:
        yield url


def codes(response: requests.Response) -> list[tuple[str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"]) for c in response.json()["cards"]]


@pytest.mark.parametrize(
    ("scenario", "service"),
    [
        ("r2-short-acting-5-days", "naltrexone-order-sign"),
        ("clean-order-select-no-dose", "naltrexone-order-select"),
        ("legacy-medication-prescribe", "naltrexone-medication-prescribe"),
        ("r6-dependence-no-detox", "naltrexone-order-sign"),
    ],
)
def test_each_hook_over_http(base_url: str, scenario: str, service: str) -> None:
    data = json.loads((SCENARIOS / f"{scenario}.json").read_text())
    response = requests.post(f"{base_url}/cds-services/{service}", json=data["request"], timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert codes(response) == [(e["rule"], e["indicator"]) for e in data["expected"]]


def test_legacy_bare_array_over_http(base_url: str) -> None:
    request = b.hook_request(
        [b.naltrexone_draft()],
        [b.med_request("o", b.OXYCODONE, authored="2026-11-20", supply_days=2)],
        hook="medication-prescribe",
    )
    request["context"]["medications"] = [e["resource"] for e in request["context"]["medications"]["entry"]]
    response = requests.post(
        f"{base_url}/cds-services/naltrexone-medication-prescribe", json=request, timeout=10
    )
    assert codes(response) == [("R2", "critical")]


def test_discovery_and_health_over_http(base_url: str) -> None:
    assert requests.get(f"{base_url}/healthz", timeout=5).json()["status"] == "ok"
    services = requests.get(f"{base_url}/cds-services", timeout=5).json()["services"]
    assert len(services) == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{", 400), (b'{"hook": "order-sign"}', 400), (b"null", 400)],
)
def test_bad_input_over_http_is_json_4xx(base_url: str, body: bytes, status: int) -> None:
    response = requests.post(
        f"{base_url}/cds-services/naltrexone-order-sign",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == status
    assert response.json()["message"]
    assert "Traceback" not in response.text


def test_unknown_service_over_http(base_url: str) -> None:
    response = requests.post(f"{base_url}/cds-services/other", json={}, timeout=5)
    assert response.status_code == 404 and response.json()["error"] == "unknown_service"
