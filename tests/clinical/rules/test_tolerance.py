"""R7 OUD history without documented opioid-free status; R11 lost tolerance without naloxone."""

from __future__ import annotations

import pytest

from plugin.clinical.facts.urine_screens import UrineTest, assay_of, load_assays
from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules, tolerance
from plugin.clinical.terminology import default_terminology
from tests.clinical.rules.support import ago, ev, exposure, facts

POLICY = Policy()
OUD = (ev("Condition", "oud", ago(400), "Opioid dependence, in remission"),)

R7_ROWS = [
    (OUD, (), "warning", "OUD in remission, no negative screen"),
    (OUD, (ev("Observation", "neg", ago(3)),), None, "negative opioid screen 3 days ago documents it"),
    (OUD, (ev("Observation", "neg", ago(4)),), "warning", "negative screen 4 days ago is too old"),
    ((), (), None, "no OUD history"),
]


@pytest.mark.parametrize(("oud", "negatives", "expected", "why"), R7_ROWS, ids=[r[3] for r in R7_ROWS])
def test_r7_opioid_free_undocumented(oud: tuple, negatives: tuple, expected: str | None, why: str) -> None:
    finding = tolerance.check_opioid_free_undocumented(
        facts(opioid_use_disorder=oud, negative_opioid_screens=negatives), POLICY
    )
    assert (finding.indicator if finding else None) == expected, why


ASSAYS = load_assays()
LOINC = "http://loinc.org"
MUST_RULE_OUT = frozenset(c.code for c in default_terminology().codes("opioid-free-screen-analytes"))
OPIATES, OXYCODONE, FENTANYL, METHADONE, BUPRENORPHINE = "19295-5", "19642-8", "59673-4", "19550-3", "93494-3"
FULL_PANEL = (OPIATES, OXYCODONE, FENTANYL, METHADONE, BUPRENORPHINE)


def _negatives(codes: tuple[str, ...], days_ago: int) -> tuple[UrineTest, ...]:
    out = []
    for code in codes:
        assay = assay_of([(LOINC, code)], ASSAYS)
        assert assay is not None, code
        out.append(UrineTest(ev("Observation", f"uds-{code}", ago(days_ago), code), assay, "negative"))
    return tuple(out)


# (negative tests (LOINC codes, days ago), R7 indicator, opioids it cannot detect, only partly, reason)
COVERAGE_ROWS: list[tuple[tuple[str, ...], int, str | None, tuple[str, ...], tuple[str, ...], str]] = [
    (
        (OPIATES,),
        2,
        "warning",
        ("buprenorphine", "fentanyl", "methadone"),
        ("oxycodone",),
        "an opiates immunoassay alone: blind to fentanyl, methadone, buprenorphine; oxycodone only variably",
    ),
    (
        FULL_PANEL,
        2,
        None,
        (),
        (),
        "a panel that detects every opioid that matters documents opioid-free status",
    ),
    (
        (OPIATES, FENTANYL),
        1,
        "warning",
        ("buprenorphine", "methadone"),
        ("oxycodone",),
        "opiates and fentanyl, no methadone or buprenorphine test",
    ),
    (FULL_PANEL, 4, "warning", (), (), "the full panel 4 days ago is too old: no recent negative at all"),
    ((), 0, "warning", (), (), "no negative test"),
]


@pytest.mark.parametrize(
    ("codes", "days_ago", "expected", "cannot", "partly", "why"),
    COVERAGE_ROWS,
    ids=[r[5] for r in COVERAGE_ROWS],
)
def test_r7_a_negative_counts_only_for_what_its_test_detects(
    codes: tuple[str, ...],
    days_ago: int,
    expected: str | None,
    cannot: tuple[str, ...],
    partly: tuple[str, ...],
    why: str,
) -> None:
    tests = _negatives(codes, days_ago)
    finding = tolerance.check_opioid_free_undocumented(
        facts(
            opioid_use_disorder=OUD,
            negative_opioid_screens=tuple(t.evidence for t in tests),
            negative_screen_tests=tests,
            opioid_free_analytes=MUST_RULE_OUT,
        ),
        POLICY,
    )
    assert (finding.indicator if finding else None) == expected, why
    if finding is not None:
        assert finding.data.get("cannot", ()) == cannot, why
        assert finding.data.get("partly", ()) == partly, why


R11_ROWS = [
    (OUD, (), (), (), "warning", "OUD history, no rescue product"),
    ((), (exposure("short-acting", 200),), (), (), "warning", "opioid 200 days ago: tolerance lost"),
    ((), (exposure("short-acting", 366),), (), (), None, "last opioid over 12 months ago, no OUD"),
    ((), (exposure("short-acting", 365),), (), (), "warning", "last opioid exactly 12 months ago"),
    (OUD, (), (ev("MedicationDispense", "nlx", ago(100)),), (), None, "naloxone dispensed 100 days ago"),
    (
        OUD,
        (),
        (ev("MedicationRequest", "nlx", ago(366)),),
        (),
        "warning",
        "naloxone prescribed over a year ago",
    ),
    (OUD, (), (ev("MedicationRequest", "nlx", None),), (), "warning", "undated naloxone does not count"),
    (OUD, (), (), (ev("MedicationRequest", "nlx-draft"),), None, "naloxone drafted in this session"),
    ((), (), (), (), None, "no OUD, no opioid exposure"),
]


@pytest.mark.parametrize(
    ("oud", "exposures", "rescue", "rescue_drafts", "expected", "why"), R11_ROWS, ids=[r[5] for r in R11_ROWS]
)
def test_r11_naloxone(
    oud: tuple, exposures: tuple, rescue: tuple, rescue_drafts: tuple, expected: str | None, why: str
) -> None:
    f = facts(
        opioid_use_disorder=oud,
        opioid_exposures=exposures,
        rescue_on_record=rescue,
        rescue_drafts=rescue_drafts,
    )
    finding = tolerance.check_rescue_missing(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why


def test_subsumed_when_a_safety_rule_fires() -> None:
    """R7/R10/R11 are start preparation: silent while R1-R6 say "do not start"."""
    f = facts(opioid_use_disorder=OUD, opioid_exposures=(exposure("short-acting", 2),))
    rules = {x.rule for x in run_rules(f, POLICY)}
    assert "R2" in rules and not rules & {"R7", "R10", "R11"}
