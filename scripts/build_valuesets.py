"""Build fhir_profiles/valuesets/*.json from the reference value sets.

Run from the repository root:  python scripts/build_valuesets.py [REFERENCE_DIR]

Every output is an R4 ValueSet with an expansion.  Its ``description`` names the source files
(see ../shared/reference/clinical/valuesets/PROVENANCE.md and codes.md); selections made here
(e.g. excluding antagonist analytes from opioid urine tests) are stated in the same place.
The outputs are committed; the service reads only them, never the reference folder.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

CANONICAL = "https://fhir.naltrexone-cds.org/ValueSet/"
VERSION = "2026.11.0"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
V3_INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

Concept = tuple[str, str, str]  # system, code, display


def read(ref: Path, rel: str) -> list[Concept]:
    data = json.loads((ref / rel).read_text())
    out: list[Concept] = []
    for c in data.get("expansion", {}).get("contains", []):
        out.append((c["system"], c["code"], c.get("display", "")))
    if not out:
        for inc in data.get("compose", {}).get("include", []):
            for c in inc.get("concept", []):
                out.append((inc["system"], c["code"], c.get("display", "")))
    return out


def dedupe(concepts: Iterable[Concept]) -> list[Concept]:
    seen: dict[tuple[str, str], Concept] = {}
    for system, code, display in concepts:
        seen.setdefault((system, code), (system, code, display))
    return list(seen.values())


def where(concepts: Iterable[Concept], pred: Callable[[str], bool]) -> list[Concept]:
    return [c for c in concepts if pred(c[2].lower())]


def has_any(*words: str) -> Callable[[str], bool]:
    pattern = re.compile(r"\b(" + "|".join(words) + r")\b")
    return lambda text: bool(pattern.search(text))


def valueset(
    vs_id: str,
    title: str,
    description: str,
    concepts: Iterable[Concept],
    synonyms: dict[str, list[str]] | None = None,
) -> dict:
    contains = []
    for system, code, display in dedupe(concepts):
        entry: dict = {"system": system, "code": code, "display": display}
        for word in (synonyms or {}).get(code, []):
            entry.setdefault("designation", []).append({"value": word})
        contains.append(entry)
    if not contains:
        raise SystemExit(f"{vs_id}: empty value set")
    return {
        "resourceType": "ValueSet",
        "id": vs_id,
        "url": CANONICAL + vs_id,
        "version": VERSION,
        "name": "".join(part.capitalize() for part in vs_id.split("-")),
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": "naltrexone-cds",
        "description": description,
        "expansion": {
            "timestamp": "2026-11-25T00:00:00Z",
            "total": len(contains),
            "contains": contains,
        },
    }


# Opioid ingredients (codes.md 1.2).  Loperamide, diphenoxylate and difenoxin are peripheral
# antidiarrhoeals: they lose their effect under naltrexone (R12) but do not create physical
# dependence, so they are not part of the opioid-window sets.
OPIOID_WORDS = (
    "morphine codeine hydrocodone oxycodone hydromorphone oxymorphone fentanyl methadone "
    "buprenorphine tramadol tapentadol meperidine pethidine levorphanol dihydrocodeine butorphanol "
    "pentazocine nalbuphine opium propoxyphene levomethadyl heroin sufentanil remifentanil "
    "alfentanil levomethadone benzhydrocodone oliceridine paregoric"
).split()
ANTIDIARRHOEAL_WORDS = ["loperamide", "diphenoxylate", "difenoxin", "opium", "paregoric"]
LONG_ACTING_WORDS = ["methadone", "buprenorphine", "levomethadyl", "levomethadone"]
ER_MARKERS = ["extended release", "24 hr", "12 hr", "72 hr", "transdermal", "implant"]
ANTITUSSIVE_MARKERS = [
    "guaifenesin",
    "chlorpheniramine",
    "pseudoephedrine",
    "promethazine",
    "homatropine",
    "brompheniramine",
    "phenylephrine",
    "pyrilamine",
    "triprolidine",
    "chlorcyclizine",
    "dexchlorpheniramine",
]

OPIOID_INGREDIENTS: list[Concept] = [
    (RXNORM, code, name)
    for code, name in [
        ("7052", "morphine"),
        ("2670", "codeine"),
        ("5489", "hydrocodone"),
        ("7804", "oxycodone"),
        ("3423", "hydromorphone"),
        ("7814", "oxymorphone"),
        ("4337", "fentanyl"),
        ("6813", "methadone"),
        ("1819", "buprenorphine"),
        ("10689", "tramadol"),
        ("787390", "tapentadol"),
        ("6754", "meperidine"),
        ("6378", "levorphanol"),
        ("23088", "dihydrocodeine"),
        ("1841", "butorphanol"),
        ("8001", "pentazocine"),
        ("7238", "nalbuphine"),
        ("7676", "opium"),
        ("8785", "propoxyphene"),
        ("237005", "levomethadyl"),
        ("3304", "heroin"),
        ("56795", "sufentanil"),
        ("73032", "remifentanil"),
        ("480", "alfentanil"),
        ("236913", "levomethadone"),
    ]
]
INGREDIENT_SYNONYMS = {"6754": ["pethidine"], "3304": ["diamorphine"]}


def opioid_products(ref: Path) -> list[Concept]:
    sources = [
        "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1196.226_OpioidsAll.json",
        "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.120_Opioids.json",
        "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1046.241_ScheduleIiIiiAndIvOpioidMedications.json",
        "opioid-analgesics-with-ambulatory-misuse-potential.json",
        "opioid-cds-r4-archive-2022/valueset-opioid-analgesics-with-ambulatory-misuse-potential.json",
        "buprenorphine-medications.json",
        "methadone-medications.json",
        "fentanyl-type-medications.json",
        "extended-release-opioid-with-ambulatory-misuse-potential.json",
        "legacy-stu3-opioid-cds-logic/valueset-opioids.json",
        "legacy-stu3-opioid-cds-logic/valueset-opioids-codeine-cough-meds.json",
        "vsac-via-cumulus-library-opioid/valueset_rx_opioid.json",
    ]
    everything = dedupe(c for rel in sources for c in read(ref, rel))
    # Drug products only (SCD/SBD/packs); ingredient-level rows come from OPIOID_INGREDIENTS.
    products = where(everything, lambda t: bool(re.search(r"\d", t)))
    return where(products, has_any(*OPIOID_WORDS))


XR_BUP_CODES = {
    "1996184",
    "1996192",
    "2639021",
    "2639029",
    "2639031",
    "2639033",
    "2639036",
    "2639041",
    "2639043",
    "1797650",
}
XR_BUP_BRANDS = has_any("sublocade", "brixadi", "probuphine")


def build(ref: Path) -> list[dict]:
    opioids = opioid_products(ref)
    is_xr_bup = lambda c: c[1] in XR_BUP_CODES or XR_BUP_BRANDS(c[2].lower())  # noqa: E731
    er_set = {c[1] for c in read(ref, "extended-release-opioid-with-ambulatory-misuse-potential.json")}
    is_long = lambda c: (  # noqa: E731
        c[1] in er_set
        or has_any(*LONG_ACTING_WORDS)(c[2].lower())
        or any(m in c[2].lower() for m in ER_MARKERS)
    )
    peripheral = has_any("loperamide", "diphenoxylate", "difenoxin")
    systemic = [c for c in opioids if not peripheral(c[2].lower())]
    xr_bup = [c for c in systemic if is_xr_bup(c)]
    long_acting = [c for c in systemic if is_long(c) and not is_xr_bup(c)]
    long_ing = [c for c in OPIOID_INGREDIENTS if c[2] in LONG_ACTING_WORDS]
    short_acting = [c for c in systemic if not is_long(c) and not is_xr_bup(c)]
    short_ing = [c for c in OPIOID_INGREDIENTS if c[2] not in LONG_ACTING_WORDS]
    antitussive = [
        c
        for c in opioids
        if any(m in c[2].lower() for m in ANTITUSSIVE_MARKERS)
        or (
            "oral solution" in c[2].lower()
            and has_any("codeine", "hydrocodone")(c[2].lower())
            and "acetaminophen" not in c[2].lower()
        )
    ]
    antidiarrhoeal_all = dedupe(
        opioids + read(ref, "vsac-via-cumulus-library-opioid/valueset_rx_opioid.json")
    )
    antidiarrhoeal = where(
        antidiarrhoeal_all,
        lambda t: (
            bool(re.search(r"\d", t))
            and (
                has_any("loperamide", "diphenoxylate", "difenoxin")(t)
                or "opium tincture" in t
                or "paregoric" in t
                or (has_any("opium")(t) and "oral" in t)
            )
        ),
    )
    # R12: diphenoxylate/atropine products (CDC 2022 non-opioid CNS depressants) and the loperamide
    # ingredient (cumulus VSAC Opioids); no loperamide product code is in the reference sets, so drafts
    # naming loperamide are recognised by ingredient code or by the designations below.
    antidiarrhoeal += where(
        read(ref, "opioid-cds-r4-archive-2022/non-opioid-cns-depressant-medications.json"),
        has_any("diphenoxylate", "difenoxin"),
    )
    cumulus_opioids = read(ref, "vsac-via-cumulus-library-opioid/valueset_rx_opioid.json")
    antidiarrhoeal += [c for c in cumulus_opioids if c[2] == "loperamide"]
    antidiarrhoeal_words = {
        "6468": ["loperamide", "imodium"],
        "1190572": ["diphenoxylate", "lomotil", "lonox", "difenoxin", "motofen"],
        "830195": ["opium tincture", "paregoric", "laudanum"],
    }

    antagonists = read(
        ref, "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.198.12.1132_OpiateAntagonists.json"
    )
    nalt = lambda words: [c for c in antagonists if all(w in c[2].lower() for w in words)]  # noqa: E731
    oral = nalt(["naltrexone", "oral tablet"])
    oral = [c for c in oral if "bupropion" not in c[2].lower()]
    xr = nalt(["naltrexone", "injection"])
    contrave = nalt(["bupropion", "naltrexone"])

    uds_sources = [
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
    uds = dedupe(c for rel in uds_sources for c in read(ref, rel))
    antagonist_analyte = has_any(
        "naltrexone", "naltrexol", "naloxone", "naloxol", "nalmefene", r"6-\w*-naltrexol"
    )
    uds = [c for c in uds if not antagonist_analyte(c[2].lower()) and "cutoff" not in c[2].lower()]

    misuse = read(ref, "opioid-misuse-disorders.json")
    current_icd = re.compile(r"^F11\.(2(?!1)\d*|[19]3)$")
    current_sct = {
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
    dependence = [
        c
        for c in misuse
        if (c[0] == ICD10 and current_icd.match(c[1])) or (c[0] == SCT and c[1] in current_sct)
    ]
    oud_history = [c for c in misuse if "poisoning" not in c[2].lower() and "overdose" not in c[2].lower()]
    sud_misuse = read(ref, "conditions-documenting-substance-misuse.json")
    sud_sud = read(ref, "vsac-via-cumulus-library-opioid/valueset_dx_sud_substance_use_disorder.json")
    bup_nx_withdrawal = [c for c in sud_sud if c[1] == "703847000"]
    challenge = [c for c in sud_misuse if c[1] == "1264554000"]
    alcohol = [
        c
        for c in sud_misuse
        if (c[0] == ICD10 and re.match(r"^F10\.[129]", c[1]))
        or (
            c[0] == SCT
            and "alcohol" in c[2].lower()
            and has_any("dependence", "abuse", "alcoholism", "use disorder", "withdrawal")(c[2].lower())
        )
    ]
    alcohol += where([c for c in sud_misuse if c[0] == SCT], has_any("alcoholism"))
    alcohol_acute = [
        c
        for c in alcohol
        if (c[0] == ICD10 and re.match(r"^F10\.[129][23]", c[1]))
        or (c[0] == SCT and "withdrawal" in c[2].lower())
    ]

    terminal = read(ref, "conditions-likely-terminal-for-opioid-prescribing.json")
    liver_icd = re.compile(r"^K7(2\.[019]|0\.4)")
    liver_sct = {
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
    liver = [c for c in terminal if (c[0] == ICD10 and liver_icd.match(c[1])) or c[1] in liver_sct]
    liver += [c for c in sud_misuse if c[1] in {"235875008", "9953008", "235881000"}]
    # codes.md 3.3: ICD-10-CM acute hepatitis codes from the ICD-10-CM structure ([verify]).
    liver += [
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

    detox_vs = read(
        ref, "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.101.12.1059_DetoxificationVisit.json"
    )
    alcohol_only = {"20093000", "64297001", "827094004"}
    detox = [c for c in detox_vs if c[1] not in alcohol_only]
    treatment = read(
        ref,
        "vsac-via-canvas-plugins/2.16.840.1.113883.3.464.1003.106.12.1005_AlcoholAndDrugDependenceTreatment.json",
    )
    detox += [c for c in treatment if c[1] == "386450006"]

    rescue = read(ref, "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.119_OpioidAntagonist.json")
    rescue += [
        c
        for c in read(ref, "naloxone-medications.json")
        if not has_any("buprenorphine", "pentazocine")(c[2].lower())
    ]
    rescue = [c for c in rescue if c[1] == "1725059"] + [c for c in rescue if c[1] != "1725059"]

    ast = read(
        ref, "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.224_AspartateTransaminaseLabTest.json"
    )
    alt = [
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
    bili = [
        (LOINC, "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"),
        (LOINC, "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma"),
    ]

    positive = [
        (SCT, "10828004", "Positive"),
        (SCT, "260373001", "Detected"),
        (V3_INTERP, "POS", "Positive"),
        (V3_INTERP, "DET", "Detected"),
        (V3_INTERP, "A", "Abnormal"),
    ]
    negative = [
        (SCT, "260385009", "Negative"),
        (SCT, "260415000", "Not detected"),
        (V3_INTERP, "NEG", "Negative"),
        (V3_INTERP, "ND", "Not detected"),
        (V3_INTERP, "N", "Normal"),
    ]

    src = "Sources (../shared/reference/clinical/valuesets, see PROVENANCE.md): "
    return [
        valueset(
            "naltrexone-ingredient",
            "Naltrexone (ingredient)",
            "RxNorm IN 7243 (codes.md 1.1). Text fallback keywords are designations.",
            [(RXNORM, "7243", "naltrexone")],
            {"7243": ["naltrexone", "revia", "depade", "vivitrol"]},
        ),
        valueset(
            "naltrexone-oral",
            "Oral naltrexone products",
            src + "VSAC Opiate Antagonists 2.16.840.1.113883.3.464.1003.198.12.1132, naltrexone oral "
            "tablets only (bupropion combination excluded). First entry = product used in suggestions.",
            oral,
            {c[1]: ["revia", "depade"] for c in oral},
        ),
        valueset(
            "naltrexone-xr-injectable",
            "Extended-release injectable naltrexone",
            src + "VSAC Opiate Antagonists, naltrexone injections (Vivitrol, 380 mg). First entry = "
            "product used in suggestions.",
            xr,
            {c[1]: ["vivitrol", "injection", "injectable", "extended-release injectable"] for c in xr},
        ),
        valueset(
            "naltrexone-bupropion",
            "Bupropion/naltrexone (Contrave)",
            src + "VSAC Opiate Antagonists, bupropion/naltrexone products (codes.md 1.1, 1.9).",
            contrave,
            {c[1]: ["contrave", "bupropion"] for c in contrave},
        ),
        valueset(
            "opioid-short-acting",
            "Short-acting systemic opioids",
            src + "union of VSAC Opioids All, Opioids, Schedule II-IV opioids, CDC opioid analgesics "
            "(2025 and 2022), legacy opioids and codeine cough medicines, cumulus VSAC Opioids; products "
            "naming an opioid ingredient (codes.md 1.2), not long-acting, not peripheral antidiarrhoeals; "
            "plus opioid ingredient RxCUIs (tramadol included, label L1).",
            short_acting + short_ing,
            INGREDIENT_SYNONYMS,
        ),
        valueset(
            "opioid-long-acting",
            "Methadone, buprenorphine and extended-release opioids",
            src + "same union; methadone, buprenorphine (not XR injectable) and products in the CDC "
            "extended-release set or with ER/transdermal dose forms (clinical_rules.md R3).",
            long_acting + long_ing,
        ),
        valueset(
            "buprenorphine-extended-release-injectable",
            "Extended-release buprenorphine injection/implant",
            src + "VSAC Substance Use Disorder Long Acting Medication 2.16.840.1.113883.3.464.1003.1149 "
            "buprenorphine 200 mg/mL, 50 and 356 mg/mL syringes and 74.2 mg implant (codes.md 1.4; R3).",
            xr_bup,
            {c[1]: ["sublocade", "brixadi", "probuphine"] for c in xr_bup[:1]},
        ),
        valueset(
            "opioid-antitussive",
            "Opioid cough and cold products",
            src + "opioid products combined with antihistamines/decongestants/expectorants or codeine/"
            "hydrocodone oral solutions (codes.md 2, R05DA; R12). Designations are text-fallback keywords.",
            antitussive,
            {antitussive[0][1]: ["cough", "antitussive", "tussionex", "tuzistra", "hycodan", "syrup"]},
        ),
        valueset(
            "opioid-antidiarrheal",
            "Opioid antidiarrhoeal products",
            src + "loperamide, diphenoxylate, difenoxin and opium tincture products from the opioid union, "
            "diphenoxylate/atropine products from CDC 2022 non-opioid-cns-depressant-medications, the "
            "loperamide ingredient 6468 from cumulus VSAC Opioids (codes.md 1.2, 2 A07DA; R12). "
            "Designations are text-fallback keywords.",
            antidiarrhoeal,
            antidiarrhoeal_words,
        ),
        valueset(
            "opioid-urine-drug-screening",
            "Opioid urine drug tests (agonists only)",
            src + "CDC opioid UDS class sets + opioid-urine-drug-screening, minus naltrexone/naloxone "
            "analytes and cutoff codes (codes.md 5.1; R4).",
            uds,
        ),
        valueset(
            "urine-drug-screen-positive",
            "Positive/detected result codes",
            "SNOMED 10828004/260373001 and v3 ObservationInterpretation POS/DET/A (clinical_rules.md 4).",
            positive,
        ),
        valueset(
            "urine-drug-screen-negative",
            "Negative/not-detected result codes",
            "SNOMED 260385009/260415000 and v3 ObservationInterpretation NEG/ND/N (clinical_rules.md 4).",
            negative,
        ),
        valueset(
            "opioid-dependence-current",
            "Current opioid dependence or withdrawal",
            src + "CDC opioid-misuse-disorders: F11.2x except F11.21 (remission), F11.13/F11.23/F11.93 "
            "withdrawal, SNOMED dependence/withdrawal concepts (R6); plus 703847000 (VSAC SUD).",
            dependence + bup_nx_withdrawal,
        ),
        valueset(
            "opioid-use-disorder",
            "Opioid use disorder (any, history)",
            src + "CDC opioid-misuse-disorders without poisoning/overdose codes (R7, R11).",
            oud_history,
        ),
        valueset(
            "naloxone-challenge-failed",
            "Failed naloxone challenge",
            src + "SNOMED 1264554000 from CDC conditions-documenting-substance-misuse (R5).",
            challenge,
        ),
        valueset(
            "alcohol-use-disorder",
            "Alcohol use disorder",
            src + "F10.1x/F10.2x/F10.9x and SNOMED alcohol dependence/abuse from CDC "
            "conditions-documenting-substance-misuse (codes.md 3.2; R16).",
            alcohol,
        ),
        valueset(
            "alcohol-intoxication-or-withdrawal",
            "Alcohol intoxication or withdrawal",
            src + "F10.x2x/F10.x3x and SNOMED alcohol withdrawal from the alcohol-use-disorder set (R17).",
            alcohol_acute,
        ),
        valueset(
            "acute-liver-injury",
            "Acute hepatitis or liver failure",
            src + "CDC conditions-likely-terminal (K72.x, K70.4x, SNOMED hepatic failure), CDC "
            "substance-misuse (alcoholic hepatitis/failure), ICD-10-CM K71.1x/K71.2/K70.1x/B15-B17 from "
            "codes.md 3.3 ([verify]) (R8).",
            liver,
        ),
        valueset(
            "opioid-detoxification",
            "Opioid/drug detoxification",
            src + "VSAC Detoxification Visit 2.16.840.1.113883.3.464.1003.101.12.1059 without alcohol-only "
            "concepts, plus 386450006 (VSAC Alcohol and Drug Dependence Treatment) (codes.md 4; R6).",
            detox,
        ),
        valueset(
            "opioid-overdose-rescue",
            "Naloxone/nalmefene rescue products",
            src + "VSAC Opioid Antagonist 2.16.840.1.113762.1.4.1248.119 + CDC naloxone-medications "
            "without buprenorphine/pentazocine combinations. First entry 1725059 = suggested order (R11). "
            "Designations are text-fallback keywords.",
            rescue,
            {"1725059": ["naloxone", "narcan", "nalmefene", "kloxxado", "zimhi", "opvee", "rextovy"]},
        ),
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
        valueset(
            "urine-drug-screen-order",
            "Urine drug screen order (suggestion)",
            "SNOMED 310627008 Urine drug screening (procedure): the CDC Rec 10 suggestion ServiceRequest "
            "(codes.md 6; clinical_rules.md R7). First entry = code of the suggested ServiceRequest.",
            [(SCT, "310627008", "Urine drug screening (procedure)")],
        ),
        valueset(
            "hepatic-function-panel-order",
            "Hepatic function panel order (suggestion)",
            "LOINC 24325-3 Hepatic function 2000 panel - Serum or Plasma (ALT, AST, bilirubin, ...; codes.md "
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
        valueset(
            "route-oral",
            "Oral route",
            "SNOMED 26643006 (clinical_rules.md 6).",
            [(SCT, "26643006", "Oral route")],
            {"26643006": ["oral", "po", "by mouth"]},
        ),
        valueset(
            "route-intramuscular",
            "Intramuscular route",
            "SNOMED 78421000 (clinical_rules.md 6).",
            [(SCT, "78421000", "Intramuscular route")],
            {"78421000": ["intramuscular", "im"]},
        ),
        valueset(
            "alanine-aminotransferase", "ALT tests", "LOINC ALT codes from codes.md 5.2 (R9, R10).", alt
        ),
        valueset(
            "aspartate-aminotransferase",
            "AST tests",
            src + "VSAC Aspartate transaminase lab test 2.16.840.1.113762.1.4.1248.224 (R9, R10).",
            ast,
        ),
        valueset("bilirubin-total", "Total bilirubin tests", "LOINC codes from codes.md 5.2 (R9).", bili),
    ]


def main() -> None:
    ref = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/clinical/valuesets")
    out = Path("fhir_profiles/valuesets")
    out.mkdir(parents=True, exist_ok=True)
    for vs in build(ref):
        (out / f"{vs['id']}.json").write_text(json.dumps(vs, indent=1, ensure_ascii=False) + "\n")
        print(f"{vs['id']}: {vs['expansion']['total']} codes")


if __name__ == "__main__":
    main()
