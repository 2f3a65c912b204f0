"""Naltrexone products, overdose rescue products, routes and the suggested orders (R3, R7-R11)."""

from __future__ import annotations

from pathlib import Path

from .common import LOINC, RXNORM, SCT, SRC, Concept, has_any, read, valueset

OPIATE_ANTAGONISTS = "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.198.12.1132_OpiateAntagonists.json"
OPIOID_ANTAGONIST = "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.119_OpioidAntagonist.json"
SUGGESTED_RESCUE = "1725059"


def naltrexone_products(ref: Path) -> tuple[list[Concept], list[Concept], list[Concept]]:
    """(oral tablets, XR injections, bupropion combinations) from VSAC Opiate Antagonists."""
    antagonists = read(ref, OPIATE_ANTAGONISTS)

    def naming(*words: str) -> list[Concept]:
        return [c for c in antagonists if all(w in c[2].lower() for w in words)]

    oral = [c for c in naming("naltrexone", "oral tablet") if "bupropion" not in c[2].lower()]
    return oral, naming("naltrexone", "injection"), naming("bupropion", "naltrexone")


def naltrexone(ref: Path) -> list[dict]:
    oral, xr, contrave = naltrexone_products(ref)
    return [
        valueset(
            "naltrexone-ingredient",
            "Naltrexone (ingredient)",
            "RxNorm IN 7243. Text fallback keywords are designations.",
            [(RXNORM, "7243", "naltrexone")],
            {"7243": ["naltrexone", "revia", "depade", "vivitrol"]},
        ),
        valueset(
            "naltrexone-oral",
            "Oral naltrexone products",
            SRC + "VSAC Opiate Antagonists 2.16.840.1.113883.3.464.1003.198.12.1132, naltrexone oral "
            "tablets only (bupropion combination excluded). First entry = product used in suggestions.",
            oral,
            {c[1]: ["revia", "depade"] for c in oral},
        ),
        valueset(
            "naltrexone-xr-injectable",
            "Extended-release injectable naltrexone",
            SRC + "VSAC Opiate Antagonists, naltrexone injections (Vivitrol, 380 mg). First entry = "
            "product used in suggestions.",
            xr,
            {c[1]: ["vivitrol", "injection", "injectable", "extended-release injectable"] for c in xr},
        ),
        valueset(
            "naltrexone-bupropion",
            "Bupropion/naltrexone (Contrave)",
            SRC + "VSAC Opiate Antagonists, bupropion/naltrexone products.",
            contrave,
            {c[1]: ["contrave", "bupropion"] for c in contrave},
        ),
    ]


def rescue_products(ref: Path) -> list[dict]:
    combination = has_any("buprenorphine", "pentazocine")
    naloxone = [c for c in read(ref, "naloxone-medications.json") if not combination(c[2].lower())]
    rescue = read(ref, OPIOID_ANTAGONIST) + naloxone
    suggested_first = [c for c in rescue if c[1] == SUGGESTED_RESCUE]
    suggested_first += [c for c in rescue if c[1] != SUGGESTED_RESCUE]
    return [
        valueset(
            "opioid-overdose-rescue",
            "Naloxone/nalmefene rescue products",
            SRC + "VSAC Opioid Antagonist 2.16.840.1.113762.1.4.1248.119 + CDC naloxone-medications "
            "without buprenorphine/pentazocine combinations. First entry 1725059 = suggested order (R11). "
            "Designations are text-fallback keywords.",
            suggested_first,
            {SUGGESTED_RESCUE: ["naloxone", "narcan", "nalmefene", "kloxxado", "zimhi", "opvee", "rextovy"]},
        ),
    ]


def suggested_orders(ref: Path) -> list[dict]:
    oral, xr, _ = naltrexone_products(ref)
    return [
        valueset(
            "urine-drug-screen-order",
            "Urine drug screen order (suggestion)",
            "SNOMED 310627008 Urine drug screening (procedure): the CDC Rec 10 suggestion ServiceRequest "
            "(R7). First entry = code of the suggested ServiceRequest.",
            [(SCT, "310627008", "Urine drug screening (procedure)")],
        ),
        valueset(
            "hepatic-function-panel-order",
            "Hepatic function panel order (suggestion)",
            "LOINC 24325-3 Hepatic function 2000 panel - Serum or Plasma (ALT, AST, bilirubin, ...; "
            "5.2 lists its tests; panel code from LOINC [verify]) (R8-R10). First entry = suggested code.",
            [(LOINC, "24325-3", "Hepatic function 2000 panel - Serum or Plasma")],
        ),
        valueset(
            "naltrexone-treatment",
            "Naltrexone addiction-treatment products (oral or XR injectable)",
            "Union of naltrexone-oral and naltrexone-xr-injectable: the required binding of the suggested "
            "naltrexone MedicationRequest profile (fhir_profiles/structuredefinitions).",
            oral + xr,
        ),
    ]


def routes(ref: Path) -> list[dict]:
    return [
        valueset(
            "route-oral",
            "Oral route",
            "SNOMED 26643006.",
            [(SCT, "26643006", "Oral route")],
            {"26643006": ["oral", "po", "by mouth"]},
        ),
        valueset(
            "route-intramuscular",
            "Intramuscular route",
            "SNOMED 78421000.",
            [(SCT, "78421000", "Intramuscular route")],
            {"78421000": ["intramuscular", "im"]},
        ),
    ]
