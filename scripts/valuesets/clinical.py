"""Urine drug screens and result codes, detoxification, surgery, liver labs (R4, R6, R8-R10, R13)."""

from __future__ import annotations

from pathlib import Path

from .common import LOINC, RXNORM, SCT, SRC, V3_INTERP, Concept, dedupe, has_any, read, valueset
from .urine_analytes import ANALYTE_SYSTEM, ANALYTES

UDS_SOURCES = [
    "general-opiate-urine-drug-screening-tests.json",
    "opiate-specific-urine-drug-screening-tests.json",
    "heroin-urine-drug-screening-tests.json",
    "oxycodone-urine-drug-screening-tests.json",
    "fentanyl-type-urine-drug-screening-tests.json",
    "methadone-urine-drug-screening-tests.json",
    "buprenorphine-urine-drug-screening-tests.json",
    "synthetic-opioid-urine-drug-screening-tests.json",
    "opioid-urine-drug-screening.json",
]
# Tramadol is an opioid agonist (labels; ATC N02AX02), but the CDC IG files its urine tests (tramadol,
# N-nortramadol) among the non-opioid ones: they are taken from there by name.
TRAMADOL_SOURCE = "non-opioid-urine-drug-screening.json"
TRAMADOL_TEST = has_any("tramadol", "nortramadol", "n-nortramadol")
# A cutoff code reports the lab's threshold, not a result: "cutoff" in a long name, "CtO" in a short one.
CUTOFF = has_any("cutoff", "cto")
ANTAGONIST_ANALYTE = has_any(
    "naltrexone", "naltrexol", "naloxone", "naloxol", "nalmefene", r"6-\w*-naltrexol"
)
POSITIVE: list[Concept] = [
    (SCT, "10828004", "Positive"),
    (SCT, "260373001", "Detected"),
    (V3_INTERP, "POS", "Positive"),
    (V3_INTERP, "DET", "Detected"),
    (V3_INTERP, "A", "Abnormal"),
    (V3_INTERP, "H", "High"),
    (V3_INTERP, "HH", "Critical high"),
    (LOINC, "LA6576-8", "Positive"),
    (LOINC, "LA11882-0", "Detected"),
    (LOINC, "LA9633-4", "Present"),
    (SCT, "52101004", "Present"),
]
NEGATIVE: list[Concept] = [
    (SCT, "260385009", "Negative"),
    (SCT, "260415000", "Not detected"),
    (V3_INTERP, "NEG", "Negative"),
    (V3_INTERP, "ND", "Not detected"),
    (V3_INTERP, "N", "Normal"),
    (LOINC, "LA6577-6", "Negative"),
    (LOINC, "LA11883-8", "Not detected"),
    (LOINC, "LA9634-2", "Absent"),
    (SCT, "2667000", "Absent"),
]

DETOX_VISIT = "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.101.12.1059_DetoxificationVisit.json"
DEPENDENCE_TREATMENT = (
    "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.106.12.1005_AlcoholAndDrugDependenceTreatment.json"
)
ALCOHOL_ONLY_DETOX = {"20093000", "64297001", "827094004"}
DRUG_DETOX = "386450006"

AST = "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.224_AspartateTransaminaseLabTest.json"
ALT: list[Concept] = [
    (LOINC, "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    (
        LOINC,
        "1743-4",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P",
    ),
    (
        LOINC,
        "1744-2",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by No addition of P-5'-P",  # noqa: E501
    ),
    (LOINC, "76625-3", "Alanine aminotransferase [Enzymatic activity/volume] in Blood"),
    (LOINC, "77144-4", "Alanine aminotransferase [Enzymatic activity/volume] in Serum, Plasma or Blood"),
]
BILIRUBIN: list[Concept] = [
    (LOINC, "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"),
    (LOINC, "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma"),
]


# R7: a recent negative documents opioid-free status only when the negative tests together detect each of
# these reliably: the opiates a class immunoassay finds (morphine, codeine, heroin) and the opioids it
# misses or finds only variably that people with opioid use disorder commonly take (docs/clinical-rules.md).
OPIOID_FREE_ANALYTES = (
    "morphine",
    "codeine",
    "heroin",
    "oxycodone",
    "fentanyl",
    "methadone",
    "buprenorphine",
)


# Words that name an opioid urine test (its analyte or metabolite) when its LOINC coding is missing.
SCREEN_WORDS = [
    "opiates",
    "opiate",
    "6-monoacetylmorphine",
    "monoacetylmorphine",
    "6-mam",
    "6mam",
    "eddp",
    "norfentanyl",
    "norbuprenorphine",
    "noroxycodone",
    "nortramadol",
]
# Urine drug screen panels (a result without its components says nothing), and the words such a panel is
# named by under a local code.
PANEL_SOURCE = "all-urine-drug-screening-tests.json"
IS_PANEL = has_any("drugs of abuse", "drug screening")
PANEL_WORDS = [
    "drugs of abuse",
    "drug screen",
    "drugs screen",
    "drug panel",
    "tox screen",
    "toxicology screen",
]


def urine_screens(ref: Path) -> list[dict]:
    tests = dedupe(c for rel in UDS_SOURCES for c in read(ref, rel))
    tests = dedupe([*tests, *(c for c in read(ref, TRAMADOL_SOURCE) if TRAMADOL_TEST(c[2].lower()))])
    agonist_tests = [c for c in tests if not ANTAGONIST_ANALYTE(c[2].lower()) and not CUTOFF(c[2].lower())]
    return [
        valueset(
            "opioid-urine-drug-screening",
            "Opioid urine drug tests (agonists only)",
            SRC + "CDC opioid UDS class sets + opioid-urine-drug-screening + the tramadol/N-nortramadol "
            "tests of the CDC non-opioid UDS set (tramadol is an opioid agonist), minus naltrexone/naloxone "
            "analytes and cutoff codes ('cutoff', 'CtO': a threshold, not a result) (R4). Designations: "
            "test and metabolite words that name an opioid urine test under a local code (a text-only "
            "result is named as unreadable, not ignored).",
            agonist_tests,
            {agonist_tests[0][1]: SCREEN_WORDS},
        ),
        valueset(
            "urine-drug-screen-panel",
            "Urine drug screen panels",
            SRC
            + "the drugs-of-abuse and drug screening panels of the CDC all-urine-drug-screening-tests set. "
            "A panel Observation with neither a result nor components is named as unreadable: its findings "
            "are not in the record (R4). Designations are the words a local code's text uses.",
            panels := [
                c for c in read(ref, PANEL_SOURCE) if "panel" in c[2].lower() and IS_PANEL(c[2].lower())
            ],
            {panels[0][1]: PANEL_WORDS},
        ),
        valueset(
            "opioid-free-screen-analytes",
            "Opioids recent negative urine tests must rule out (opioid-free status)",
            "Analytes of the opioid-analytes code system that the negative opioid urine tests of the last "
            "oud_negative_screen_days must together detect reliably before opioid-free status counts as "
            "documented: the opiates of a class immunoassay (morphine, codeine, heroin) and oxycodone, "
            "fentanyl, methadone and buprenorphine, which it misses or finds only variably (R7). A site may "
            "add hydrocodone, hydromorphone or tramadol.",
            [(ANALYTE_SYSTEM, code, ANALYTES[code]) for code in OPIOID_FREE_ANALYTES],
        ),
    ]


def result_codes(ref: Path) -> list[dict]:
    return [
        valueset(
            "urine-drug-screen-positive",
            "Positive/detected result codes",
            "SNOMED 10828004/260373001/52101004, LOINC answers LA6576-8/LA11882-0/LA9633-4 and v3 "
            "ObservationInterpretation POS/DET/A/H/HH (above the cutoff) (R4).",
            POSITIVE,
        ),
        valueset(
            "urine-drug-screen-negative",
            "Negative/not-detected result codes",
            "SNOMED 260385009/260415000/2667000, LOINC answers LA6577-6/LA11883-8/LA9634-2 and v3 "
            "ObservationInterpretation NEG/ND/N (R4).",
            NEGATIVE,
        ),
    ]


ATC = "http://www.whocc.no/atc"


def withdrawal_medicines(ref: Path) -> list[dict]:
    """Medicines that mean opioid withdrawal is being managed (R6 detox in progress)."""
    return [
        valueset(
            "opioid-withdrawal-management",
            "Opioid withdrawal management medicines",
            "ATC N07BC04 lofexidine (drugs used in opioid dependence, not an opioid): used only "
            "to manage opioid withdrawal. RxNorm 2046591, the RxCUI the openFDA NDC directory gives for "
            "Lucemyra (lofexidine 0.18 mg tablets, NDC 85789-801; api.fda.gov/drug/ndc.json). Recognised "
            "by name (lofexidine, Lucemyra) in any coding display or text (R6).",
            [
                (ATC, "N07BC04", "lofexidine"),
                (RXNORM, "2046591", "lofexidine 0.18 MG oral tablet (Lucemyra)"),
            ],
            {"N07BC04": ["lofexidine", "lucemyra"]},
        ),
        valueset(
            "clonidine",
            "Clonidine",
            "ATC C02AC01 clonidine, recognised by name (clonidine, Catapres, Kapvay): withdrawal management "
            "only when the order's reason is opioid dependence or withdrawal (R6).",
            [(ATC, "C02AC01", "clonidine")],
            {"C02AC01": ["clonidine", "catapres", "kapvay"]},
        ),
    ]


def detoxification(ref: Path) -> list[dict]:
    detox = [c for c in read(ref, DETOX_VISIT) if c[1] not in ALCOHOL_ONLY_DETOX]
    detox += [c for c in read(ref, DEPENDENCE_TREATMENT) if c[1] == DRUG_DETOX]
    return [
        valueset(
            "opioid-detoxification",
            "Opioid/drug detoxification",
            SRC + "VSAC Detoxification Visit 2.16.840.1.113883.3.464.1003.101.12.1059 without alcohol-only "
            "concepts, plus 386450006 (VSAC Alcohol and Drug Dependence Treatment) (R6).",
            detox,
        ),
    ]


def surgery(ref: Path) -> list[dict]:
    return [
        valueset(
            "surgical-procedure",
            "Surgical procedure (category or code)",
            "SNOMED 387713003 Surgical procedure, the surgery concept of the HL7 FHIR R4 example value sets "
            "procedure-category and servicerequest-category; matched on ServiceRequest/Procedure code or "
            "category. Appointments (whose codes are local) match on the designations (R13). Descendant "
            "surgical codes need a SNOMED expansion - not available here.",
            [(SCT, "387713003", "Surgical procedure")],
            {"387713003": ["surgery", "surgical", "operation", "operative", "preoperative", "pre-op"]},
        ),
    ]


def labs(ref: Path) -> list[dict]:
    return [
        valueset(
            "alanine-aminotransferase",
            "ALT tests",
            "LOINC ALT codes (R9, R10).",
            ALT,
        ),
        valueset(
            "aspartate-aminotransferase",
            "AST tests",
            SRC + "VSAC Aspartate transaminase lab test 2.16.840.1.113762.1.4.1248.224 (R9, R10).",
            read(ref, AST),
        ),
        valueset(
            "bilirubin-total",
            "Total bilirubin tests",
            "LOINC total bilirubin codes (R9).",
            BILIRUBIN,
        ),
    ]
