"""Urine drug tests analyte by analyte: result words, cutoffs, and which positive a negative cancels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plugin.clinical.facts.model import Evidence
from plugin.clinical.facts.urine_screens import (
    UrineTest,
    assay_of,
    kept_positives,
    load_assays,
    policy_cutoff,
    quantity_result,
    standing_positives,
    text_result,
)
from plugin.clinical.policy import Policy

NOW = date(2026, 11, 25)
ASSAYS = load_assays()
LOINC = "http://loinc.org"

# (text, result, reason)
TEXTS = [
    ("POS", "positive", "CDC test requests write POS"),
    ("Positive", "positive", "plain positive"),
    ("POSITIVE - confirmation to follow", "positive", "positive with a note"),
    ("Presumptive positive", "positive", "an unconfirmed screen is still positive"),
    ("Detected", "positive", "mass-spectrometry wording"),
    ("present", "positive", "presence tests"),
    ("true", "positive", "MDI toxicology results write true for present"),
    ("Possible opiate presence - send for confirmation", "unknown", "'possible' is not positive"),
    ("Positive? possible cross-reactivity", "unknown", "a hedged result is not a result"),
    ("Inconclusive", "unknown", "no result"),
    ("Positive, confirmation pending", "positive", "a note after the result word does not undo it"),
    ("DETECTED - see comment", "positive", "a comment pointer after the result word"),
    ("Negative - see comment", "negative", "the same for negatives"),
    ("Pending", "unknown", "not resulted yet"),
    ("Not performed", "unknown", "no test, no result"),
    ("Equivocal", "unknown", "hedged"),
    ("NEG", "negative", "CDC test requests write NEG"),
    ("Negative (cutoff 300 ng/mL)", "negative", "the cutoff in the text is not a value"),
    ("Not detected", "negative", "'detected' inside 'not detected' is negative"),
    ("None detected", "negative", "negative wording"),
    ("false", "negative", "MDI-style boolean text"),
    ("", "unknown", "nothing written"),
]


@pytest.mark.parametrize(("text", "result", "reason"), TEXTS, ids=[t[0] or "empty" for t in TEXTS])
def test_text_result(text: str, result: str, reason: str) -> None:
    assert text_result(text) == result, reason


# (value, cutoff, result, reason)
QUANTITIES = [
    (850.0, 300.0, "positive", "above the cutoff"),
    (300.0, 300.0, "positive", "at the cutoff counts"),
    (20.0, 100.0, "negative", "below the cutoff is negative by the lab's own definition"),
    (20.0, None, "unknown", "no cutoff known: no judgement from the number alone"),
]


@pytest.mark.parametrize(("value", "cutoff", "result", "reason"), QUANTITIES)
def test_quantity_result(value: float, cutoff: float | None, result: str, reason: str) -> None:
    assert quantity_result(value, cutoff) == result, reason


# (LOINC code, reliably detects ⊇, partly detects ⊇, confirmation, reason)
ASSAY_ROWS = [
    (
        "19295-5",
        {"morphine", "codeine", "heroin"},
        {"hydrocodone", "oxycodone"},
        False,
        "opiates immunoassay: morphine/codeine/heroin; hydrocodone, oxycodone only partly",
    ),
    (
        "18390-5",
        {"morphine", "codeine", "oxycodone", "hydrocodone"},
        set(),
        True,
        "opiates confirmation panel",
    ),
    ("59673-4", {"fentanyl"}, set(), False, "fentanyl screen"),
    ("43199-9", {"fentanyl"}, set(), False, "norfentanyl is fentanyl use"),
    ("93495-0", {"methadone"}, set(), False, "EDDP is the methadone metabolite"),
    ("19643-6", {"oxycodone"}, set(), True, "oxycodone confirmation"),
    ("19710-3", {"tramadol"}, set(), False, "tramadol screen (CDC files it among non-opioid tests)"),
    ("43219-5", {"tramadol"}, set(), False, "tramadol presence, no method"),
    ("20561-7", {"tramadol"}, set(), True, "tramadol confirmation"),
    ("86454-6", {"tramadol"}, set(), False, "N-nortramadol, the tramadol metabolite"),
    ("18338-4", {"tramadol"}, set(), False, "nortramadol quantity"),
]


@pytest.mark.parametrize(("code", "reliable", "partly", "confirmation", "reason"), ASSAY_ROWS)
def test_what_each_test_detects(
    code: str, reliable: set, partly: set, confirmation: bool, reason: str
) -> None:
    assay = assay_of([("urn:oid:1.2.3", "local"), (LOINC, code)], ASSAYS)
    assert assay is not None, reason
    assert reliable <= assay.detects and partly <= assay.partly, reason
    assert assay.confirmation is confirmation, reason


def test_opiates_immunoassay_does_not_detect_the_synthetics() -> None:
    opiates = assay_of([(LOINC, "19295-5")], ASSAYS)
    assert opiates is not None
    assert not opiates.could_detect & {"fentanyl", "methadone", "buprenorphine", "tramadol"}


def _test(code: str, days_ago: int, result: str) -> UrineTest:
    assay = assay_of([(LOINC, code)], ASSAYS)
    assert assay is not None
    return UrineTest(
        Evidence("Observation", f"{code}-{days_ago}", NOW - timedelta(days=days_ago), code), assay, result
    )  # type: ignore[arg-type]


OPIATES, FENTANYL, EDDP, MORPHINE, OXY_CONFIRM, OPIATES_CONFIRM = (
    "19295-5",
    "59673-4",
    "93495-0",
    "19597-4",
    "19643-6",
    "18390-5",
)
TRAMADOL, TRAMADOL_CONFIRM = "19710-3", "20561-7"
# (tests as (code, days ago, result), positives that stand, reason)
CANCEL_ROWS = [
    (
        [(FENTANYL, 4, "positive"), (OPIATES, 2, "negative")],
        [FENTANYL],
        "an opiates immunoassay cannot detect fentanyl: its later negative does not cancel",
    ),
    ([(EDDP, 5, "positive"), (OPIATES, 1, "negative")], [EDDP], "nor methadone"),
    ([(MORPHINE, 10, "positive"), (OPIATES, 2, "negative")], [], "it does detect morphine"),
    ([(OPIATES, 6, "positive"), (OPIATES, 2, "negative")], [], "the same test, later and negative"),
    (
        [(OXY_CONFIRM, 6, "positive"), (OPIATES, 2, "negative")],
        [OXY_CONFIRM],
        "oxycodone is detected only variably by the opiates immunoassay",
    ),
    (
        [(OPIATES, 5, "positive"), (OPIATES_CONFIRM, 5, "negative")],
        [],
        "a same-day confirmation outranks the screen",
    ),
    (
        [(OPIATES_CONFIRM, 5, "positive"), (OPIATES, 5, "negative")],
        [OPIATES_CONFIRM],
        "a same-day screen never outranks a confirmation",
    ),
    ([(OPIATES, 2, "negative"), (FENTANYL, 2, "positive")], [FENTANYL], "one panel: each analyte on its own"),
    ([(OPIATES, 20, "positive")], [], "outside the 14-day look-back"),
    ([(OPIATES, 3, "positive"), (OPIATES, 5, "negative")], [OPIATES], "an earlier negative cancels nothing"),
    (
        [(TRAMADOL, 4, "positive"), (OPIATES, 2, "negative")],
        [TRAMADOL],
        "an opiates immunoassay cannot detect tramadol: its later negative does not cancel",
    ),
    ([(TRAMADOL, 4, "positive"), (TRAMADOL_CONFIRM, 2, "negative")], [], "a later tramadol test does"),
    ([(TRAMADOL, 3, "positive")], [TRAMADOL], "a tramadol screen is an opioid screen (R4)"),
]


@pytest.mark.parametrize(("rows", "standing", "reason"), CANCEL_ROWS, ids=[r[2][:40] for r in CANCEL_ROWS])
def test_which_positives_stand(rows: list, standing: list[str], reason: str) -> None:
    tests = [_test(*row) for row in rows]
    found = standing_positives(tests, NOW, 14)
    assert sorted(t.evidence.what for t in found) == sorted(standing), reason


def test_another_opioid_is_only_cancelled_by_the_same_test() -> None:
    meperidine = _test("19532-1", 4, "positive")
    nalbuphine = _test("19605-5", 2, "negative")
    again = _test("19532-1", 1, "negative")
    assert [t.evidence.what for t in standing_positives([meperidine, nalbuphine], NOW, 14)] == ["19532-1"]
    assert standing_positives([meperidine, nalbuphine, again], NOW, 14) == []


# (LOINC code, policy cutoff ng/mL, reason)
CUTOFF_ROWS = [
    ("19295-5", 300.0, "opiates immunoassay: morphine/codeine 300, not heroin's 10 (the highest named)"),
    ("19321-9", 10.0, "6-MAM tests use the heroin cutoff"),
    ("3637-6", 1.0, "fentanyl"),
    ("11246-6", 100.0, "oxycodone"),
    ("17719-6", 100.0, "tramadol quantity: the tramadol cutoff"),
]


@pytest.mark.parametrize(("code", "cutoff", "reason"), CUTOFF_ROWS)
def test_policy_cutoff(code: str, cutoff: float, reason: str) -> None:
    assay = assay_of([(LOINC, code)], ASSAYS)
    assert assay is not None
    assert policy_cutoff(assay, Policy()) == cutoff, reason


# (tests, (undetected, partly) per kept pair, reason)
KEPT_ROWS = [
    ([(FENTANYL, 4, "positive"), (OPIATES, 2, "negative")], [((("fentanyl",), ()))], "the card says why"),
    (
        [(OXY_CONFIRM, 6, "positive"), (OPIATES, 2, "negative")],
        [((), ("oxycodone", "oxymorphone"))],
        "oxycodone only variably",
    ),
    ([(MORPHINE, 10, "positive"), (OPIATES, 2, "negative")], [], "cancelled: nothing to explain"),
]


@pytest.mark.parametrize(("rows", "kept", "reason"), KEPT_ROWS, ids=[r[2] for r in KEPT_ROWS])
def test_why_a_negative_did_not_cancel(rows: list, kept: list, reason: str) -> None:
    tests = [_test(*row) for row in rows]
    found = kept_positives(standing_positives(tests, NOW, 14), tests)
    assert [(k.undetected, k.partly) for k in found] == kept, reason


# (LOINC code, an opioid urine test of the value set?, reason)
MEMBERSHIP_ROWS = [
    ("19710-3", True, "tramadol screen: tramadol is an opioid agonist"),
    ("17718-8", True, "tramadol confirmation"),
    ("92904-2", True, "N-nortramadol confirmation"),
    ("19712-9", False, "a cutoff code is not a result"),
    ("19295-5", True, "opiates screen"),
    ("77787-0", False, "'Buprenorphine CtO Ur Scn': a cutoff under its short name reports a threshold"),
    ("19644-4", False, "'oxyCODONE CtO Ur Scn': its value (the lab's cutoff) would read as a positive"),
    ("19323-5", False, "'6MAM CtO Ur Scn'"),
]


@pytest.mark.parametrize(("code", "member", "reason"), MEMBERSHIP_ROWS, ids=[r[2] for r in MEMBERSHIP_ROWS])
def test_opioid_urine_test_value_set(code: str, member: bool, reason: str) -> None:
    from plugin.clinical.terminology import default_terminology
    from plugin.fhir.concepts import Coding

    term = default_terminology()
    assert term.any_in("opioid-urine-drug-screening", [Coding(LOINC, code, "")]) is member, reason
