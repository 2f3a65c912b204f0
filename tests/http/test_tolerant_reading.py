"""Real-world and wrongly-typed record shapes through the HTTP API: never a 500, never silently clean."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import builders as b

SIGN = "/cds-services/naltrexone-order-sign"


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def _card(response: Any, code: str) -> dict[str, Any]:
    return next(c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == code)


def _draft_with(path: list[str | int], value: Any) -> dict[str, Any]:
    draft = b.naltrexone_draft(mg=50, period=1, course_days=365)
    node: Any = draft
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return draft


# The fuzzer's 500s: each is now read as "unreadable" and the answer goes on.
CRASH_ROWS = [
    (["dosageInstruction"], True, "dosageInstruction = true"),
    (["dosageInstruction", 0, "doseAndRate"], 5, "doseAndRate = a number"),
    (["dosageInstruction", 0, "route"], {"coding": 1.5}, "route.coding = 1.5"),
    (["dispenseRequest"], [1, 2], "dispenseRequest = an array"),
]


@pytest.mark.parametrize(("path", "value", "why"), CRASH_ROWS, ids=[r[2] for r in CRASH_ROWS])
def test_wrong_types_in_the_draft_are_not_fatal(
    client: FlaskClient, path: list[Any], value: Any, why: str
) -> None:
    assert "CLEAN" in _codes(client.post(SIGN, json=b.hook_request([_draft_with(path, value)]))), why


def test_huge_search_number_in_prefetch_is_not_fatal(client: FlaskClient) -> None:
    record = [b.med_request("a", b.OXYCODONE, authored="2020-01-01", supply_days=10)]
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], record)
    request["prefetch"]["medicationRequests"]["entry"][0]["search"] = 2**63 - 1
    request["prefetch"]["medicationRequests"]["total"] = 1e308
    codes = _codes(client.post(SIGN, json=request))
    assert "UNVERIFIED" in codes  # total > entries: the search is incomplete, and nothing can fetch it


@pytest.mark.parametrize(
    ("medication", "path"),
    [
        ({"medicationCodeableConcept": True}, "context.draftOrders.entry[0].resource.medication[x]"),
        ({"medicationCodeableConcept": {}}, "context.draftOrders.entry[0].resource.medication[x]"),
        ({}, "context.draftOrders.entry[0].resource.medication[x]"),
    ],
)
def test_a_draft_whose_drug_cannot_be_read_is_400_naming_the_path(
    client: FlaskClient, medication: dict[str, Any], path: str
) -> None:
    draft = b.naltrexone_draft()
    del draft["medicationCodeableConcept"]
    draft.update(medication)
    response = client.post(SIGN, json=b.hook_request([draft]))
    assert response.status_code == 400 and path in response.get_json()["message"]


def test_an_unreadable_opioid_entry_is_named_not_dropped(client: FlaskClient) -> None:
    """The only opioid on the record has a drug of the wrong type: not clean, named on the card."""
    broken = b.med_request("oxy-1", b.OXYCODONE, status="active", authored="2026-11-20")
    broken["medicationCodeableConcept"] = ["oxycodone"]
    other = b.med_request("oxy-2", b.OXYCODONE, status="completed")  # no date at all
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], [broken, other])
    response = client.post(SIGN, json=request)
    codes = _codes(response)
    assert "CLEAN" not in codes and "UNVERIFIED" in codes
    detail = _card(response, "UNVERIFIED")["detail"] + _card(response, "UNVERIFIED")["summary"]
    assert "2 medication entries could not be read" in detail
    assert "MedicationRequest/oxy-1 (drug)" in detail and "MedicationRequest/oxy-2 (date)" in detail


def test_an_unreadable_screen_result_is_named(client: FlaskClient) -> None:
    screen = b.observation("uds-1", "19295-5", "Opiates [Presence] in Urine by Screen method", "2026-11-20")
    screen["valueString"] = 1
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], [screen])
    response = client.post(SIGN, json=request)
    assert "UNVERIFIED" in _codes(response)
    assert "Observation/uds-1 (result)" in _card(response, "UNVERIFIED")["detail"]


def test_unreadable_prefetch_value_is_named_not_400(client: FlaskClient) -> None:
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)])
    request["prefetch"]["observations"] = 12
    response = client.post(SIGN, json=request)
    assert "UNVERIFIED" in _codes(response)


def test_entries_that_are_not_resources_are_counted(client: FlaskClient) -> None:
    record = [b.med_request("a", b.OXYCODONE, authored="2020-01-01", supply_days=10)]
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], record)
    request["prefetch"]["medicationRequests"]["entry"].append({"resource": "MedicationRequest/x"})
    response = client.post(SIGN, json=request)
    assert "entry 2 of medicationRequests (resource)" in _card(response, "UNVERIFIED")["detail"]


def test_unidentified_medications_are_counted_on_the_clean_card(client: FlaskClient) -> None:
    ndc_only = b.med_request("ndc-1", b.OXYCODONE, authored="2026-11-01")
    ndc_only["medicationCodeableConcept"] = {
        "coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "12345-678-90"}]
    }
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], [ndc_only])
    response = client.post(SIGN, json=request)
    detail = _card(response, "CLEAN")["detail"]
    assert "1 medication entries could not be identified" in detail and "MedicationRequest/ndc-1" in detail


DAMAGE_ROWS = [
    (
        [b.med_request("oxy", b.OXYCODONE, authored="2026-11-20", supply_days=5)],
        [
            "prefetch",
            "medicationRequests",
            "entry",
            0,
            "resource",
            "medicationCodeableConcept",
            "coding",
            0,
            "system",
        ],
        7,
        "MedicationRequest/oxy (drug code)",
        "a code system of the wrong type: the text still says oxycodone, and the damage is named",
    ),
    (
        [b.med_request("oxy", b.OXYCODONE, authored="2026-11-20", supply_days=5)],
        ["prefetch", "medicationRequests", "entry", 0, "resource", "authoredOn"],
        [2026, 11, 20],
        "MedicationRequest/oxy (date)",
        "the only date of an opioid order is unreadable",
    ),
    (
        [
            b.observation(
                "u",
                "19295-5",
                "Opiates [Presence] in Urine by Screen method",
                "2026-11-20",
                valueString="pos",
            )
        ],
        ["prefetch", "observations", "entry", 0, "resource", "effectiveDateTime"],
        True,
        "Observation/u (date)",
        "a positive screen without a readable date cannot be placed in the look-back",
    ),
    (
        [
            b.observation(
                "u",
                "19295-5",
                "Opiates [Presence] in Urine by Screen method",
                "2026-11-20",
                valueString="pos",
            )
        ],
        ["prefetch", "observations", "entry", 0, "resource", "code", "coding", 0, "code"],
        {"x": 1},
        "Observation/u (code)",
        "the screen's LOINC code is an object",
    ),
]


@pytest.mark.parametrize(
    ("record", "path", "value", "named", "why"), DAMAGE_ROWS, ids=[r[4] for r in DAMAGE_ROWS]
)
def test_damage_is_named(
    client: FlaskClient, record: list[dict[str, Any]], path: list[Any], value: Any, named: str, why: str
) -> None:
    request = b.hook_request([b.naltrexone_draft(mg=50, period=1, course_days=365)], record)
    node: Any = request
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    response = client.post(SIGN, json=request)
    assert "CLEAN" not in _codes(response), why
    assert named in _card(response, "UNVERIFIED")["detail"], why
