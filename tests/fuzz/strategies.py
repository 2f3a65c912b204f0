"""Hypothesis strategies for hostile and half-valid CDS Hooks traffic.

Three families: arbitrary JSON (wrong types everywhere), FHIR-ish hook requests built from the codes of
our own value sets (so the fuzzer reaches the rules, not only the parser), and mutations of a valid
request (one value replaced by junk, a huge string or deep nesting).  ``EXAMPLES`` counts every
example run, for the summary line ``make fuzz`` prints.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from plugin.http.services import PREFETCH, SERVICES
from tests.builders import hook_request, naltrexone_draft
from tests.paths import REPO_ROOT

EXAMPLES: Counter[str] = Counter()
VALUESETS = REPO_ROOT / "fhir_profiles" / "valuesets"
KNOWN_CODINGS = sorted(
    {
        (c["system"], c["code"], c.get("display", ""))
        for path in sorted(VALUESETS.glob("*.json"))
        for c in json.loads(path.read_text()).get("expansion", {}).get("contains", [])
    }
)
SERVICE_IDS = sorted(SERVICES)
HOOKS = sorted({s.hook for s in SERVICES.values()})
RESOURCE_TYPES = [
    "MedicationRequest", "MedicationDispense", "MedicationStatement", "MedicationAdministration",
    "Condition", "Observation", "Procedure", "Encounter", "Medication", "OperationOutcome", "Patient",
]  # fmt: skip
# fhirServer values that never reach a real host: not allow-listed (403), or a closed loopback port.
FHIR_SERVERS = [None, "https://fhir.example.org/r4", "http://127.0.0.1:9/fhir", "not a url", ""]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
huge_strings = st.integers(min_value=10_000, max_value=400_000).map(lambda n: "\u00e9" * n)
deep_nesting = st.integers(min_value=40, max_value=200).map(lambda n: json.loads("[" * n + "]" * n))
junk = json_values | huge_strings | deep_nesting


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the well-formed value, sometimes any JSON (wrong type)."""
    return st.one_of(strategy, strategy, strategy, json_values)


dates = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.sampled_from(
        ["2026-11-25", "2026-11-18T08:00:00+01:00", "2026", "2026-11", "", "yesterday", "2026-02-30"]
    ),
)
codings = st.one_of(
    st.sampled_from(KNOWN_CODINGS).map(lambda c: {"system": c[0], "code": c[1], "display": c[2]}),
    st.fixed_dictionaries({}, optional={"system": maybe(st.text(max_size=30)), "code": json_values}),
)
concepts = st.fixed_dictionaries(
    {}, optional={"coding": maybe(st.lists(maybe(codings), max_size=3)), "text": maybe(st.text(max_size=40))}
)
quantities = st.fixed_dictionaries(
    {},
    optional={
        "value": maybe(st.floats(-1e6, 1e6)),
        "unit": maybe(st.sampled_from(["mg", "d", "days", "wk"])),
    },
)
references = st.fixed_dictionaries(
    {}, optional={"reference": maybe(st.sampled_from(["Patient/pat-1", "#med", "Medication/m1", "x"]))}
)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    """A resource of a type we read, each field well-typed or junk, any field possibly missing."""
    rtype = draw(st.sampled_from(RESOURCE_TYPES))
    fields = draw(
        st.fixed_dictionaries(
            {"resourceType": st.just(rtype)},
            optional={
                "id": maybe(st.text(min_size=1, max_size=12)),
                "status": maybe(
                    st.sampled_from(["active", "completed", "draft", "stopped", "entered-in-error"])
                ),
                "intent": maybe(st.sampled_from(["order", "plan"])),
                "subject": maybe(references),
                "code": maybe(concepts),
                "medicationCodeableConcept": maybe(concepts),
                "medicationReference": maybe(references),
                "contained": maybe(
                    st.lists(
                        st.fixed_dictionaries(
                            {"resourceType": st.just("Medication"), "id": st.just("med"), "code": concepts}
                        ),
                        max_size=1,
                    )
                ),
                "authoredOn": maybe(dates),
                "whenHandedOver": maybe(dates),
                "effectiveDateTime": maybe(dates),
                "effectivePeriod": maybe(st.fixed_dictionaries({}, optional={"start": dates, "end": dates})),
                "recordedDate": maybe(dates),
                "onsetDateTime": maybe(dates),
                "performedDateTime": maybe(dates),
                "performedPeriod": maybe(st.fixed_dictionaries({}, optional={"start": dates, "end": dates})),
                "period": maybe(st.fixed_dictionaries({}, optional={"start": dates, "end": dates})),
                "daysSupply": maybe(quantities),
                "valueCodeableConcept": maybe(concepts),
                "valueQuantity": maybe(quantities),
                "valueString": maybe(st.text(max_size=20)),
                "interpretation": maybe(st.lists(concepts, max_size=2)),
                "clinicalStatus": maybe(concepts),
                "verificationStatus": maybe(concepts),
                "category": maybe(st.lists(concepts, max_size=2)),
                "dosageInstruction": maybe(st.lists(json_values, max_size=2)),
                "dispenseRequest": maybe(json_values),
            },
        )
    )
    return fields  # type: ignore[no-any-return]


def bundles(entries: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries(
        {"resource": maybe(resources())},
        optional={
            "fullUrl": maybe(st.text(max_size=20)),
            "search": maybe(st.fixed_dictionaries({"mode": st.text()})),
        },
    )
    return st.fixed_dictionaries(
        {"resourceType": st.just("Bundle")},
        optional={
            "type": st.sampled_from(["searchset", "collection"]),
            "entry": maybe(st.lists(entry, max_size=6)),
        },
    )


prefetch_values = st.one_of(st.none(), bundles(), resources(), json_values)


@st.composite
def hook_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(service id, body): mostly the right hook for the service, every part possibly malformed."""
    service_id = draw(st.sampled_from(SERVICE_IDS))
    hook = SERVICES[service_id].hook
    drafts = maybe(st.one_of(bundles(), st.lists(resources(), max_size=3)))
    context = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "patientId": maybe(st.sampled_from(["pat-1", "Patient/pat-1", "Patient/", "Group/1", " "])),
                "userId": maybe(st.just("Practitioner/dr-1")),
                "encounterId": maybe(st.text(max_size=10)),
                "selections": maybe(
                    st.lists(st.sampled_from(["MedicationRequest/nx-draft", "x"]), max_size=2)
                ),
                "draftOrders": drafts,
                "medications": drafts,
            },
        )
    )
    body = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "hook": maybe(st.sampled_from([hook, hook, hook, *HOOKS])),
                "hookInstance": maybe(st.uuids().map(str)),
                "context": maybe(st.just(context)),
                "prefetch": maybe(
                    st.dictionaries(st.sampled_from(sorted(PREFETCH)), prefetch_values, max_size=8)
                ),
                "fhirServer": maybe(st.sampled_from(FHIR_SERVERS)),
                "fhirAuthorization": maybe(
                    st.fixed_dictionaries(
                        {"access_token": maybe(st.text(max_size=20))},
                        optional={"token_type": st.just("Bearer"), "scope": st.text(max_size=20)},
                    )
                ),
            },
        )
    )
    return service_id, body


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid order-sign request with one value replaced by junk or removed."""
    body = hook_request([naltrexone_draft()])
    body["hookInstance"] = str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
    path = draw(st.sampled_from(_paths(body)[1:]))
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(junk)
    return "naltrexone-order-sign", body


feedback_items = st.fixed_dictionaries(
    {},
    optional={
        "card": maybe(st.uuids().map(str)),
        "outcome": maybe(st.sampled_from(["accepted", "overridden", "ignored"])),
        "acceptedSuggestions": maybe(st.lists(st.fixed_dictionaries({"id": maybe(st.uuids().map(str))}))),
        "overrideReason": maybe(
            st.one_of(
                st.fixed_dictionaries(
                    {}, optional={"reason": maybe(codings), "userComment": maybe(st.text())}
                ),
                codings,
            )
        ),
        "outcomeTimestamp": maybe(st.one_of(dates, st.just("2026-11-25T10:00:00 UTC"))),
    },
)
feedback_bodies = st.one_of(
    st.fixed_dictionaries({"feedback": maybe(st.lists(feedback_items, max_size=4))}), json_values
)
