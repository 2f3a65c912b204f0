"""Advisory facts (R7-R17) from plain FHIR dicts: drafts, naltrexone blockade, liver tests, planned surgery,
and the pipeline's no-op and optional-prefetch paths."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin.clinical.facts.antagonists import classify_drafts, naltrexone_use
from plugin.clinical.facts.labs_and_plans import liver_tests, planned_surgery
from plugin.clinical.hook_request import parse_hook_request
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import default_terminology
from plugin.fhir.clinical import read_activity, read_observation
from plugin.fhir.medications import read_medication_use
from tests.builders import (
    NALTREXONE_ORAL,
    NALTREXONE_XR,
    OXYCODONE,
    RXNORM,
    SCT,
    administration,
    concept,
    dispense,
    hook_request,
    naltrexone_draft,
    observation,
    subject,
)

TERM = default_terminology()
POLICY = Policy()


def _draft(rid: str, medication: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": subject(),
        "medicationCodeableConcept": medication,
    }


DRAFT_ROWS = [
    (concept(RXNORM, *OXYCODONE), ("analgesic", True), "oxycodone tablet: systemic analgesic"),
    ({"text": "loperamide 2 mg capsule"}, ("antidiarrheal", False), "loperamide by text: peripheral"),
    (
        concept(RXNORM, "1190572", "atropine / diphenoxylate 2.5 MG Oral Tablet"),
        ("antidiarrheal", False),
        "diphenoxylate/atropine by code",
    ),
    ({"text": "codeine cough syrup"}, ("antitussive", True), "codeine cough syrup by text"),
    (concept(RXNORM, "1725059", "naloxone 4 mg nasal spray"), "rescue", "naloxone nasal spray: rescue draft"),
    ({"text": "ibuprofen 400 mg"}, None, "non-opioid: nothing"),
]


@pytest.mark.parametrize(("medication", "expected", "why"), DRAFT_ROWS, ids=[r[2] for r in DRAFT_ROWS])
def test_classify_drafts(medication: dict[str, Any], expected: Any, why: str) -> None:
    request = parse_hook_request("s", "order-sign", hook_request([_draft("d1", medication)]))
    opioids, rescue = classify_drafts(request.orders, {}, TERM)
    got = "rescue" if rescue else ((opioids[0].product, opioids[0].systemic) if opioids else None)
    assert got == expected, why


BLOCKADE_ROWS = [
    (administration("a", NALTREXONE_XR, "2026-11-01"), "xr-injectable", date(2026, 12, 6), "XR: +35 days"),
    (administration("a", NALTREXONE_ORAL, "2026-11-20"), "oral", date(2026, 11, 23), "oral dose: +3 days"),
    (dispense("d", NALTREXONE_ORAL, "2026-11-01", 30), "oral", date(2026, 12, 4), "30-day fill + 3 days"),
]


@pytest.mark.parametrize(
    ("resource", "form", "until", "why"), BLOCKADE_ROWS, ids=[r[3] for r in BLOCKADE_ROWS]
)
def test_naltrexone_blockade(resource: dict[str, Any], form: str, until: date, why: str) -> None:
    use = naltrexone_use(read_medication_use(resource, "k", {}), form, POLICY)  # type: ignore[arg-type]
    assert use is not None and use.blocks_until == until, why


def test_liver_tests_uln_from_range_else_default() -> None:
    with_range = observation(
        "o1",
        "1742-6",
        "ALT",
        "2026-11-20",
        valueQuantity={"value": 200, "unit": "U/L"},
        referenceRange=[{"high": {"value": 50}}],
    )
    without = observation("o2", "1920-8", "AST", "2026-11-20", valueQuantity={"value": 80, "unit": "U/L"})
    bili = observation(
        "o3", "14631-6", "Bilirubin", "2026-11-20", valueQuantity={"value": 42, "unit": "umol/L"}
    )
    views = [read_observation(o, "k") for o in (with_range, without, bili)]
    results = {r.test: r for r in liver_tests(views, POLICY, TERM)}
    assert results["alt"].uln == 50 and results["alt"].uln_from_range
    assert results["ast"].uln == POLICY.ast_uln_default and not results["ast"].uln_from_range
    assert results["bilirubin"].uln == POLICY.bilirubin_uln_umol_l_default


def test_planned_surgery_statuses_and_dates() -> None:
    def sr(rid: str, status: str, day: str) -> dict[str, Any]:
        return {
            "resourceType": "ServiceRequest",
            "id": rid,
            "status": status,
            "intent": "order",
            "subject": subject(),
            "category": [concept(SCT, "387713003", "Surgical procedure")],
            "occurrenceDateTime": day,
        }

    resources = {
        "ServiceRequest": [
            sr("ok", "active", "2026-11-27"),
            sr("done", "completed", "2026-11-27"),
            sr("past", "active", "2026-11-20"),
        ]
    }
    views = {kind: [read_activity(r, "k") for r in rs] for kind, rs in resources.items()}
    found = planned_surgery(views, date(2026, 11, 25), TERM)
    assert [e.resource_id for e in found] == ["ok"]


def test_unrelated_draft_needs_no_record(client: FlaskClient) -> None:
    """The no-op path: nothing to decide on -> no record gathered, so no 412 without prefetch."""
    body = hook_request([_draft("d1", {"text": "ibuprofen 400 mg"})])
    body["prefetch"] = {}
    response = client.post("/cds-services/naltrexone-order-sign", json=body)
    assert response.status_code == 200 and response.get_json()["cards"] == []


def test_optional_surgery_keys_absent_is_reported_not_412(client: FlaskClient) -> None:
    body = hook_request([naltrexone_draft(mg=50, period=1, course_days=365)])
    for key in ("serviceRequests", "appointments"):
        del body["prefetch"][key]  # an older EHR configuration that does not send them
    cards = client.post("/cds-services/naltrexone-order-sign", json=body).get_json()["cards"]
    clean = next(c for c in cards if c["source"]["topic"]["code"] == "CLEAN")
    assert "Not checked (data not sent): planned surgery" in clean["detail"]
