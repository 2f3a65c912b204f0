"""Thresholds live in one policy file a hospital can override without code changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin import create_app
from plugin.clinical.policy import Policy, PolicyError, load_policy
from tests import builders as b


def test_defaults_follow_clinical_rules() -> None:
    p = Policy()
    assert (p.short_acting_critical_days, p.short_acting_warning_days) == (7, 10)
    assert p.long_acting_critical_days == 14
    assert (p.xr_buprenorphine_critical_days, p.xr_buprenorphine_warning_days) == (183, 365)
    assert (p.course_usual_days, p.course_minimum_days) == (365, 180)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("site.toml", "short_acting_critical_days = 9\nshort_acting_warning_days = 12\n"),
        ("site.yaml", "short_acting_critical_days: 9\nshort_acting_warning_days: 12\n"),
    ],
)
def test_file_overrides(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    policy = load_policy(str(path))
    assert (policy.short_acting_critical_days, policy.short_acting_warning_days) == (9, 12)
    assert policy.long_acting_critical_days == 14


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("short_acting_critical_dayz = 9\n", "not a threshold; did you mean short_acting_critical_days"),
        ("short_acting_critical_days = 'nine'\n", "expected a whole number of days >= 0"),
        ("short_acting_critical_days = 12\n", "short_acting_warning_days = 10: expected >= "),
        ("= broken", "not valid TOML"),
    ],
)
def test_bad_policy_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(str(path))


def test_policy_file_changes_a_decision(tmp_path: Path) -> None:
    """Last dose 8 days ago is a warning by default and critical under a stricter site policy."""
    request = b.hook_request(
        [b.naltrexone_draft()], [b.med_request("o", b.OXYCODONE, authored="2026-11-12", supply_days=5)]
    )
    path = tmp_path / "policy.toml"
    path.write_text("short_acting_critical_days = 10\nshort_acting_warning_days = 14\n")
    base = {"auth": "none", "now": "2026-11-25", "state_dir": str(tmp_path)}
    default = create_app(base).test_client().post("/cds-services/naltrexone-order-sign", json=request)
    strict = (
        create_app({**base, "policy_file": str(path)})
        .test_client()
        .post("/cds-services/naltrexone-order-sign", json=request)
    )
    assert default.get_json()["cards"][0]["indicator"] == "warning"
    assert strict.get_json()["cards"][0]["indicator"] == "critical"
