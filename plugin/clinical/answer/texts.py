"""Filling the card text templates (wording.py, phrases.py).

What a template takes from the policy and the quoted constants is the same on every call, so it is
put in once per template and policy: a call fills in only its own values (dates, days, what was
found), and a template without any is a finished string.  Nothing a request sent is ever put in
ahead of time: a compiled template is keyed on the template (our own text) and the policy object.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any

from plugin.clinical.answer import wording as w
from plugin.clinical.policy import REGIMENS, Policy

_REGIMENS = "; ".join(r.label for r in REGIMENS)  # the documented regimens, as templates name them
_FORMATTER = Formatter()
_POLICIES = 8  # policies in use at once (one per app; tests make a few)
_TEMPLATES = 512  # our templates: every string of wording.py and phrases.py, with room to spare


class _Fields(dict[str, Any]):
    """Format fields; an unknown one stays as it was written (the PlanDefinition shows templates)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _static(policy: Policy) -> dict[str, Any]:
    """What every template may name whatever the call: the policy and the quoted constants."""
    return {
        "p": policy,
        "challenge_repeat_hours": w.CHALLENGE_REPEAT_HOURS,
        "switch_after_oral_days": w.SWITCH_AFTER_ORAL_DAYS,
        "switch_after_xr_days": w.SWITCH_AFTER_XR_DAYS,
        "xr_mg": w.XR_MG,
        "regimens": _REGIMENS,
    }


def fields(policy: Policy, **values: Any) -> dict[str, Any]:
    """What a template may name: the policy, the quoted constants, and ``values``."""
    return _Fields(**_static(policy), **values)


@dataclass(frozen=True)
class _Compiled:
    text: str  # the template with its policy and constant fields put in (braces of theirs escaped)
    done: str | None  # the finished text when no field is left for a call
    needs_all: bool  # a field the call fills names a constant (a nested format spec): fill with all


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _compile(template: str, policy: Policy) -> _Compiled:
    static = _static(policy)
    out: list[str] = []
    left = needs_all = False
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        out.append(_escape(literal))
        if name is None:
            continue
        field = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        root = name.partition(".")[0].partition("[")[0]
        if root in static and "{" not in (spec or ""):
            out.append(_escape(field.format_map(static)))
            continue
        left = True
        needs_all = needs_all or root in static or "{" in (spec or "")
        out.append(field)
    if needs_all:
        return _Compiled(template, None, True)
    text = "".join(out)
    return _Compiled(text, None if left else text.format_map(_Fields()), False)


_BY_POLICY: dict[int, tuple[Policy, dict[str, _Compiled]]] = {}


def _compiled(template: str, policy: Policy) -> _Compiled:
    entry = _BY_POLICY.get(id(policy))
    if entry is None or entry[0] is not policy:  # an id is reused only once its policy is gone
        if len(_BY_POLICY) >= _POLICIES:
            _BY_POLICY.clear()
        entry = _BY_POLICY[id(policy)] = (policy, {})
    found = entry[1].get(template)
    if found is None:
        if len(entry[1]) >= _TEMPLATES:
            entry[1].clear()
        found = entry[1][template] = _compile(template, policy)
    return found


def fill(template: str, policy: Policy, **values: Any) -> str:
    """``template`` filled as ``template.format_map(fields(policy, **values))`` fills it."""
    compiled = _compiled(template, policy)
    if compiled.done is not None:
        return compiled.done
    if compiled.needs_all:
        return template.format_map(fields(policy, **values))
    return compiled.text.format_map(_Fields(values))


def finished(template: str, policy: Policy) -> str | None:
    """``template`` filled when it names no field a call fills (the call need not work its values out)."""
    return _compiled(template, policy).done
