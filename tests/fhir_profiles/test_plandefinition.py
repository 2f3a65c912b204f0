"""The PlanDefinition and the code never drift: same rules, same wording, regenerated file unchanged."""

from __future__ import annotations

import importlib.util
import json

from plugin.clinical.answer.wording import WORDING
from plugin.clinical.rules import ALL_RULES, INDICATORS
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
PLAN = ROOT / "fhir_profiles" / "plandefinitions" / "naltrexone-cds.json"


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_plandefinition", ROOT / "scripts/build_plandefinition.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plandefinition_lists_exactly_the_registered_rules() -> None:
    listed = [a["id"] for a in json.loads(PLAN.read_text())["action"]]
    registered = [rule_id for rule_id, _ in ALL_RULES]
    assert sorted(listed) == sorted(registered), "a rule exists in one and not the other"
    assert set(registered) == set(INDICATORS)
    assert set(WORDING) == set(registered), "every card is a registered rule's"


def test_committed_plandefinition_is_generated_from_the_code() -> None:
    assert PLAN.read_text() == _builder().render(), "run: python scripts/build_plandefinition.py"


def test_each_action_has_trigger_condition_indicator_and_source() -> None:
    for action in json.loads(PLAN.read_text())["action"]:
        assert {t["name"] for t in action["trigger"]} >= {"order-select", "order-sign"}, action["id"]
        assert action["condition"][0]["expression"]["expression"].startswith("When "), action["id"]
        assert [e["valueCode"] for e in action["extension"]] == list(INDICATORS[action["id"]])
        assert action["documentation"][0]["url"].startswith("https://"), action["id"]
