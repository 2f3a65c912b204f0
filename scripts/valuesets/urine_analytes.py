"""Which opioid each urine drug test can detect: a ConceptMap from LOINC test codes to analytes.

Built from the opioid urine test codes of the value set (its displays are LOINC names).  The knowledge
below — which analyte a test's component names, what a class ("Opiates") immunoassay detects reliably
and what only partly — is stated with its sources in docs/urine-drug-screens.md.  The service reads
only the generated files: fhir_profiles/conceptmaps/urine-drug-test-analytes.json and the code system
fhir_profiles/codesystems/opioid-analytes.json.
"""

from __future__ import annotations

import re

from .common import LOINC, VERSION, Concept

BASE = "https://fhir.naltrexone-cds.org/"
ANALYTE_SYSTEM = BASE + "CodeSystem/opioid-analytes"
ANALYTES = {
    "morphine": "Morphine",
    "codeine": "Codeine",
    "heroin": "Heroin (6-monoacetylmorphine)",
    "hydrocodone": "Hydrocodone",
    "hydromorphone": "Hydromorphone",
    "oxycodone": "Oxycodone",
    "oxymorphone": "Oxymorphone",
    "fentanyl": "Fentanyl and fentanyl analogues",
    "methadone": "Methadone (and EDDP)",
    "buprenorphine": "Buprenorphine",
    "tramadol": "Tramadol",
    "other-opioid": "Another opioid the test names (tapentadol, meperidine, non-fentanyl synthetics…)",
}
# Component words of the LOINC name -> the analytes a positive result means (checked in order).
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    (r"6-?mam\b|monoacetylmorphine", ("heroin",)),
    (r"hydrocodone", ("hydrocodone",)),
    (r"hydromorphone", ("hydromorphone",)),
    (r"oxycodone|oxymorphone", ("oxycodone", "oxymorphone")),
    (r"\bmorphine", ("morphine",)),
    (r"codeine", ("codeine",)),
    (r"fentan|carfentanil", ("fentanyl",)),
    (r"methadone|eddp|ethylidene", ("methadone",)),
    (r"buprenorphine|\b[bn]3g\b", ("buprenorphine",)),
    (r"tramadol", ("tramadol",)),
]
# A class ("Opiates") immunoassay reacts to morphine, codeine and heroin (via morphine) reliably, to
# hydrocodone/hydromorphone only partly and to oxycodone/oxymorphone variably; it does not detect
# fentanyl, methadone, buprenorphine or tramadol (docs/urine-drug-screens.md).  An "Opiates"
# confirmation (chromatography/mass spectrometry panel) reports each opiate it names.
OPIATES_SCREEN = (
    ("morphine", "codeine", "heroin"),
    ("hydrocodone", "hydromorphone", "oxycodone", "oxymorphone"),
)
OPIATES_CONFIRM = (
    ("morphine", "codeine", "heroin", "hydrocodone", "hydromorphone", "oxycodone", "oxymorphone"),
    (),
)
CONFIRMATORY = re.compile(r"confirm|\bcfm\b")


def detects(display: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(analytes detected reliably, analytes detected only partly) by a test of this LOINC name."""
    name = display.lower()
    if re.search(r"\bopiates?\b", name):
        return OPIATES_CONFIRM if CONFIRMATORY.search(name) else OPIATES_SCREEN
    found: list[str] = []
    for pattern, analytes in COMPONENTS:
        if re.search(pattern, name):
            found += [a for a in analytes if a not in found]
    return (tuple(found) or ("other-opioid",)), ()


def codesystem() -> dict:
    return {
        "resourceType": "CodeSystem",
        "id": "opioid-analytes",
        "url": ANALYTE_SYSTEM,
        "version": VERSION,
        "name": "OpioidAnalytes",
        "title": "Opioids a urine drug test can detect",
        "status": "active",
        "content": "complete",
        "description": "Targets of the urine-drug-test-analytes ConceptMap (docs/urine-drug-screens.md).",
        "concept": [{"code": code, "display": display} for code, display in ANALYTES.items()],
    }


def conceptmap(tests: list[Concept]) -> dict:
    elements = []
    for system, code, display in tests:
        if system != LOINC:
            continue
        reliable, partly = detects(display)
        targets = [{"code": a, "display": ANALYTES[a], "equivalence": "equivalent"} for a in reliable]
        targets += [
            {"code": a, "display": ANALYTES[a], "equivalence": "inexact", "comment": "detected only partly"}
            for a in partly
        ]
        if CONFIRMATORY.search(display.lower()):
            for target in targets:
                target["product"] = [{"property": BASE + "method", "value": "confirmation"}]
        elements.append({"code": code, "display": display, "target": targets})
    return {
        "resourceType": "ConceptMap",
        "id": "urine-drug-test-analytes",
        "url": BASE + "ConceptMap/urine-drug-test-analytes",
        "version": VERSION,
        "name": "UrineDrugTestAnalytes",
        "title": "Which opioids each urine drug test detects",
        "status": "active",
        "description": (
            "Per LOINC urine drug test: the opioids it detects (equivalence 'equivalent') and those it "
            "detects only partly or variably ('inexact'); a target product 'method = confirmation' marks "
            "a confirmatory (chromatography / mass spectrometry) test. Sources: docs/urine-drug-screens.md."
        ),
        "sourceCanonical": "https://fhir.naltrexone-cds.org/ValueSet/opioid-urine-drug-screening",
        "targetCanonical": ANALYTE_SYSTEM,
        "group": [{"source": LOINC, "target": ANALYTE_SYSTEM, "element": elements}],
    }
