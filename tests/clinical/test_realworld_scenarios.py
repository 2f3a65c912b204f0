"""The real-world-shaped corpus (tests/scenarios/realworld): each record through the HTTP API.

Every file is a whole hook request shaped after a public source (FHIR R4 and US Core examples, the CDC
opioid CDS IG test requests, EHR sandbox documentation, Synthea) with the clinically right judgement,
the reason for it and the source of the shape.  docs/test-corpus.md lists every scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clinical.test_scenarios import test_scenario as run_scenario
from tests.paths import REPO_ROOT, SCENARIOS

REALWORLD = sorted((SCENARIOS / "realworld").glob("*.json"))
CORPUS_DOC = REPO_ROOT / "docs" / "test-corpus.md"


def test_the_corpus_is_large() -> None:
    assert len(REALWORLD) >= 40


@pytest.mark.parametrize("path", REALWORLD, ids=[p.stem for p in REALWORLD])
def test_realworld_scenario(path: Path, tmp_path: Path) -> None:
    scenario = json.loads(path.read_text())
    assert scenario["source"].strip() and scenario["reason"].strip(), "say where the shape came from and why"
    run_scenario(path, tmp_path)


def test_every_scenario_is_in_the_corpus_table() -> None:
    listed = CORPUS_DOC.read_text()
    missing = [p.stem for p in REALWORLD if f"`{p.stem}`" not in listed]
    assert not missing, f"add to docs/test-corpus.md: {missing}"
