"""What we offer: one discovery entry per hook, and the prefetch templates, said once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugin.errors import UnknownService

# Prefetch keys -> FHIR search templates (CDS Hooks 2.0 recommended subset: type-level searches on
# the patient, no date arithmetic).  The same queries are run against fhirServer for absent keys.
PREFETCH: dict[str, str] = {
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationDispenses": "MedicationDispense?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "encounters": "Encounter?patient={{context.patientId}}",
    "serviceRequests": "ServiceRequest?patient={{context.patientId}}",
    "appointments": "Appointment?patient={{context.patientId}}",
}
# Keys a request may leave out even without fhirServer (older EHR configurations): the rules that
# need them (R13 planned surgery) say so on the card instead of the call failing with 412.
OPTIONAL_PREFETCH: frozenset[str] = frozenset({"serviceRequests", "appointments"})


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def discovery_entry(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(PREFETCH),
            "usageRequirements": (
                "Send the patient's MedicationRequest, MedicationDispense, MedicationStatement, "
                "MedicationAdministration, Condition, Observation, Procedure and Encounter resources "
                "(prefetch or fhirServer with a read token). ServiceRequest and Appointment (planned "
                "surgery) are optional; without them the surgery check is reported as not done."
            ),
        }


_DESCRIPTION = (
    "Checks a naltrexone order against recent or active opioid use, opioid dependence or withdrawal "
    "without completed detox, opioid-positive urine screens and failed naloxone challenges, and "
    "suggests a documented naltrexone regimen."
)

SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            "naltrexone-order-select", "order-select", "Naltrexone safety check (order select)", _DESCRIPTION
        ),
        Service("naltrexone-order-sign", "order-sign", "Naltrexone safety check (order sign)", _DESCRIPTION),
        Service(
            "naltrexone-medication-prescribe",
            "medication-prescribe",
            "Naltrexone safety check (medication-prescribe, CDS Hooks 1.0)",
            _DESCRIPTION,
        ),
    )
}


def get_service(service_id: str) -> Service:
    try:
        return SERVICES[service_id]
    except KeyError:
        raise UnknownService(f"no CDS service with id '{service_id}'") from None


def discovery() -> dict[str, Any]:
    return {"services": [s.discovery_entry() for s in SERVICES.values()]}
