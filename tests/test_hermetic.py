"""An exported NALTREXONE_CDS_* variable cannot change what a test app or a test-launched server does."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ambient_settings
from tests.paths import REPO_ROOT

HOSTILE = {
    "NALTREXONE_CDS_AUTH": "jwt",  # would need PUBLIC_URL and issuers: every test app would fail
    "NALTREXONE_CDS_NOW": "2020-01-01",  # would move every window
    "NALTREXONE_CDS_POLICY_FILE": "/nonexistent/policy.toml",
    "NALTREXONE_CDS_NO_SUCH_SETTING": "1",  # refused as unknown
    "NALTREXONE_CDS_FHIR_TIMEOUT": "0.001",
    "WEB_CONCURRENCY": "many",
}


def test_no_service_variable_reaches_a_test_or_its_subprocesses() -> None:
    assert ambient_settings(os.environ) == []
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; print(sorted(k for k in os.environ if k.startswith('NALTREXONE_CDS_')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = eval(child.stdout)  # noqa: S307 - a list literal printed by the child above
    assert [name for name in seen if name != "NALTREXONE_CDS_TEST_POSTGRES_URL"] == []


def test_a_hostile_shell_changes_no_outcome() -> None:
    """The same tests under a shell exporting settings that would break each of them: still green."""
    selected = [
        "tests/test_hermetic.py::test_no_service_variable_reaches_a_test_or_its_subprocesses",
        "tests/clinical/test_scenarios.py::test_scenario[r2-short-acting-8-days]",
        "tests/ops/test_first_contact.py::test_evaluate_offline_prints_the_response_and_no_warning",
        "tests/storage/test_card_log_writer.py",  # launches `serve` as a subprocess
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *selected],
        cwd=REPO_ROOT,
        env={**os.environ, **HOSTILE},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
