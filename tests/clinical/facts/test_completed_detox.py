"""R6 facts: which finished encounters and procedures are a completed detox, and the day it ended
(table-driven, the reason in each row)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.facts.activities import walk_activities
from plugin.clinical.facts.findings import CodeSets
from plugin.clinical.terminology import default_terminology
from plugin.fhir.clinical import read_activity
from tests.builders import CHECK_UP_CODE, DETOX_CODE

TERM = default_terminology()
DETOX, OTHER = DETOX_CODE, CHECK_UP_CODE

# (resource, the day the completed detox ended (None: no completed detox), reason)
COMPLETED_ROWS: list[tuple[dict[str, Any], date | None, str]] = [
    (
        {
            "resourceType": "Procedure",
            "id": "p",
            "status": "completed",
            "code": DETOX,
            "performedPeriod": {"start": "2026-10-01", "end": "2026-10-05"},
        },
        date(2026, 10, 5),
        "a completed detox procedure ends with its period",
    ),
    (
        {
            "resourceType": "Procedure",
            "id": "p",
            "status": "completed",
            "code": DETOX,
            "performedDateTime": "2026-10-03",
        },
        date(2026, 10, 3),
        "without a period, the day it was performed",
    ),
    (
        {"resourceType": "Procedure", "id": "p", "status": "in-progress", "code": DETOX},
        None,
        "still in progress: open, not completed",
    ),
    (
        {"resourceType": "Procedure", "id": "p", "status": "completed", "code": OTHER},
        None,
        "another procedure",
    ),
    (
        {"resourceType": "Procedure", "id": "p", "status": "entered-in-error", "code": DETOX},
        None,
        "entered in error",
    ),
    (
        {
            "resourceType": "Encounter",
            "id": "e",
            "status": "finished",
            "type": [OTHER, DETOX],
            "period": {"start": "2026-09-01", "end": "2026-09-08"},
        },
        date(2026, 9, 8),
        "a finished encounter with a detox type among its types",
    ),
    (
        {"resourceType": "Encounter", "id": "e", "status": "finished", "type": [OTHER]},
        None,
        "a finished check-up",
    ),
    (
        {"resourceType": "Encounter", "id": "e", "status": "cancelled", "type": [DETOX]},
        None,
        "a cancelled detox encounter",
    ),
    (
        {"resourceType": "EpisodeOfCare", "id": "c", "status": "finished", "type": [DETOX]},
        None,
        "an episode of care is only ever open detox",
    ),
]


@pytest.mark.parametrize(("resource", "ended", "reason"), COMPLETED_ROWS, ids=[r[2] for r in COMPLETED_ROWS])
def test_completed_detox(resource: dict[str, Any], ended: date | None, reason: str) -> None:
    walk = walk_activities([read_activity(resource, "k")], CodeSets(TERM))
    assert [e.when for e in walk.completed] == ([ended] if ended else []), reason
