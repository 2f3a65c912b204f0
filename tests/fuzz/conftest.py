"""Hypothesis profiles for the fuzz suite, chosen by ``HYPOTHESIS_PROFILE``, and the count it prints.

``ci`` (default): 5 tests x 420 examples = 2,100, well under a minute on two cores.
``fuzz`` (``make fuzz``): 5 tests x 2,100 = 10,500.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from plugin import create_app
from tests.fuzz.mutations import FIGURES
from tests.fuzz.strategies import EXAMPLES

PROFILE_ENV = "HYPOTHESIS_PROFILE"
_COMMON = {
    "deadline": None,  # a cold first request (value sets, pydantic models) must not count as a failure
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=420, **_COMMON)
settings.register_profile("fuzz", max_examples=2100, **_COMMON)
PROFILE = os.environ.get(PROFILE_ENV, "ci")
settings.load_profile(PROFILE)


@pytest.fixture(scope="session")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Dev mode (no JWT) so every example reaches parsing and evaluation; fast FHIR timeout."""
    state: Path = tmp_path_factory.mktemp("fuzz-state")
    yield create_app({"auth": "none", "state_dir": str(state), "now": "2026-11-25", "fhir_timeout": 0.5})


@pytest.fixture(scope="session")
def fuzz_client(fuzz_app: Flask) -> FlaskClient:
    return fuzz_app.test_client()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if EXAMPLES:
        per_test = ", ".join(f"{name} {count}" for name, count in sorted(EXAMPLES.items()))
        terminalreporter.write_line(
            f"fuzz: {sum(EXAMPLES.values())} hypothesis examples run (profile '{PROFILE}'): {per_test}"
        )
    if FIGURES:
        figures = ", ".join(f"{name} {count}" for name, count in FIGURES.items())
        terminalreporter.write_line(f"mutation property ({PROFILE}): {figures}")
