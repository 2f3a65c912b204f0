"""Build fhir_profiles/valuesets/*.json from the reference value sets.

Run from the repository root:  python scripts/build_valuesets.py [REFERENCE_DIR]

Every output is an R4 ValueSet with an expansion.  Its ``description`` names the source files
(VSAC and the CDC opioid CDS value sets; their provenance file travels with them); selections made here
(e.g. excluding antagonist analytes from opioid urine tests) are stated in the same place.
The outputs are committed; the service reads only them, never the reference folder.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from valuesets import clinical, conditions, medications, opioids, urine_analytes

# In output order; each takes the reference folder and returns its ValueSet dicts.
BUILDERS: list[Callable[[Path], list[dict]]] = [
    medications.naltrexone,
    opioids.opioid_classes,
    opioids.cough_and_diarrhoea,
    clinical.urine_screens,
    clinical.result_codes,
    conditions.opioid_use,
    conditions.alcohol,
    conditions.liver_injury,
    clinical.detoxification,
    clinical.withdrawal_medicines,
    medications.rescue_products,
    clinical.surgery,
    medications.suggested_orders,
    medications.routes,
    clinical.labs,
]


def build(ref: Path) -> list[dict]:
    return [vs for builder in BUILDERS for vs in builder(ref)]


def main() -> None:
    ref = Path(sys.argv[1] if len(sys.argv) > 1 else "the VSAC and CDC opioid CDS value-set files")
    out = Path("fhir_profiles/valuesets")
    out.mkdir(parents=True, exist_ok=True)
    for vs in build(ref):
        (out / f"{vs['id']}.json").write_text(json.dumps(vs, indent=1, ensure_ascii=False) + "\n")
        print(f"{vs['id']}: {vs['expansion']['total']} codes")
    tests = next(vs for vs in build(ref) if vs["id"] == "opioid-urine-drug-screening")
    contains = [(c["system"], c["code"], c.get("display", "")) for c in tests["expansion"]["contains"]]
    for folder, resource in (
        ("conceptmaps", urine_analytes.conceptmap(contains)),
        ("codesystems", urine_analytes.codesystem()),
    ):
        (Path("fhir_profiles") / folder).mkdir(parents=True, exist_ok=True)
        path = Path("fhir_profiles") / folder / f"{resource['id']}.json"
        path.write_text(json.dumps(resource, indent=1, ensure_ascii=False) + "\n")
        print(f"{folder}/{resource['id']}")


if __name__ == "__main__":
    main()
