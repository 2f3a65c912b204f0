"""Card text templates are filled from a compiled form (the policy and the quoted constants put in once
per policy): every template gives what formatting it with all the fields at once gives."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.answer import phrases, texts, wording
from plugin.clinical.answer.texts import fields, fill, finished
from plugin.clinical.policy import Policy


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, wording.Wording):
        return [value.summary, value.advice]
    return []


TEMPLATES = sorted(
    {
        s
        for module in (wording, phrases)
        for name, value in vars(module).items()
        for s in _strings(value)
        if "{" in s and not name.startswith("__")
    }
    | {s for value in wording.WORDING.values() for s in _strings(value)}
)
# Templates of our own that exercise what the card text does not use today.
ODD = [
    "{p.xr_interval_days:>5} {xr_mg!r} {{literal}} {regimens!s:.8}",
    "{date!r} {days:>4} {what[0]} {p.course_usual_days:{width}}",
    "{unknown.attribute}",
]
POLICIES = [
    Policy(),
    Policy(short_acting_critical_days=10, short_acting_warning_days=14, xr_interval_days=35),
]
VALUES: list[dict[str, Any]] = [
    {},
    {"date": "2026-11-20", "days": 3, "safe": "2026-11-28", "what": "oxycodone {x}", "reason": "timeout"},
    {"day": "undated", "course": 30.0, "tests": "Observation/u-1", "why": "cannot detect fentanyl"},
    {
        "analytes": "fentanyl",
        "reasons": "- a: b",
        "width": 6,
        "what": "ab",
        "days": 12,
        "date": date(2026, 1, 2),
    },
]


def _formatted(template: str, policy: Policy, values: dict[str, Any]) -> str | type[Exception]:
    try:
        return template.format_map(fields(policy, **values))
    except (ValueError, KeyError, AttributeError, IndexError, TypeError) as exc:
        return type(exc)


def _filled(template: str, policy: Policy, values: dict[str, Any]) -> str | type[Exception]:
    try:
        return fill(template, policy, **values)
    except (ValueError, KeyError, AttributeError, IndexError, TypeError) as exc:
        return type(exc)


@pytest.mark.parametrize("template", TEMPLATES + ODD)
def test_a_compiled_template_fills_as_formatting_it_whole(template: str) -> None:
    for policy in POLICIES:
        for values in VALUES:
            assert _filled(template, policy, values) == _formatted(template, policy, values), values


@pytest.mark.parametrize("template", TEMPLATES + ODD)
def test_a_template_is_finished_exactly_when_no_call_value_changes_it(template: str) -> None:
    for policy in POLICIES:
        done = finished(template, policy)
        filled = {_filled(template, policy, values) for values in VALUES}
        assert (done is not None) == (filled == {done}), filled


def test_every_wording_template_is_covered() -> None:
    assert len(TEMPLATES) > 40 and wording.WITHDRAWAL_WARNING in TEMPLATES and phrases.BLOCKADE in TEMPLATES


def test_a_template_without_call_fields_is_finished_once_per_policy() -> None:
    policy = Policy(liver_test_lookback_days=45)
    summary = wording.WORDING["R10"].summary
    first = fill(summary, policy)
    assert "45 days" in first and fill(summary, policy, date="x") is first
    assert "45 days" not in fill(summary, Policy())


def test_compiled_templates_are_keyed_on_our_text_and_the_policy_only() -> None:
    """Many calls with different values: one compiled template, never a value a request sent."""
    texts._BY_POLICY.clear()
    policy = Policy()
    for n in range(50):
        fill(wording.WORDING["R9"].summary, policy, what=f"ALT {n}", date=f"2026-01-{n % 28 + 1:02d}")
    assert [list(entry[1]) for entry in texts._BY_POLICY.values()] == [[wording.WORDING["R9"].summary]]
