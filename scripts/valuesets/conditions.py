"""Conditions: opioid dependence and use disorder, alcohol use disorder, acute liver injury."""

from __future__ import annotations

import re
from pathlib import Path

from .common import ICD10, SCT, SRC, Concept, has_any, read, valueset, where

OPIOID_MISUSE = "opioid-misuse-disorders.json"
SUBSTANCE_MISUSE = "conditions-documenting-substance-misuse.json"
SUD = "vsac-via-cumulus-library-opioid/valueset_dx_sud_substance_use_disorder.json"
TERMINAL = "conditions-likely-terminal-for-opioid-prescribing.json"

CURRENT_ICD = re.compile(r"^F11\.(2(?!1)\d*|[19]3)$")
CURRENT_SCT = {
    "75544000",
    "191819002",
    "191820008",
    "1081000119105",
    "231477003",
    "231478008",
    "231479000",
    "231480002",
    "426001001",
    "703845008",
    "1255013006",
    "1255015004",
    "1255018002",
    "87132004",
    "703846009",
}
BUP_NX_WITHDRAWAL = "703847000"
FAILED_CHALLENGE = "1264554000"

LIVER_ICD = re.compile(r"^K7(2\.[019]|0\.4)")
LIVER_SCT = {
    "197270009",
    "413438002",
    "722864002",
    "59927004",
    "235884008",
    "235885009",
    "197275004",
    "716203000",
    "708248004",
    "51292008",
    "235886005",
}
ALCOHOLIC_LIVER_SCT = {"235875008", "9953008", "235881000"}
# ICD-10-CM acute hepatitis codes from the ICD-10-CM structure ([verify]).
ACUTE_HEPATITIS: list[Concept] = [
    (ICD10, code, name)
    for code, name in [
        ("K71.10", "Toxic liver disease with hepatic necrosis, without coma"),
        ("K71.11", "Toxic liver disease with hepatic necrosis, with coma"),
        ("K71.2", "Toxic liver disease with acute hepatitis"),
        ("K70.10", "Alcoholic hepatitis without ascites"),
        ("K70.11", "Alcoholic hepatitis with ascites"),
        ("B15.0", "Hepatitis A with hepatic coma"),
        ("B15.9", "Hepatitis A without hepatic coma"),
        ("B16.0", "Acute hepatitis B with delta-agent with hepatic coma"),
        ("B16.1", "Acute hepatitis B with delta-agent without hepatic coma"),
        ("B16.2", "Acute hepatitis B without delta-agent with hepatic coma"),
        ("B16.9", "Acute hepatitis B without delta-agent and without hepatic coma"),
        ("B17.0", "Acute delta-(super) infection of hepatitis B carrier"),
        ("B17.10", "Acute hepatitis C without hepatic coma"),
        ("B17.11", "Acute hepatitis C with hepatic coma"),
        ("B17.2", "Acute hepatitis E"),
        ("B17.8", "Other specified acute viral hepatitis"),
        ("B17.9", "Acute viral hepatitis, unspecified"),
    ]
]


def is_current_dependence(c: Concept) -> bool:
    return (c[0] == ICD10 and bool(CURRENT_ICD.match(c[1]))) or (c[0] == SCT and c[1] in CURRENT_SCT)


def opioid_use(ref: Path) -> list[dict]:
    misuse = read(ref, OPIOID_MISUSE)
    dependence = [c for c in misuse if is_current_dependence(c)]
    dependence += [c for c in read(ref, SUD) if c[1] == BUP_NX_WITHDRAWAL]
    history = [c for c in misuse if "poisoning" not in c[2].lower() and "overdose" not in c[2].lower()]
    challenge = [c for c in read(ref, SUBSTANCE_MISUSE) if c[1] == FAILED_CHALLENGE]
    return [
        valueset(
            "opioid-dependence-current",
            "Current opioid dependence or withdrawal",
            SRC + "CDC opioid-misuse-disorders: F11.2x except F11.21 (remission), F11.13/F11.23/F11.93 "
            "withdrawal, SNOMED dependence/withdrawal concepts (R6); plus 703847000 (VSAC SUD).",
            dependence,
        ),
        valueset(
            "opioid-use-disorder",
            "Opioid use disorder (any, history)",
            SRC + "CDC opioid-misuse-disorders without poisoning/overdose codes (R7, R11).",
            history,
        ),
        valueset(
            "opioid-withdrawal-condition",
            "Opioid withdrawal",
            SRC + "the withdrawal concepts of opioid-dependence-current (F11.x3, SNOMED withdrawal "
            "syndromes): coded after a completed detox they mean new use, not the induction visit's "
            "re-coding (R6).",
            [c for c in dependence if "withdrawal" in c[2].lower()],
        ),
        valueset(
            "naloxone-challenge-failed",
            "Failed naloxone challenge",
            SRC + "SNOMED 1264554000 from CDC conditions-documenting-substance-misuse (R5).",
            challenge,
        ),
    ]


def is_alcohol_disorder(c: Concept) -> bool:
    text = c[2].lower()
    disorder = has_any("dependence", "abuse", "alcoholism", "use disorder", "withdrawal")
    return (c[0] == ICD10 and bool(re.match(r"^F10\.[129]", c[1]))) or (
        c[0] == SCT and "alcohol" in text and disorder(text)
    )


def is_alcohol_acute(c: Concept) -> bool:
    return (c[0] == ICD10 and bool(re.match(r"^F10\.[129][23]", c[1]))) or (
        c[0] == SCT and "withdrawal" in c[2].lower()
    )


def alcohol(ref: Path) -> list[dict]:
    misuse = read(ref, SUBSTANCE_MISUSE)
    disorder = [c for c in misuse if is_alcohol_disorder(c)]
    disorder += where([c for c in misuse if c[0] == SCT], has_any("alcoholism"))
    return [
        valueset(
            "alcohol-use-disorder",
            "Alcohol use disorder",
            SRC + "F10.1x/F10.2x/F10.9x and SNOMED alcohol dependence/abuse from CDC "
            "conditions-documenting-substance-misuse (R16).",
            disorder,
        ),
        valueset(
            "alcohol-intoxication-or-withdrawal",
            "Alcohol intoxication or withdrawal",
            SRC + "F10.x2x/F10.x3x and SNOMED alcohol withdrawal from the alcohol-use-disorder set (R17).",
            [c for c in disorder if is_alcohol_acute(c)],
        ),
    ]


def liver_injury(ref: Path) -> list[dict]:
    terminal = read(ref, TERMINAL)
    liver = [c for c in terminal if (c[0] == ICD10 and LIVER_ICD.match(c[1])) or c[1] in LIVER_SCT]
    liver += [c for c in read(ref, SUBSTANCE_MISUSE) if c[1] in ALCOHOLIC_LIVER_SCT]
    return [
        valueset(
            "acute-liver-injury",
            "Acute hepatitis or liver failure",
            SRC + "CDC conditions-likely-terminal (K72.x, K70.4x, SNOMED hepatic failure), CDC "
            "substance-misuse (alcoholic hepatitis/failure), ICD-10-CM K71.1x/K71.2/K70.1x/B15-B17 from "
            "the ICD-10-CM tabular list ([verify]) (R8).",
            liver + ACUTE_HEPATITIS,
        ),
    ]
