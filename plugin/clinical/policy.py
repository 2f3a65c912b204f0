"""Every clinical threshold in one place, with its rule id and source.

Defaults, their rules and sources: docs/clinical-rules.md.  A hospital overrides any of them in one
TOML or YAML file named by ``NALTREXONE_CDS_POLICY_FILE``; unknown keys are refused so a typo cannot
silently keep a default.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

# The configurable severities (R8) are CDS Hooks card indicators.
INDICATOR_CHOICES = ("info", "warning", "critical")


class PolicyError(ValueError):
    """Raised when the policy file is unreadable or names an unknown threshold."""


@dataclass(frozen=True, kw_only=True)
class Policy:
    # R2 - short-acting opioids: label asks 7-10 opioid-free days (docs/clinical-rules.md [L1][L4]).
    short_acting_critical_days: int = 7
    short_acting_warning_days: int = 10
    # R3 - methadone/buprenorphine/ER opioids: "as long as two weeks" [L1][L4]; SAMHSA 10-14 d [S1].
    long_acting_critical_days: int = 14
    # R3 - XR buprenorphine injection/implant: releases drug for months (no label figure; expert
    # default): 6/12 months.
    xr_buprenorphine_critical_days: int = 183
    xr_buprenorphine_warning_days: int = 365
    # R1 - supply assumed for an order with no duration or validity period (CDC relevant period).
    default_supply_days: int = 30
    # R4 - positive opioid urine screen counts when effective within this many days.
    urine_screen_lookback_days: int = 14
    # R4 - a quantitative urine result with no reference range is positive at or above the cutoff of
    # the analyte its test names (ng/mL; a test naming several uses the highest).  Policy defaults from
    # common clinical immunoassay and federal workplace cutoffs (docs/urine-drug-screens.md); the
    # lab's own cutoff (referenceRange.high) always wins.
    urine_cutoff_morphine_ng_ml: float = 300.0
    urine_cutoff_codeine_ng_ml: float = 300.0
    urine_cutoff_heroin_ng_ml: float = 10.0
    urine_cutoff_hydrocodone_ng_ml: float = 100.0
    urine_cutoff_hydromorphone_ng_ml: float = 100.0
    urine_cutoff_oxycodone_ng_ml: float = 100.0
    urine_cutoff_oxymorphone_ng_ml: float = 100.0
    urine_cutoff_fentanyl_ng_ml: float = 1.0
    urine_cutoff_methadone_ng_ml: float = 100.0
    urine_cutoff_buprenorphine_ng_ml: float = 5.0
    urine_cutoff_tramadol_ng_ml: float = 100.0
    # R5 - failed naloxone challenge counts within this many days (repeat after >= 24 h [L3]).
    naloxone_challenge_lookback_days: int = 7
    # R6 - current dependence/withdrawal Condition recorded within this many days.
    dependence_lookback_days: int = 30
    # R6 - a completed detox must have ended at least this many days ago (opioid-free interval).
    detox_completed_min_days: int = 7
    # Suggestion course (docs/clinical-rules.md: seed leaflet, configurable).
    course_usual_days: int = 365
    course_minimum_days: int = 180
    # Regimens (1.8 [L1][L3]; section 6): oral tablet strength and supply per fill.
    oral_tablet_mg: float = 50.0
    oral_fill_days: int = 30
    xr_interval_days: int = 28
    # R12 - how long a naltrexone dose blocks opioids: 50 mg about 24 h, the 150 mg every-third-day
    # regimen 72 h (docs/clinical-rules.md [L1]); XR injectable about 28 days [L4], "~4-5 weeks"
    # allowed for late or irregular injections : 35 days.
    oral_blockade_days: int = 3
    xr_blockade_days: int = 35
    # R7 - a negative opioid urine screen this recent documents opioid-free status (rule table R7).
    oud_negative_screen_days: int = 3
    # R8 - active acute hepatitis/liver failure: critical for oral (older oral labels' contraindication
    # [L2]); the XR label removed it in 2013 [L4] -> warning.  "critical" | "warning" | "info".
    liver_disease_oral_indicator: str = "critical"
    liver_disease_xr_indicator: str = "warning"
    # R9/R10 - liver tests count within this many days (rule table R9, R10; policy default).
    liver_test_lookback_days: int = 90
    # R9 - ALT/AST >= 5 x ULN -> warning; >= 3 x ULN with bilirubin >= 2 x ULN (Hy's law) -> critical
    # (FDA DILI conventions [F1], docs/clinical-rules.md: policy defaults, not label text).
    transaminase_warning_uln: float = 5.0
    hys_law_transaminase_uln: float = 3.0
    hys_law_bilirubin_uln: float = 2.0
    # R9 - ULN when the Observation has no referenceRange.high (e.g. ALT 40 U/L; common
    # adult reference ranges, configurable).
    alt_uln_default: float = 40.0
    ast_uln_default: float = 40.0
    bilirubin_uln_mg_dl_default: float = 1.2
    bilirubin_uln_umol_l_default: float = 21.0
    # R11 - opioid exposure this recent means lost tolerance after detox (rule table R11: 12 months).
    tolerance_exposure_lookback_days: int = 365
    # R11 - a naloxone/nalmefene rescue product authored within this many days counts as on hand.
    rescue_lookback_days: int = 365
    # R13 - surgery within this many days of the start: hold oral naltrexone 72 h before elective
    # surgery, XR about 30 days (docs/clinical-rules.md [A2]; rule table R13).
    surgery_window_oral_days: int = 3
    surgery_window_xr_days: int = 30
    # R16 - no opioid exposure within this many days (rule table R16: 24 months).
    aud_opioid_free_lookback_days: int = 730
    # R17 - alcohol intoxication/withdrawal diagnosis this recent = still drinking (rule table R17).
    alcohol_acute_lookback_days: int = 7


# Whole-number keys that must be at least 1 (a zero fill, interval, course or supply means nothing);
# every other whole number may be 0, and every decimal must be above 0.
_AT_LEAST_ONE = frozenset(
    {"oral_fill_days", "xr_interval_days", "course_usual_days", "default_supply_days", "oral_blockade_days"}
)


def _expected(name: str, kind: str) -> str:
    if kind == "str":
        return "one of " + ", ".join(INDICATOR_CHOICES)
    if kind == "float":
        return "a number > 0"
    unit = " of days" if name.endswith("_days") else ""
    return f"a whole number{unit} >= {1 if name in _AT_LEAST_ONE else 0}"


def _typed(name: str, kind: str, value: Any) -> Any:
    """``value`` as the field's type, or None when it is not of the expected form."""
    if kind == "str":
        return value if value in INDICATOR_CHOICES else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if kind == "float":
        return float(value) if value > 0 else None
    if not float(value).is_integer():  # 7.9 days is not 7
        return None
    return int(value) if value >= (1 if name in _AT_LEAST_ONE else 0) else None


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PolicyError(f"policy file {path}: cannot read it ({exc.strerror})") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path}: not valid TOML ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise PolicyError(f"policy file {path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {path}: expected a mapping of threshold names to values")
    return data


def load_policy(path: str | None = None) -> Policy:
    """Defaults, overridden by the file at ``path`` when given.

    Anything not understood - an unknown key, a value of the wrong form or out of range, a warning
    window shorter than its critical one - raises ``PolicyError`` with one line naming it.
    """
    policy = Policy()
    if not path:
        return policy
    overrides = _read(Path(path))
    known = {f.name: str(f.type) for f in fields(Policy)}
    typed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in known:
            match = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {match[0]}?" if match else ""
            raise PolicyError(f"policy file {path}: {name} = {value!r}: not a threshold{hint}")
        converted = _typed(name, known[name], value)
        if converted is None:
            expected = _expected(name, known[name])
            match = (
                difflib.get_close_matches(str(value), INDICATOR_CHOICES, n=1) if known[name] == "str" else []
            )
            hint = f"; did you mean {match[0]}?" if match else ""
            raise PolicyError(f"policy file {path}: {name} = {value!r}: expected {expected}{hint}")
        typed[name] = converted
    policy = replace(policy, **typed)
    for low, high in (
        ("short_acting_critical_days", "short_acting_warning_days"),
        ("xr_buprenorphine_critical_days", "xr_buprenorphine_warning_days"),
        ("course_minimum_days", "course_usual_days"),
    ):
        above, below = getattr(policy, high), getattr(policy, low)
        if above < below:
            raise PolicyError(f"policy file {path}: {high} = {above}: expected >= {low} ({below})")
    return policy


@dataclass(frozen=True)
class ScheduledDose:
    mg: float
    frequency: int = 1
    period_days: int = 1  # every N days (ignored when days_of_week is set)
    days_of_week: tuple[str, ...] = ()


@dataclass(frozen=True)
class Regimen:
    id: str
    label: str
    form: str  # "oral" | "xr-injectable"
    doses: tuple[ScheduledDose, ...]


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# The documented regimens (docs/clinical-rules.md; labels [L1][L3][L4]).  All oral ones give
# 350 mg/week; the XR injectable is 380 mg IM every 4 weeks.
REGIMENS: tuple[Regimen, ...] = (
    Regimen("oral-50mg-daily", "50 mg by mouth once daily", "oral", (ScheduledDose(50),)),
    Regimen(
        "oral-100mg-every-other-day", "100 mg by mouth every other day", "oral", (ScheduledDose(100, 1, 2),)
    ),
    Regimen(
        "oral-150mg-every-third-day", "150 mg by mouth every third day", "oral", (ScheduledDose(150, 1, 3),)
    ),
    Regimen(
        "oral-50mg-weekdays-100mg-saturday",
        "50 mg by mouth Monday to Friday and 100 mg on Saturday",
        "oral",
        (ScheduledDose(50, days_of_week=_WEEKDAYS), ScheduledDose(100, days_of_week=("sat",))),
    ),
    Regimen(
        "xr-380mg-every-4-weeks",
        "380 mg deep IM gluteal injection every 4 weeks",
        "xr-injectable",
        (ScheduledDose(380, 1, 28),),
    ),
)
# Dosing intervals accepted as "every 4 weeks" for the XR injectable: the label says every 4 weeks or
# once a month [L4].
XR_INTERVAL_RANGE_DAYS = (28, 31)
