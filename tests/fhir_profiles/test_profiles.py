"""Suggested resources against fhir_profiles: the naltrexone MedicationRequest profile (our checker over
its differential) and base R4 (R4B models) for ServiceRequest and naloxone suggestions."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from plugin.clinical.answer.companion_orders import naloxone_request, service_request
from plugin.clinical.answer.suggestions import regimen_request
from plugin.clinical.policy import REGIMENS, Policy
from plugin.clinical.terminology import PROFILES_DIR, default_terminology
from plugin.fhir.models import validated
from plugin.http.services import SERVICES
from tests.paths import SCENARIOS
from tests.support.profile_check import check

PROFILE = json.loads(
    (PROFILES_DIR / "structuredefinitions" / "naltrexone-suggested-medicationrequest.json").read_text()
)
TERM = default_terminology()
SCENARIO_FILES = sorted(SCENARIOS.glob("*.json"))


def _suggested(regimen_id: str) -> dict[str, Any]:
    regimen = next(r for r in REGIMENS if r.id == regimen_id)
    return regimen_request(None, regimen, "pat-1", date(2026, 11, 25), Policy(), TERM)


@pytest.mark.parametrize("regimen_id", [r.id for r in REGIMENS])
def test_every_regimen_suggestion_conforms(regimen_id: str) -> None:
    assert check(_suggested(regimen_id), PROFILE, TERM) == []


MUTATIONS = [
    (lambda r: r.update(status="active"), "MedicationRequest.status", "status must be draft"),
    (lambda r: r.pop("dispenseRequest"), "MedicationRequest.dispenseRequest", "dispense request required"),
    (
        lambda r: r["dispenseRequest"].pop("expectedSupplyDuration"),
        "expectedSupplyDuration",
        "supply required",
    ),
    (
        lambda r: r["medicationCodeableConcept"]["coding"][0].update(code="1725059"),
        "medication[x]",
        "naloxone is not in the naltrexone binding",
    ),
    (
        lambda r: r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"].update(code="{tbl}"),
        "dose[x]",
        "dose must be in mg",
    ),
    (lambda r: r["dosageInstruction"][0].pop("timing"), "timing", "timing required"),
    (lambda r: r.pop("meta"), "MedicationRequest.meta", "our tag required"),
]


@pytest.mark.parametrize(("mutate", "where", "why"), MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_checker_catches_violations(mutate: Any, where: str, why: str) -> None:
    resource = copy.deepcopy(_suggested("oral-50mg-daily"))
    mutate(resource)
    assert any(where in p for p in check(resource, PROFILE, TERM)), why


def _scenario_suggestions(path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    scenario = json.loads(path.read_text())
    app = create_app({"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path)})
    service = next(s.id for s in SERVICES.values() if s.hook == scenario["request"]["hook"])
    cards = app.test_client().post(f"/cds-services/{service}", json=scenario["request"]).get_json()["cards"]
    return [
        a["resource"]
        for c in cards
        for s in c.get("suggestions", [])
        for a in s["actions"]
        if a["type"] in ("create", "update")
    ]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario_suggestions_conform(path: Path, tmp_path: Path) -> None:
    """Every suggested naltrexone MedicationRequest meets the profile; everything else is valid R4."""
    for resource in _scenario_suggestions(path, tmp_path):
        assert validated(resource) == resource
        concept = resource.get("medicationCodeableConcept") or {}
        if TERM.any_in("naltrexone-treatment", concept.get("coding") or []):
            assert check(resource, PROFILE, TERM) == []


def test_companion_orders_are_valid_r4() -> None:
    for valueset in ("urine-drug-screen-order", "hepatic-function-panel-order"):
        sr = service_request(valueset, "pat-1", "reason", TERM)
        assert sr["status"] == "draft" and TERM.any_in(valueset, sr["code"]["coding"])
    naloxone = naloxone_request("pat-1", TERM)
    assert (
        naloxone["medicationCodeableConcept"]["coding"][0]["code"]
        == TERM.first("opioid-overdose-rescue").code
    )
