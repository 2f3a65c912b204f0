"""A draft whose CodeableConcept has a malformed ``coding`` is judged, never a 500 (found by fuzzing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from tests.builders import hook_request, naltrexone_draft


@pytest.mark.parametrize("coding", [1.5, 7, "1483744", {"code": "1483744"}, None, True])
def test_a_coding_that_is_not_a_list_is_answered(tmp_path: Path, coding: Any) -> None:
    draft = naltrexone_draft()
    draft["medicationCodeableConcept"]["coding"] = coding
    client = create_app({"auth": "none", "state_dir": str(tmp_path)}).test_client()
    answer = client.post("/cds-services/naltrexone-order-sign", json=hook_request([draft]))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
