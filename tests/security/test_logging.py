"""Logs of a full run hold no patient identifier, name or token; the request id is the hookInstance."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask

from plugin import create_app
from plugin.ops.log import bind_request, scrub
from tests.auth.issuer import Issuer, bearer
from tests.builders import hook_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"
PATIENT_ID = "pt-778120"
USER = "Practitioner/dr-4471"
ENCOUNTER = "enc-99310"
FHIR_TOKEN = "fhir-access-token-0b6e1f"
NAME = "Examplewoman"
BIRTH = "1961-07-04"


def phi_request() -> dict[str, Any]:
    body = hook_request([naltrexone_draft()])
    body["context"].update({"patientId": f"Patient/{PATIENT_ID}", "userId": USER, "encounterId": ENCOUNTER})
    body["fhirServer"] = "https://fhir.example.org/r4"
    body["fhirAuthorization"] = {"access_token": FHIR_TOKEN, "token_type": "Bearer", "patient": PATIENT_ID}
    body["context"]["draftOrders"]["entry"][0]["resource"]["subject"] = {
        "reference": f"Patient/{PATIENT_ID}",
        "display": f"Jane {NAME} (born {BIRTH})",
    }
    return body


def secrets_of(token: str) -> list[str]:
    return [PATIENT_ID, "dr-4471", ENCOUNTER, FHIR_TOKEN, NAME, BIRTH, token, token.split(".")[2]]


def test_full_run_logs_nothing_identifying(
    jwt_settings: dict[str, Any],
    issuer: Issuer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = {**jwt_settings, "log_json": True, "fhir_allowlist": "https://fhir.example.org"}
    client = create_app(settings).test_client()
    body = phi_request()
    token = issuer.token(SIGN)
    answers = [
        client.post(SIGN, json=body, headers=bearer(token)),  # accepted
        client.post(SIGN, json=body, headers=bearer(token)),  # replay
        client.post(SIGN, json=body, headers={"Authorization": f"Bearer {token[:-4]}AAAA"}),  # bad signature
        client.post(
            SIGN, data=json.dumps(body), content_type="text/plain", headers=bearer(issuer.token(SIGN))
        ),
        client.post(
            SIGN,
            json={**body, "context": {"patientId": f"Group/{PATIENT_ID}"}},
            headers=bearer(issuer.token(SIGN)),
        ),
        client.post(
            SIGN + "/feedback", json={"feedback": [{"card": PATIENT_ID}]}, headers=bearer(issuer.token(SIGN))
        ),
    ]
    assert [a.status_code for a in answers][:5] == [200, 401, 401, 415, 400]
    assert answers[5].status_code < 500

    captured = capsys.readouterr().err
    records = caplog.records
    assert any(r.name == "naltrexone_cds.auth" for r in records) and captured
    for secret in secrets_of(token):
        assert secret not in caplog.text
        assert secret not in captured
        for record in records:
            assert secret not in json.dumps(record.__dict__, default=str)

    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    accepted = [r for r in lines if r["logger"] == "naltrexone_cds.access" and r["status"] == 200]
    assert [r["request_id"] for r in accepted] == [body["hookInstance"]]
    assert all({"ts", "level", "logger", "request_id", "message"} <= set(r) for r in lines)


def test_scrubbing_catches_what_code_forgets(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], issuer: Issuer
) -> None:
    app: Flask = create_app({"auth": "none", "state_dir": str(tmp_path), "log_json": False})
    token = issuer.token(SIGN)
    logger = logging.getLogger("naltrexone_cds.test")
    with app.test_request_context(SIGN, method="POST", json=phi_request(), headers=bearer(token)):
        bind_request(phi_request())
        try:
            raise ValueError(f"no such patient {PATIENT_ID} (token {FHIR_TOKEN})")
        except ValueError:
            logger.exception("careless: %s / %s / %s", PATIENT_ID, USER, token, extra={"who": ENCOUNTER})
    err = capsys.readouterr().err
    assert "careless" in err and "ValueError" in err and "[redacted]" in err
    for secret in (PATIENT_ID, "dr-4471", ENCOUNTER, FHIR_TOKEN, token):
        assert secret not in err


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("auth eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0.c2ln done", "auth [redacted] done"),
        ("Authorization: Bearer abcdefghijklmnop1234 ok", "Authorization: Bearer [redacted] ok"),
        ("missing Authorization: Bearer token", "missing Authorization: Bearer token"),
        ("took 12ms", "took 12ms"),
    ],
)
def test_scrub_patterns(text: str, kept: str) -> None:
    assert scrub(text) == kept
