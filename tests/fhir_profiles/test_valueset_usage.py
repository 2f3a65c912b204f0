"""Every value set named in Python exists, and every value set file is used (code, script or profile)."""

from __future__ import annotations

import ast
import json

from plugin.clinical.terminology import PROFILES_DIR, default_terminology
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
TERM_CALLS = {
    "any_in",
    "contains",
    "mentions",
    "first",
    "codes",
    "url",
    "conditions_in",
    "conditions_ever",
    "service_request",
}


def _python_strings() -> tuple[set[str], set[str]]:
    """(value-set names passed to terminology calls, every string constant) in plugin/."""
    named: set[str] = set()
    constants: set[str] = set()
    for path in (ROOT / "plugin").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in TERM_CALLS:
                    named |= {
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant)
                        and isinstance(a.value, str)
                        and "-" in a.value
                        and " " not in a.value
                    }
    return named, constants


def test_every_named_valueset_exists() -> None:
    named, _ = _python_strings()
    assert named, "no terminology calls found"
    assert named <= set(default_terminology().names), named - set(default_terminology().names)


def test_every_valueset_file_is_used() -> None:
    _, constants = _python_strings()
    profiles = " ".join(p.read_text() for p in (PROFILES_DIR / "structuredefinitions").glob("*.json"))
    unused = [
        name
        for name in default_terminology().names
        if name not in constants and default_terminology().url(name) not in profiles
    ]
    assert unused == []


def test_valuesets_have_canonical_url_and_version() -> None:
    for path in (PROFILES_DIR / "valuesets").glob("*.json"):
        vs = json.loads(path.read_text())
        assert vs["url"].endswith("/" + vs["id"]) and vs["version"], path.name
