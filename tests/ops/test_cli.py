"""The command line: evaluate a scenario offline, help on every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.ops.cli import main
from tests.paths import SCENARIOS

SCENARIO = SCENARIOS / "r2-short-acting-5-days.json"


def test_evaluate_prints_the_response() -> None:
    result = CliRunner().invoke(main, ["evaluate", str(SCENARIO)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout[result.stdout.index("{") :])
    assert [c["source"]["topic"]["code"] for c in body["cards"]] == ["R2"]


def test_evaluate_now_option_changes_today() -> None:
    result = CliRunner().invoke(main, ["evaluate", str(SCENARIO), "--now", "2027-01-01"])
    body = json.loads(result.stdout[result.stdout.index("{") :])
    codes = [c["source"]["topic"]["code"] for c in body["cards"]]
    assert "R2" not in codes and "CLEAN" in codes  # a month later the opioid window has passed


def test_evaluate_rejects_a_non_json_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = CliRunner().invoke(main, ["evaluate", str(bad)])
    assert result.exit_code != 0 and "not valid JSON" in result.output


@pytest.mark.parametrize("command", [[], ["evaluate"], ["serve"]])
def test_help_on_every_command(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
