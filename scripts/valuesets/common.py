"""Shared pieces: code systems, reading reference value sets, selecting concepts, the ValueSet shape."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

CANONICAL = "https://fhir.naltrexone-cds.org/ValueSet/"
VERSION = "2026.11.0"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
V3_INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
SRC = "Sources (VSAC and CDC opioid CDS value sets): "

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
