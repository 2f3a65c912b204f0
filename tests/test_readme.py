"""The README stays true: every setting and every CLI command is documented there."""

from __future__ import annotations

from dataclasses import fields

import click
import pytest

from plugin.ops.cli import main
from plugin.settings import ENV_PREFIX, Settings
from tests.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{ENV_PREFIX}{name.upper()}`" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command: str) -> None:
    assert f"naltrexone-cds {command}" in README
    assert isinstance(main.commands[command], click.Command)


def test_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make run", "make test"]
