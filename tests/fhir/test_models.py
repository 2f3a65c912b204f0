"""What we emit is valid R4 as the R4B models say: our templates (validated once) filled with a call's
values, and the draft's fields (validated every call), give exactly what validating the whole resource
gives - and nothing a request sends is ever a cache key."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import orjson
import pytest

from plugin.clinical.answer import suggestions
from plugin.clinical.answer.suggestions import _our_request, _validated_directly, regimen_request
from plugin.clinical.policy import REGIMENS, Policy
from plugin.clinical.terminology import default_terminology
from plugin.fhir.models import (
    FhirValidationError,
    fill_template,
    validated,
    validated_fields,
    validated_template,
)
from tests.clinical.rules.support import order

TERM = default_terminology()
POLICY = Policy()
_DISPENSING = (
    POLICY.course_usual_days,
    POLICY.xr_interval_days,
    POLICY.oral_fill_days,
    POLICY.oral_tablet_mg,
)


def draft(**fields: Any) -> dict[str, Any]:
    """A naltrexone draft as an EHR sends it, with the fields a suggestion keeps."""
    return {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": "naltrexone 50 mg tablet"},
        "subject": {"reference": "Patient/p-1"},
        "authoredOn": "2026-11-25",
        **fields,
    }


DRAFTS = [
    draft(),
    draft(requester={"reference": "Practitioner/dr-7", "display": "Dr Seven"}),
    draft(requester={"reference": "Practitioner/dr-7"}, encounter={"reference": "Encounter/e.1"}),
    draft(note=[{"text": "seen on 2026-11-01"}], reasonCode=[{"text": "alcohol use disorder"}]),
    draft(category=[{"coding": [{"system": "http://x.org", "code": "outpatient"}]}]),
    draft(reasonReference=[{"reference": "Condition/c-1"}]),
    draft(authoredOn="2026-11-25T10:00:00Z"),
    draft(authoredOn="2026-11-25T10:00:00+01:00"),
    draft(authoredOn="2026-02-30"),  # no such day: the draft's fields are dropped
    draft(authoredOn="2026-13-01"),
    draft(authoredOn=20261125),
    draft(subject={"reference": "Patient/with space"}),
    draft(subject={"reference": "Patient/x", "type": "Patient"}),
    draft(subject={"reference": "https://ehr.example/fhir/Patient/x"}),
    draft(subject="Patient/x"),
    draft(requester={"reference": "Practitioner/dr-7", "unknown": 1}),
    draft(note="not a list of Annotation"),
    draft(note=[]),
    draft(category={"text": "a lone concept"}),
    draft(encounter={"display": "  spaces kept  "}),
    {k: v for k, v in draft().items() if k not in ("subject", "authoredOn")},
]
PATIENTS = ["p-1", "other.patient-9", "x" * 64, "x" * 65, "with space", "Patient/nested", "ünï", "1801-01-01"]
ORDER_IDS = ["draft-1", "x.9", "sentinel-order", "1801-01-01", "bad id", "é" * 10, None]


def reference(
    nx_draft: dict[str, Any], order_id: str | None, patient: str, start: date, regimen: Any
) -> dict[str, Any]:
    """What validating the whole suggestion itself gives (the behaviour before templates)."""
    intent = nx_draft.get("intent") if nx_draft.get("intent") in ("proposal", "plan", "order") else "order"
    resource = _our_request(regimen, intent, patient, start, POLICY, TERM)
    if order_id is not None:
        resource["id"] = order_id
    kept = {k: nx_draft[k] for k in suggestions._KEPT_FIELDS if k in nx_draft}
    return _validated_directly(resource, kept)


def nx_order(nx_draft: dict[str, Any], order_id: str | None) -> Any:
    made = order(resource=copy.deepcopy(nx_draft))
    return type(made)(made.resource, f"MedicationRequest/{order_id}" if order_id else "", "oral", True, False)


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal, key order included (the bytes we answer with)."""
    return orjson.dumps(a) == orjson.dumps(b)


@pytest.mark.parametrize("nx_draft", DRAFTS)
def test_draft_fields_give_what_validating_the_whole_suggestion_gives(nx_draft: dict[str, Any]) -> None:
    start = date(2026, 11, 25)
    made = regimen_request(nx_order(nx_draft, "draft-1"), REGIMENS[0], "p-1", start, POLICY, TERM)
    assert same(made, reference(nx_draft, "draft-1", "p-1", start, REGIMENS[0]))
    assert validated(made) == made  # valid R4, stable round trip


@pytest.mark.parametrize("patient", PATIENTS)
@pytest.mark.parametrize("order_id", ORDER_IDS)
def test_call_values_give_what_validating_the_whole_suggestion_gives(
    patient: str, order_id: str | None
) -> None:
    start = date(2027, 1, 31)
    for regimen in (REGIMENS[0], REGIMENS[-1]):
        made = regimen_request(nx_order(draft(), order_id), regimen, patient, start, POLICY, TERM)
        assert same(made, reference(draft(), order_id, patient, start, regimen))


def test_templates_are_keyed_on_our_resources_only() -> None:
    """Many patients, orders, days and draft fields: one template per regimen, nothing a request sent."""
    validated_template.cache_clear()
    suggestions._TEMPLATES.clear()
    for n in range(40):
        nx_draft = {k: v for k, v in draft(note=[{"text": f"note {n}"}]).items() if k != "subject"}
        made = regimen_request(
            nx_order(nx_draft, f"o-{n}"), REGIMENS[0], f"pat-{n}", date(2026, 1, 1 + n % 28), POLICY, TERM
        )
        assert made["subject"] == {"reference": f"Patient/pat-{n}"} and made["id"] == f"o-{n}"
        assert made["note"] == [{"text": f"note {n}"}]
    assert validated_template.cache_info().currsize == 1
    assert list(suggestions._TEMPLATES) == [(REGIMENS[0], "order", True, _DISPENSING, TERM)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"subject": {"reference": "Patient/a"}, "authoredOn": "2026-01-02"}, "same"),
        ({"requester": {"reference": "Practitioner/a", "display": "Dr A"}}, "same"),
        ({"note": [{"text": "x"}]}, "same"),
        ({"note": "x"}, None),
        ({"authoredOn": "2026-02-29"}, None),  # 2026 is no leap year
        ({"subject": {"reference": "Patient/a"}, "note": 3}, None),
    ],
)
def test_validated_fields(fields: dict[str, Any], expected: str | None) -> None:
    assert validated_fields("MedicationRequest", fields) == (fields if expected == "same" else None)


def test_an_invalid_resource_is_refused_with_the_count_of_errors() -> None:
    with pytest.raises(FhirValidationError, match=r"invalid MedicationRequest: \d+ errors"):
        validated({"resourceType": "MedicationRequest", "status": "not-a-status"})


def test_a_template_follows_the_policy_it_was_made_for() -> None:
    """Two policies with different dispensing figures: each suggestion is its own policy's."""
    start = date(2026, 11, 25)
    for days in (90, 365, 180):
        policy = Policy(course_usual_days=days)
        made = regimen_request(nx_order(draft(), "draft-1"), REGIMENS[0], "p-1", start, policy, TERM)
        end = made["dispenseRequest"]["validityPeriod"]["end"]
        assert end == date.fromordinal(start.toordinal() + days).isoformat()


TEMPLATE_VALUES = [
    {"Patient/s-p": "Patient/p-1", "1801-01-01": "2026-11-25"},
    {"Patient/s-p": "Patient/1801-01-01", "1801-01-01": "2026-11-25"},  # a value that is a sentinel
    {"1801-01-01": "Patient/s-p", "Patient/s-p": "Patient/x"},
    {"Patient/s-p": "Patient/p-2"},  # a sentinel not named stays as it is
    {"Patient/s-p": "x'), __import__('os'), ('\"{}\\", "1801-01-01": "\u00e9"},  # data, never code
    {},
]


@pytest.mark.parametrize("values", TEMPLATE_VALUES)
def test_a_compiled_template_fills_as_replacing_each_sentinel_once(values: dict[str, str]) -> None:
    """The template is compiled once; filling it puts each value where its sentinel was, and only
    there: what replacing every quoted sentinel in the validated JSON gives."""
    resource = _our_request(REGIMENS[-1], "order", "s-p", date(1801, 1, 1), POLICY, TERM)
    raw = orjson.dumps(resource)
    template = validated_template(raw, ("1801-01-01", "Patient/s-p"))
    assert len(template.slots) >= 3 and set(template.slots) == {"1801-01-01", "Patient/s-p"}
    expected = orjson.dumps(validated(orjson.loads(raw))).decode()
    for index, text in enumerate(orjson.dumps(s).decode() for s in sorted(values, key=len)):
        expected = expected.replace(text, f"\0{index}\0")  # no value can be taken for a sentinel
    for index, key in enumerate(sorted(values, key=len)):
        expected = expected.replace(f"\0{index}\0", orjson.dumps(values[key]).decode())
    assert fill_template(template, values) == orjson.loads(expected)


def test_a_template_without_sentinels_is_the_validated_resource() -> None:
    resource = _our_request(REGIMENS[0], "plan", "p", date(2026, 1, 1), POLICY, TERM)
    template = validated_template(orjson.dumps(resource), ())
    assert template.slots == () and fill_template(template, {"p": "x"}) == validated(resource)


def test_each_fill_is_a_fresh_resource() -> None:
    """Nothing of one call's resource is shared with the next: changing it changes no later answer."""
    resource = _our_request(REGIMENS[0], "order", "s-p", date(1801, 1, 1), POLICY, TERM)
    template = validated_template(orjson.dumps(resource), ("Patient/s-p",))
    first = fill_template(template, {"Patient/s-p": "Patient/a"})
    first["dosageInstruction"][0]["timing"]["repeat"].clear()
    first["meta"]["tag"].append({"code": "changed"})
    assert fill_template(template, {"Patient/s-p": "Patient/a"}) == validated(
        {**resource, "subject": {"reference": "Patient/a"}}
    )
