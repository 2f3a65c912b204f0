"""Every scenario file through the HTTP API: expected rules and indicators, valid suggestions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from plugin.fhir.models import validated
from plugin.http.services import SERVICES
from tests.paths import SCENARIOS

SCENARIO_FILES = sorted(SCENARIOS.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def service_for(hook: str) -> str:
    return next(s.id for s in SERVICES.values() if s.hook == hook)


def rule_counts(cards: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((c["source"]["topic"]["code"], c["indicator"]) for c in cards)


def test_there_are_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 20


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario(path: Path, tmp_path: Path) -> None:
    scenario = load(path)
    app = create_app({"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path)})
    request = scenario["request"]
    response = app.test_client().post(f"/cds-services/{service_for(request['hook'])}", json=request)
    assert response.status_code == 200, response.get_json()
    cards = response.get_json()["cards"]
    expected = Counter((e["rule"], e["indicator"]) for e in scenario["expected"])
    assert rule_counts(cards) == expected, scenario["description"]
    for card in cards:
        assert len(card["summary"]) < 140
        assert card["source"]["label"] and card["source"]["url"].startswith("https://")
        if card.get("suggestions"):
            assert card["selectionBehavior"] in ("at-most-one", "any")
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                if action["type"] in ("create", "update"):
                    assert validated(action["resource"]) == action["resource"]
                else:
                    assert action["resourceId"].count("/") == 1
