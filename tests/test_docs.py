"""The repository stands alone: its clinical reference defines every citation the code uses, and nothing
points outside the repository or at tracker issue numbers."""

from __future__ import annotations

import re
from pathlib import Path

from plugin.clinical.policy import Policy
from plugin.clinical.rules import ALL_RULES
from tests.paths import REPO_ROOT

RULES_DOC = REPO_ROOT / "docs" / "clinical-rules.md"
SCANNED = ("plugin", "scripts", "fhir_profiles", "docs", "bench", "tests")
SUFFIXES = {".py", ".md", ".json", ".toml", ".yaml", ".yml", ".txt", ".html", ".js"}
OUTSIDE = re.compile(r"\.\./shared|/work/shared|clinical_rules\.md|codes\.md|[Ii]ssue[- ]?#?\d+")
CITATION = re.compile(r"\[([LSAFH]\d+|LT)\]")


def _files() -> list[Path]:
    files = [
        REPO_ROOT / name for name in ("README.md", "CHANGELOG.md", "Makefile", "Dockerfile", "pyproject.toml")
    ]
    for top in SCANNED:
        files += [p for p in (REPO_ROOT / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return [p for p in files if p.exists() and p != Path(__file__)]


def _defined() -> dict[str, list[str]]:
    """Citation key -> the cells of its row in the Sources table (title, publisher, date, URL)."""
    rows = {}
    for line in RULES_DOC.read_text().splitlines():
        match = re.match(r"\| \[([^\]]+)\] \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_nothing_points_outside_the_repository_or_at_issue_numbers() -> None:
    offenders = [
        f"{p.relative_to(REPO_ROOT)}: {m.group(0)}"
        for p in _files()
        for m in OUTSIDE.finditer(p.read_text(errors="replace"))
    ]
    assert offenders == []


def test_every_citation_used_is_defined_with_title_publisher_date_and_url() -> None:
    defined = _defined()
    for key, (title, publisher, when, url) in defined.items():
        assert title and publisher and when and url.startswith(("https://", "http://")), key
    used = {m.group(1) for p in _files() for m in CITATION.finditer(p.read_text(errors="replace"))}
    assert used <= set(defined), (
        f"cited but not defined in docs/clinical-rules.md: {sorted(used - set(defined))}"
    )


def test_every_rule_and_policy_key_is_in_the_clinical_reference() -> None:
    text = RULES_DOC.read_text()
    for rule_id, _ in ALL_RULES:
        assert f"| {rule_id} |" in text, rule_id
    for name in Policy.__dataclass_fields__:
        if not name.startswith("urine_cutoff_"):  # one pattern, `urine_cutoff_<analyte>_ng_ml`
            assert f"`{name}`" in text, name
    assert "See also" in text and "docs/urine-drug-screens.md" in text and "docs/test-corpus.md" in text
