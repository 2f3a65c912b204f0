"""The CDS Hooks HTTP contract: discovery, errors, 412, and the request variants real EHRs send."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import builders as b

SIGN = "/cds-services/naltrexone-order-sign"


def rules(response: Any) -> list[tuple[str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"]) for c in response.get_json()["cards"]]


def recent_opioid() -> list[dict[str, Any]]:
    return [b.med_request("oxy", b.OXYCODONE, authored="2026-11-18", supply_days=3)]


def test_discovery_lists_three_services(client: FlaskClient) -> None:
    body = client.get("/cds-services").get_json()
    services = {s["id"]: s for s in body["services"]}
    assert {k: v["hook"] for k, v in services.items()} == {
        "naltrexone-order-select": "order-select",
        "naltrexone-order-sign": "order-sign",
        "naltrexone-medication-prescribe": "medication-prescribe",
    }
    for service in services.values():
        assert service["description"] and service["title"]
        assert all("{{context.patientId}}" in q for q in service["prefetch"].values())


def test_unknown_service_is_404_json(client: FlaskClient) -> None:
    response = client.post("/cds-services/nope", json=b.hook_request([]))
    assert response.status_code == 404 and response.get_json()["error"] == "unknown_service"


BAD_BODIES = [
    (b"{not json", "not valid JSON", "malformed JSON"),
    (b"[]", "JSON object", "array body"),
    (b'{"hookInstance": "x", "context": {"patientId": "p"}}', "'hook'", "missing hook"),
    (b'{"hook": "order-sign", "context": {"patientId": "p"}}', "'hookInstance'", "missing hookInstance"),
    (b'{"hook": "order-sign", "hookInstance": "x"}', "'context'", "missing context"),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": []}', "'context'", "context not an object"),
    (
        b'{"hook": "order-select", "hookInstance": "x", "context": {"patientId": "p"}}',
        "answers hook",
        "wrong hook",
    ),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": {}}', "patientId", "missing patientId"),
    (
        b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "Observation/1"}}',
        "patientId",
        "patientId of another type",
    ),
    (
        b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p", "draftOrders": 5}}',
        "draftOrders",
        "draftOrders not a Bundle",
    ),
    (
        b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}, "fhirAuthorization": '
        b'{"access_token": "t"}}',
        "fhirServer",
        "token without fhirServer",
    ),
    (
        b'{"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}, "prefetch": []}',
        "prefetch",
        "prefetch not an object",
    ),
]


@pytest.mark.parametrize(("body", "names", "why"), BAD_BODIES, ids=[r[2] for r in BAD_BODIES])
def test_bad_requests_are_400_json(client: FlaskClient, body: bytes, names: str, why: str) -> None:
    response = client.post(SIGN, data=body, content_type="application/json")
    assert response.status_code == 400, why
    payload = response.get_json()
    assert payload["error"] == "bad_request" and names in payload["message"], why
    assert "Traceback" not in response.get_data(as_text=True)


def test_missing_prefetch_without_fhir_server_is_412(client: FlaskClient) -> None:
    request = b.hook_request([b.naltrexone_draft()])
    del request["prefetch"]["conditions"]
    response = client.post(SIGN, json=request)
    assert response.status_code == 412
    assert "conditions" in response.get_json()["missing"]


def test_operation_outcome_in_prefetch_counts_as_absent(client: FlaskClient) -> None:
    request = b.hook_request([b.naltrexone_draft()])
    request["prefetch"]["observations"] = {"resourceType": "OperationOutcome", "issue": []}
    assert client.post(SIGN, json=request).status_code == 412


def test_null_prefetch_means_no_data(client: FlaskClient) -> None:
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)])
    assert all(v is None for v in request["prefetch"].values())
    found = rules(client.post(SIGN, json=request))
    assert ("CLEAN", "info") in found
    assert all(indicator == "info" for _, indicator in found)


def test_no_naltrexone_needs_no_data(client: FlaskClient) -> None:
    request = b.hook_request(
        [b.med_request("amox", ("308182", "amoxicillin 250 MG Oral Capsule"), status="draft")]
    )
    request.pop("prefetch")
    response = client.post(SIGN, json=request)
    assert response.status_code == 200 and response.get_json() == {"cards": []}


def with_variant(request: dict[str, Any], variant: str) -> dict[str, Any]:
    request = copy.deepcopy(request)
    ctx = request["context"]
    draft = ctx["draftOrders"]["entry"][0]["resource"]
    if variant == "patient-reference":
        ctx["patientId"] = "Patient/pat-1"
    elif variant == "contained-medication":
        draft["contained"] = [
            {"resourceType": "Medication", "id": "med", "code": draft.pop("medicationCodeableConcept")}
        ]
        draft["medicationReference"] = {"reference": "#med"}
    elif variant == "bundled-medication":
        medication = {
            "resourceType": "Medication",
            "id": "med-1",
            "code": draft.pop("medicationCodeableConcept"),
        }
        draft["medicationReference"] = {"reference": "Medication/med-1"}
        ctx["draftOrders"]["entry"].append({"fullUrl": "urn:uuid:1", "resource": medication})
    elif variant == "text-only":
        draft["medicationCodeableConcept"] = {"text": "Naltrexone HCl 50 mg tablet"}
    elif variant == "selection-of-this-order":
        request["hook"] = "order-select"
        ctx["selections"] = ["MedicationRequest/nx-draft"]
    return request


VARIANTS = [
    "plain",
    "patient-reference",
    "contained-medication",
    "bundled-medication",
    "text-only",
    "selection-of-this-order",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_request_variants_reach_the_same_decision(client: FlaskClient, variant: str) -> None:
    request = with_variant(b.hook_request([b.naltrexone_draft()], recent_opioid()), variant)
    service = "naltrexone-order-select" if request["hook"] == "order-select" else "naltrexone-order-sign"
    response = client.post(f"/cds-services/{service}", json=request)
    assert response.status_code == 200, response.get_json()
    assert rules(response) == [("R2", "critical")], variant


@pytest.mark.parametrize("shape", ["bundle", "bare-array"])
def test_legacy_medication_prescribe_shapes(client: FlaskClient, shape: str) -> None:
    request = b.hook_request([b.naltrexone_draft()], recent_opioid(), hook="medication-prescribe")
    if shape == "bare-array":
        request["context"]["medications"] = [
            e["resource"] for e in request["context"]["medications"]["entry"]
        ]
    response = client.post("/cds-services/naltrexone-medication-prescribe", json=request)
    assert rules(response) == [("R2", "critical")]


def test_selections_decide_other_drafts_are_context(client: FlaskClient) -> None:
    oxy_draft = b.med_request("oxy-draft", b.OXYCODONE, status="draft")
    request = b.hook_request(
        [b.naltrexone_draft(), oxy_draft], hook="order-select", selections=["MedicationRequest/nx-draft"]
    )
    response = client.post("/cds-services/naltrexone-order-select", json=request)
    assert rules(response) == [("R1", "critical")]
    request["context"]["selections"] = ["MedicationRequest/oxy-draft"]
    about_the_opioid = rules(client.post("/cds-services/naltrexone-order-select", json=request))
    assert ("R1", "critical") not in about_the_opioid  # the naltrexone draft is context now, not decided on


def test_critical_card_suggests_removal_and_a_later_start(client: FlaskClient) -> None:
    card = client.post(SIGN, json=b.hook_request([b.naltrexone_draft()], recent_opioid())).get_json()[
        "cards"
    ][0]
    assert "MedicationRequest/oxy" in card["detail"] and "2026-11-21" in card["detail"]
    actions = [a for s in card["suggestions"] for a in s["actions"]]
    assert actions[0] == {
        "type": "delete",
        "description": "Remove the naltrexone draft order",
        "resourceId": "MedicationRequest/nx-draft",
    }
    reorder = actions[1]["resource"]
    start = reorder["dispenseRequest"]["validityPeriod"]["start"]
    assert start == "2026-12-02"  # last dose 2026-11-21 + 11 days: outside the 7-10 day window
    assert card["overrideReasons"] and all(c["display"] for c in card["overrideReasons"])


def test_accepted_suggestion_does_not_re_alert(client: FlaskClient) -> None:
    cards = client.post(SIGN, json=b.hook_request([b.naltrexone_draft()])).get_json()["cards"]
    clean = next(c for c in cards if c["source"]["topic"]["code"] == "CLEAN")
    suggested = clean["suggestions"][0]["actions"][0]["resource"]
    again = rules(client.post(SIGN, json=b.hook_request([suggested])))
    assert not {"CLEAN", "R15"} & {code for code, _ in again}
    blocked = client.post(SIGN, json=b.hook_request([suggested], recent_opioid())).get_json()
    assert [c["indicator"] for c in blocked["cards"]] == ["critical"]


@pytest.mark.parametrize("patient_id", ["a b", "x" * 65, "Patient/a/b", "é"])
def test_patient_id_must_be_a_fhir_id(client: FlaskClient, patient_id: str) -> None:
    request = b.hook_request([b.naltrexone_draft()])
    request["context"]["patientId"] = patient_id
    response = client.post(SIGN, json=request)
    assert response.status_code == 400 and "patientId" in response.get_json()["message"]
