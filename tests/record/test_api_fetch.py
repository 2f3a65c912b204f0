"""Through the Flask app: fetched data gives the prefetch cards; faults give the could-not-verify card;
a fhirServer off the allow-list gets a 4xx and no connection; no data and no fhirServer gets 412."""

from __future__ import annotations

import copy
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin import create_app
from plugin.ops.seed import service_id_for
from tests.record.conftest import FHIR_TOKEN, card_kinds, without_prefetch
from tests.support.fhir_server import FhirServer, free_port
from tests.support.loopback import Reply, loopback_server

DEADLINE_S = 1.0


def _client(tmp_path: Path, scenario: dict[str, Any], **settings: Any) -> FlaskClient:
    base = {"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path / "state")}
    return create_app({**base, **settings}).test_client()


def _post(client: FlaskClient, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(f"/cds-services/{service_id_for(body['hook'])}", json=body, **kwargs)


NALTREXONE_50 = {
    "coding": [
        {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "1483744",
            "display": "naltrexone hydrochloride 50 MG Oral Tablet",
        }
    ]
}


def _pointing_at(scenario: dict[str, Any], base_url: str, *, coded_draft: bool = True) -> dict[str, Any]:
    """The scenario's request without prefetch, sent to ``base_url``.

    ``coded_draft`` names the draft's drug by code, so the request is about naltrexone even when
    the server never answers; otherwise the drug is only ``Medication/med-naltrexone`` on the server.
    """
    body = copy.deepcopy({k: v for k, v in scenario["request"].items() if k != "prefetch"})
    if coded_draft:
        draft = body["context"]["draftOrders"]["entry"][0]["resource"]
        del draft["medicationReference"]
        draft["medicationCodeableConcept"] = NALTREXONE_50
    body["fhirServer"] = base_url
    body["fhirAuthorization"] = {"access_token": "tok-api", "token_type": "Bearer"}
    return body


def test_fetched_cards_equal_prefetch_cards(
    tmp_path: Path,
    fhir_server: FhirServer,
    seeded: dict[str, Any],
    fixture_scenario: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client(tmp_path, fixture_scenario)
    with_prefetch = _post(client, seeded)
    with caplog.at_level(logging.DEBUG):
        started = time.perf_counter()
        fetched = _post(client, without_prefetch(seeded, fhir_server))
        elapsed = time.perf_counter() - started
    print(f"\nno-prefetch hook call through the app: {elapsed * 1000:.0f} ms")
    assert with_prefetch.status_code == fetched.status_code == 200
    assert card_kinds(fetched) == card_kinds(with_prefetch)
    assert card_kinds(fetched)[("R2", "critical")] == 1
    assert FHIR_TOKEN not in caplog.text
    assert "pt-fetch-1" not in caplog.text


FAULTS = {
    "stall": Reply(stall_s=30),
    "500": Reply(500),
    "401": Reply(401, b"", "text/plain"),
    "html": Reply(200, b"<html><body>Please sign in</body></html>", "text/html"),
}


@pytest.mark.parametrize("fault", [*FAULTS, "closed-port"])
def test_fault_gives_the_could_not_verify_card_in_time(
    tmp_path: Path, fixture_scenario: dict[str, Any], fault: str
) -> None:
    client = _client(tmp_path, fixture_scenario, fhir_timeout=DEADLINE_S)
    if fault == "closed-port":
        started = time.perf_counter()
        response = _post(client, _pointing_at(fixture_scenario, f"http://127.0.0.1:{free_port()}/fhir"))
        elapsed = time.perf_counter() - started
    else:
        with loopback_server(FAULTS[fault]) as server:
            started = time.perf_counter()
            response = _post(client, _pointing_at(fixture_scenario, server.base_url))
            elapsed = time.perf_counter() - started
    print(f"\nAPI {fault}: {elapsed * 1000:.0f} ms")
    assert response.status_code == 200
    assert elapsed < DEADLINE_S + 0.5
    cards = response.get_json()["cards"]
    unverified = [c for c in cards if c["source"].get("topic", {}).get("code") == "UNVERIFIED"]
    assert len(unverified) == 1, cards
    assert unverified[0]["indicator"] in ("warning", "critical")
    assert "Could not verify" in unverified[0]["summary"] or "Could not verify" in unverified[0].get(
        "detail", ""
    )


def test_fault_with_a_draft_named_only_by_reference_is_not_silent(
    tmp_path: Path, fixture_scenario: dict[str, Any]
) -> None:
    """The draft names its drug only as a server-side Medication, and the server is down."""
    client = _client(tmp_path, fixture_scenario, fhir_timeout=DEADLINE_S)
    body = _pointing_at(fixture_scenario, f"http://127.0.0.1:{free_port()}/fhir", coded_draft=False)
    response = _post(client, body)
    assert response.status_code == 200
    assert ("UNVERIFIED", "warning") in card_kinds(response)


def test_no_prefetch_and_no_fhir_server_is_412(tmp_path: Path, fixture_scenario: dict[str, Any]) -> None:
    client = _client(tmp_path, fixture_scenario)
    body = {k: v for k, v in fixture_scenario["request"].items() if k != "prefetch"}
    response = _post(client, body)
    assert response.status_code == 412
    assert response.get_json()["error"] == "prefetch_unavailable"
    assert "medicationRequests" in response.get_json()["missing"]


def test_fhir_server_without_authorization_is_412(tmp_path: Path, fixture_scenario: dict[str, Any]) -> None:
    """Not on the allow-list and no token: nothing to try, 412 without a connection (an allow-listed
    server is tried open first: tests/record/test_incomplete_prefetch.py)."""
    with loopback_server() as server:
        body = {k: v for k, v in fixture_scenario["request"].items() if k != "prefetch"}
        body["fhirServer"] = server.base_url
        client = _client(tmp_path, fixture_scenario, fhir_allowlist="https://ehr.example.org/fhir")
        response = _post(client, body)
    assert response.status_code == 412
    assert server.seen.connections == 0


# Not a loopback address, yet on Linux a connection to it reaches this machine's own listeners (the
# kernel treats it as "this host"): a server every machine has, that the guard must still refuse.
UNSPECIFIED = "0.0.0.0"  # connected to, never bound


@pytest.mark.parametrize(
    "allowlist",
    ["", "https://ehr.example.org/fhir"],
    ids=["no-list-loopback-only", "explicit-list"],
)
def test_dev_mode_refuses_a_non_loopback_server_without_connecting(
    tmp_path: Path, fixture_scenario: dict[str, Any], allowlist: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        # the listener does see a connection to this address: its silence below means something
        with socket.create_connection((UNSPECIFIED, port), timeout=1):
            listener.accept()[0].close()
        client = _client(tmp_path, fixture_scenario, fhir_allowlist=allowlist)
        response = _post(client, _pointing_at(fixture_scenario, f"http://{UNSPECIFIED}:{port}/fhir"))
        with pytest.raises(TimeoutError):
            listener.accept()
    assert response.status_code == 403
    assert response.get_json()["error"] == "fhir_server_not_allowed"


def test_jwt_mode_refuses_loopback_without_connecting(
    tmp_path: Path, fixture_scenario: dict[str, Any]
) -> None:
    from tests.auth.issuer import PUBLIC_URL, Issuer

    issuer = Issuer(tmp_path)
    client = _client(
        tmp_path,
        fixture_scenario,
        auth="jwt",
        public_url=PUBLIC_URL,
        trusted_issuers={issuer.iss: issuer.jwks_url},
        fhir_allowlist="https://ehr.example.org/fhir",
    )
    body = fixture_scenario["request"]
    path = f"/cds-services/{service_id_for(body['hook'])}"
    with loopback_server() as server:
        headers = {"Authorization": f"Bearer {issuer.token(path)}"}
        response = _post(client, _pointing_at(fixture_scenario, server.base_url), headers=headers)
        time.sleep(0.1)
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["error"] == "fhir_server_not_allowed"
    assert server.seen.connections == 0
