"""First contact: a configuration the service cannot run with is one line, exit code 2, no traceback.

Settings (env and ``create_app`` keys), the policy file and command-line options each name the
variable or key, the value, the expected form and, for an unknown name, the closest valid one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from plugin.clinical.policy import PolicyError, load_policy
from plugin.settings import SettingsError, load_settings
from tests.paths import REPO_ROOT, SCENARIOS

CLI = Path(sys.executable).with_name("naltrexone-cds")
SCENARIO = SCENARIOS / "r2-short-acting-5-days.json"

# (env variable, value, what the line must say, reason)
ENV_ROWS = [
    (
        "FHIR_TIMEOUT",
        "2s",
        "NALTREXONE_CDS_FHIR_TIMEOUT='2s': expected a number of seconds > 0",
        "not a number",
    ),
    (
        "FHIR_TIMEOUT",
        "0",
        "NALTREXONE_CDS_FHIR_TIMEOUT='0': expected a number of seconds > 0",
        "out of range",
    ),
    ("WORKERS", "7.9", "NALTREXONE_CDS_WORKERS='7.9': expected a whole number >= 0", "7.9 is not 7"),
    (
        "MAX_BODY_BYTES",
        "-1",
        "NALTREXONE_CDS_MAX_BODY_BYTES='-1': expected a whole number of bytes >= 1",
        "range",
    ),
    (
        "WORKER_TIMEOUT",
        "-1",
        "NALTREXONE_CDS_WORKER_TIMEOUT='-1': expected a number of seconds above",
        "range",
    ),
    (
        "NOW",
        "2026-11-25junk",
        "NALTREXONE_CDS_NOW='2026-11-25junk': expected an ISO date YYYY-MM-DD",
        "junk date",
    ),
    ("NOW", "tomorrow", "NALTREXONE_CDS_NOW='tomorrow': expected an ISO date YYYY-MM-DD", "not a date"),
    ("LOG_JSON", "maybe", "NALTREXONE_CDS_LOG_JSON='maybe': expected true or false", "not a boolean"),
    (
        "TRUSTED_ISSUERS",
        "[1]",
        "NALTREXONE_CDS_TRUSTED_ISSUERS='[1]': expected a JSON object",
        "not an object",
    ),
    ("AUTH", "jwtt", "NALTREXONE_CDS_AUTH='jwtt': expected 'jwt' or 'none'; did you mean jwt?", "typo"),
    (
        "PUBLC_URL",
        "https://x",
        "NALTREXONE_CDS_PUBLC_URL='https://x': not a setting; did you mean NALTREXONE_CDS_PUBLIC_URL?",
        "unknown variable: closest name",
    ),
    (
        "DATABASE_ULR",
        "postgresql://u:secret@db/x",
        "NALTREXONE_CDS_DATABASE_ULR='postgresql://***@db/x': not a "
        "setting; did you mean NALTREXONE_CDS_DATABASE_URL?",
        "credentials masked",
    ),
]


@pytest.mark.parametrize(("variable", "value", "says", "reason"), ENV_ROWS, ids=[r[-1] for r in ENV_ROWS])
def test_env_setting_errors_name_variable_value_and_form(
    variable: str, value: str, says: str, reason: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={f"NALTREXONE_CDS_{variable}": value})
    assert str(caught.value) == says or str(caught.value).startswith(says), reason
    assert "\n" not in str(caught.value) and "secret" not in str(caught.value)


def test_other_prefixed_variables_are_not_settings_but_allowed() -> None:
    settings = load_settings(
        environ={"NALTREXONE_CDS_SCENARIOS_DIR": "x", "NALTREXONE_CDS_TEST_POSTGRES_URL": "y"}
    )
    assert settings.auth == "jwt"


def test_unknown_create_app_key_names_the_closest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^fhir_timeot=3: not a setting; did you mean fhir_timeout\?$"):
        create_app({"auth": "none", "state_dir": str(tmp_path), "fhir_timeot": 3})


def test_a_float_for_a_whole_number_key_is_refused_not_truncated(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="WORKERS=7.9"):
        load_settings({"workers": 7.9}, environ={})
    assert load_settings({"workers": 3.0}, environ={}).workers == 3


# (policy file text, what the line must say after "policy file <path>: ", reason)
POLICY_ROWS = [
    (
        "oral_fill_days = 0\n",
        "oral_fill_days = 0: expected a whole number of days >= 1",
        "was a 500 on every suggestion",
    ),
    (
        "short_acting_critical_days = 7.9\n",
        "short_acting_critical_days = 7.9: expected a whole number of days >= 0",
        "7.9 silently became 7",
    ),
    (
        "short_acting_critical_dayz = 9\n",
        "short_acting_critical_dayz = 9: not a threshold; did you mean short_acting_critical_days?",
        "typo: closest key",
    ),
    (
        "liver_disease_oral_indicator = 'crit'\n",
        "liver_disease_oral_indicator = 'crit': expected one of info, "
        "warning, critical; did you mean critical?",
        "indicator typo",
    ),
    ("alt_uln_default = 0\n", "alt_uln_default = 0: expected a number > 0", "a zero ULN divides by zero"),
    (
        "urine_screen_lookback_days = true\n",
        "urine_screen_lookback_days = True: expected a whole number of days >= 0",
        "a boolean is not a number",
    ),
    (
        "short_acting_critical_days = 12\n",
        "short_acting_warning_days = 10: expected >= short_acting_critical_days (12)",
        "windows out of order",
    ),
    (
        "course_minimum_days = 400\n",
        "course_usual_days = 365: expected >= course_minimum_days (400)",
        "course order",
    ),
    ("= broken\n", "not valid TOML (Invalid statement (at line 1, column 1))", "syntax"),
]


@pytest.mark.parametrize(("text", "says", "reason"), POLICY_ROWS, ids=[r[-1] for r in POLICY_ROWS])
def test_policy_errors_name_key_value_and_form(tmp_path: Path, text: str, says: str, reason: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert str(caught.value) == f"policy file {path}: {says}", reason


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NALTREXONE_CDS_")}
    return subprocess.run(
        [str(CLI), *args], cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=120
    )


def _one_line_exit_2(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr


def _held_port() -> socket.socket:
    """A listening socket on a free port: a server that tried to bind it first would fail differently."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    return held


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"NALTREXONE_CDS_AUTH": "jwt"}, "NALTREXONE_CDS_PUBLIC_URL='': expected"),
        (
            {"NALTREXONE_CDS_AUTH": "jwt", "NALTREXONE_CDS_PUBLIC_URL": "https://cds.example.org"},
            "NALTREXONE_CDS_TRUSTED_ISSUERS='': expected",
        ),
        (
            {"NALTREXONE_CDS_AUTH": "none", "NALTREXONE_CDS_FHIR_TIMEOUT": "2s"},
            "NALTREXONE_CDS_FHIR_TIMEOUT='2s'",
        ),
        (
            {"NALTREXONE_CDS_AUTH": "none", "NALTREXONE_CDS_POLICY_FILE": "missing.toml"},
            "policy file missing.toml",
        ),
        (  # the watchdog would end calls still waiting, as they may, for FHIR
            {"NALTREXONE_CDS_AUTH": "none", "NALTREXONE_CDS_WORKER_TIMEOUT": "2"},
            "NALTREXONE_CDS_WORKER_TIMEOUT=2: expected a number of seconds above NALTREXONE_CDS_FHIR_TIMEOUT",
        ),
    ],
    ids=[
        "jwt-without-public-url",
        "jwt-without-issuers",
        "bad-setting",
        "missing-policy-file",
        "watchdog-within-fhir-timeout",
    ],
)
def test_serve_refuses_before_binding_or_creating_files(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    state = tmp_path / "state"
    with _held_port() as held:
        port = str(held.getsockname()[1])
        done = _cli(
            "serve", "--port", port, env={**env, "NALTREXONE_CDS_STATE_DIR": str(state)}, cwd=tmp_path
        )
    _one_line_exit_2(done, f"naltrexone-cds: configuration error: {says}")
    assert not state.exists() and list(tmp_path.iterdir()) == [], "a file was created before the check"


def test_evaluate_offline_prints_the_response_and_no_warning() -> None:
    done = _cli("evaluate", str(SCENARIO))
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{") and '"R2"' in done.stdout
    assert done.stderr == "", "offline evaluation serves nothing: no 'never expose' warning, no access line"


def test_evaluate_now_error_names_the_option() -> None:
    done = _cli("evaluate", str(SCENARIO), "--now", "tomorrow")
    _one_line_exit_2(done, "Invalid value for '--now': 'tomorrow': expected an ISO date YYYY-MM-DD")


def test_seed_fhir_unknown_scenario_lists_the_valid_names() -> None:
    done = _cli("seed-fhir", "http://127.0.0.1:9/fhir", "--scenario", "r2-short-acting-55-days")
    _one_line_exit_2(done, "Invalid value for '--scenario': no scenario 'r2-short-acting-55-days'")
    assert "did you mean r2-short-acting-5-days?" in done.stderr
    assert all(p.stem in done.stderr for p in SCENARIOS.glob("*.json"))


def test_serve_port_out_of_range_is_one_line() -> None:
    _one_line_exit_2(_cli("serve", "--port", "99999"), "Invalid value for '--port'")


def test_make_run_takes_port_and_host_from_the_command_line_only() -> None:
    env: dict[str, Any] = {**os.environ, "PORT": "1", "HOST": "example.invalid"}
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123", "HOST=0.0.0.0"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "serve --dev --host 0.0.0.0 --port 8123" in dry.stdout, dry.stdout
    default = subprocess.run(["make", "-n", "run"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert "serve --dev --host 127.0.0.1 --port 8080" in default.stdout, "a shell HOST/PORT must not leak in"


def test_readme_curl_lines_follow_make_run() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    curls = [
        line for line in readme.splitlines() if line.lstrip().startswith("curl ") or "/cds-services/" in line
    ]
    quick = readme[readme.index("## Quick start") : readme.index("## Services")]
    assert "`make run PORT=" in quick and "SERVICE=http://127.0.0.1:8080" in quick
    assert all("localhost:8080" not in line for line in curls)
    assert "$SERVICE/cds-services" in quick


def test_evaluate_in_process_leaves_the_access_log_as_it_was() -> None:
    import logging

    from click.testing import CliRunner

    from plugin.ops.cli import main

    access = logging.getLogger("naltrexone_cds.access")
    before = access.level
    assert CliRunner().invoke(main, ["evaluate", str(SCENARIO)]).exit_code == 0
    assert access.level == before
