"""Which drug is this? Brand names from the value sets' branded displays, look-alikes, NDC-only entries
(table-driven, the reason in each row)."""

from __future__ import annotations

import pytest

from plugin.clinical.facts.medications import classify_medicine
from plugin.clinical.terminology import default_terminology

TERM = default_terminology()

# (free text, expected classification, reason)
TEXT_ROWS: list[tuple[str, tuple[str, str] | None, str]] = [
    ("Percocet 5/325 tablet", ("opioid", "short-acting"), "brand of an SBD display '... [Percocet]'"),
    ("Norco 10/325", ("opioid", "short-acting"), "hydrocodone/APAP brand"),
    ("Dilaudid 2 mg", ("opioid", "short-acting"), "hydromorphone brand"),
    ("OxyContin 20 mg", ("opioid", "long-acting"), "ER oxycodone brand"),
    ("Suboxone 8 mg/2 mg film", ("opioid", "long-acting"), "buprenorphine/naloxone is an opioid agonist"),
    ("buprenorphine / naloxone 8 MG / 2 MG Sublingual Tablet", ("opioid", "long-acting"), "by ingredients"),
    ("Zubsolv", ("opioid", "long-acting"), "buprenorphine/naloxone brand"),
    ("Embeda 20 mg/0.8 mg", ("opioid", "long-acting"), "morphine/naltrexone stays an opioid"),
    ("Vivitrol 380 mg", ("naltrexone", "xr-injectable"), "naltrexone XR brand"),
    ("naloxone 4 mg nasal spray", None, "naloxone alone is a rescue agent, not an opioid"),
    ("Narcan", None, "naloxone brand"),
    ("methylnaltrexone 12 mg injection", None, "peripheral antagonist; not 'naltrexone' (word boundary)"),
    ("Relistor", None, "methylnaltrexone brand"),
    ("naloxegol 25 mg (Movantik)", None, "peripheral antagonist"),
    ("alvimopan 12 mg (Entereg)", None, "peripheral antagonist"),
    ("loperamide 2 mg", None, "peripheral antidiarrhoeal, not an opioid-window drug (R12 handles it)"),
    ("dextromethorphan 30 mg", None, "antitussive, not an opioid agonist"),
    (
        "1.5 ML buprenorphine 200 MG/ML Prefilled Syringe",
        ("opioid", "xr-buprenorphine"),
        "coding lost, text copies the XR product's display: that product, not just 'buprenorphine'",
    ),
    (
        "0.5 ml  Buprenorphine 200 mg/ml prefilled syringe",
        ("opioid", "xr-buprenorphine"),
        "the same display, case and spacing aside",
    ),
    ("Sublocade 300 mg", ("opioid", "xr-buprenorphine"), "XR brand"),
    ("buprenorphine 8 MG Sublingual Tablet", ("opioid", "long-acting"), "sublingual tablet display"),
    ("buprenorphine 8 mg tablet", ("opioid", "long-acting"), "free text: by ingredient"),
    ("naltrexone hydrochloride 50 MG Oral Tablet", ("naltrexone", "oral"), "an oral naltrexone display"),
]


@pytest.mark.parametrize(("text", "expected", "reason"), TEXT_ROWS, ids=[r[2] for r in TEXT_ROWS])
def test_text_classification(text: str, expected: tuple[str, str] | None, reason: str) -> None:
    assert classify_medicine([], text, TERM) == expected, reason


def test_rescue_and_antidiarrhoeal_brands() -> None:
    assert TERM.mentions("opioid-overdose-rescue", "Narcan 4 mg")
    assert TERM.mentions("opioid-antidiarrheal", "Imodium A-D")


NDC = "http://hl7.org/fhir/sid/ndc"


def test_ndc_only_is_unidentified_not_opioid_free() -> None:
    """NDC package codes are not in the value sets (decision: unidentified, counted on the clean card)."""
    assert classify_medicine([{"system": NDC, "code": "0406-0552-01"}], "", TERM) is None
