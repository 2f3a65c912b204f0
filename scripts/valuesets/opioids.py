"""Opioid product classes: short/long-acting, XR buprenorphine, antitussives, antidiarrhoeals (R3, R12)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .common import RXNORM, SRC, Concept, dedupe, has_any, read, valueset, where

# Opioid ingredients.  Loperamide, diphenoxylate and difenoxin are peripheral
# antidiarrhoeals: they lose their effect under naltrexone (R12) but do not create physical
# dependence, so they are not part of the opioid-window sets.
OPIOID_WORDS = (
    "morphine codeine hydrocodone oxycodone hydromorphone oxymorphone fentanyl methadone "
    "buprenorphine tramadol tapentadol meperidine pethidine levorphanol dihydrocodeine butorphanol "
    "pentazocine nalbuphine opium propoxyphene levomethadyl heroin sufentanil remifentanil "
    "alfentanil levomethadone benzhydrocodone oliceridine paregoric"
).split()
PERIPHERAL_WORDS = ("loperamide", "diphenoxylate", "difenoxin")
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

ER_SOURCE = "extended-release-opioid-with-ambulatory-misuse-potential.json"
CUMULUS_OPIOIDS = "vsac-via-cumulus-library-opioid/valueset_rx_opioid.json"
OPIOID_SOURCES = [
    "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1196.226_OpioidsAll.json",
    "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1248.120_Opioids.json",
    "vsac-via-canvas-plugins/2.16.840.1.113762.1.4.1046.241_ScheduleIiIiiAndIvOpioidMedications.json",
    "opioid-analgesics-with-ambulatory-misuse-potential.json",
    "opioid-cds-r4-archive-2022/valueset-opioid-analgesics-with-ambulatory-misuse-potential.json",
    "buprenorphine-medications.json",
    "methadone-medications.json",
    "fentanyl-type-medications.json",
    ER_SOURCE,
    "legacy-stu3-opioid-cds-logic/valueset-opioids.json",
    "legacy-stu3-opioid-cds-logic/valueset-opioids-codeine-cough-meds.json",
    CUMULUS_OPIOIDS,
]
NON_OPIOID_CNS = "opioid-cds-r4-archive-2022/non-opioid-cns-depressant-medications.json"

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
ANTIDIARRHOEAL_WORDS = {
    "6468": ["loperamide", "imodium"],
    "1190572": ["diphenoxylate", "lomotil", "lonox", "difenoxin", "motofen"],
    "830195": ["opium tincture", "paregoric", "laudanum"],
}


def opioid_products(ref: Path) -> list[Concept]:
    everything = dedupe(c for rel in OPIOID_SOURCES for c in read(ref, rel))
    # Drug products only (SCD/SBD/packs); ingredient-level rows come from OPIOID_INGREDIENTS.
    products = where(everything, lambda t: bool(re.search(r"\d", t)))
    return where(products, has_any(*OPIOID_WORDS))


def is_xr_bup(c: Concept) -> bool:
    return c[1] in XR_BUP_CODES or XR_BUP_BRANDS(c[2].lower())


def long_acting_test(ref: Path) -> Callable[[Concept], bool]:
    er_codes = {c[1] for c in read(ref, ER_SOURCE)}
    long_words = has_any(*LONG_ACTING_WORDS)
    return lambda c: (
        c[1] in er_codes or long_words(c[2].lower()) or any(m in c[2].lower() for m in ER_MARKERS)
    )


def opioid_classes(ref: Path) -> list[dict]:
    peripheral = has_any(*PERIPHERAL_WORDS)
    systemic = [c for c in opioid_products(ref) if not peripheral(c[2].lower())]
    xr_bup = [c for c in systemic if is_xr_bup(c)]
    is_long = long_acting_test(ref)
    long_acting = [c for c in systemic if is_long(c) and not is_xr_bup(c)]
    short_acting = [c for c in systemic if not is_long(c) and not is_xr_bup(c)]
    long_ing = [c for c in OPIOID_INGREDIENTS if c[2] in LONG_ACTING_WORDS]
    short_ing = [c for c in OPIOID_INGREDIENTS if c[2] not in LONG_ACTING_WORDS]
    return [
        valueset(
            "opioid-short-acting",
            "Short-acting systemic opioids",
            SRC + "union of VSAC Opioids All, Opioids, Schedule II-IV opioids, CDC opioid analgesics "
            "(2025 and 2022), legacy opioids and codeine cough medicines, cumulus VSAC Opioids; products "
            "naming an opioid ingredient, not long-acting, not peripheral antidiarrhoeals; "
            "plus opioid ingredient RxCUIs (tramadol included, label L1).",
            short_acting + short_ing,
            INGREDIENT_SYNONYMS,
        ),
        valueset(
            "opioid-long-acting",
            "Methadone, buprenorphine and extended-release opioids",
            SRC + "same union; methadone, buprenorphine (not XR injectable) and products in the CDC "
            "extended-release set or with ER/transdermal dose forms.",
            long_acting + long_ing,
        ),
        valueset(
            "buprenorphine-extended-release-injectable",
            "Extended-release buprenorphine injection/implant",
            SRC + "VSAC Substance Use Disorder Long Acting Medication 2.16.840.1.113883.3.464.1003.1149 "
            "buprenorphine 200 mg/mL, 50 and 356 mg/mL syringes and 74.2 mg implant (R3).",
            xr_bup,
            {c[1]: ["sublocade", "brixadi", "probuphine"] for c in xr_bup[:1]},
        ),
    ]


def is_antitussive(text: str) -> bool:
    return any(m in text for m in ANTITUSSIVE_MARKERS) or (
        "oral solution" in text and has_any("codeine", "hydrocodone")(text) and "acetaminophen" not in text
    )


def is_antidiarrhoeal_product(text: str) -> bool:
    return bool(re.search(r"\d", text)) and (
        has_any(*PERIPHERAL_WORDS)(text)
        or "opium tincture" in text
        or "paregoric" in text
        or (has_any("opium")(text) and "oral" in text)
    )


def antidiarrhoeals(ref: Path, opioids: list[Concept]) -> list[Concept]:
    cumulus = read(ref, CUMULUS_OPIOIDS)
    products = where(dedupe(opioids + cumulus), is_antidiarrhoeal_product)
    # R12: diphenoxylate/atropine products (CDC 2022 non-opioid CNS depressants) and the loperamide
    # ingredient (cumulus VSAC Opioids); no loperamide product code is in the reference sets, so drafts
    # naming loperamide are recognised by ingredient code or by the designations.
    products += where(read(ref, NON_OPIOID_CNS), has_any("diphenoxylate", "difenoxin"))
    return products + [c for c in cumulus if c[2] == "loperamide"]


def cough_and_diarrhoea(ref: Path) -> list[dict]:
    opioids = opioid_products(ref)
    antitussive = where(opioids, is_antitussive)
    return [
        valueset(
            "opioid-antitussive",
            "Opioid cough and cold products",
            SRC + "opioid products combined with antihistamines/decongestants/expectorants or codeine/"
            "hydrocodone oral solutions (R05DA; R12). Designations are text-fallback keywords.",
            antitussive,
            {antitussive[0][1]: ["cough", "antitussive", "tussionex", "tuzistra", "hycodan", "syrup"]},
        ),
        valueset(
            "opioid-antidiarrheal",
            "Opioid antidiarrhoeal products",
            SRC + "loperamide, diphenoxylate, difenoxin and opium tincture products from the opioid union, "
            "diphenoxylate/atropine products from CDC 2022 non-opioid-cns-depressant-medications, the "
            "loperamide ingredient 6468 from cumulus VSAC Opioids (ATC A07DA; R12). "
            "Designations are text-fallback keywords.",
            antidiarrhoeals(ref, opioids),
            ANTIDIARRHOEAL_WORDS,
        ),
    ]
