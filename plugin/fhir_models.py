"""The only import site of fhir.resources: R4B models, which read and write R4 JSON."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

__all__ = ["FhirValidationError", "validated"]

_MODELS = {"MedicationRequest": MedicationRequest, "ServiceRequest": ServiceRequest}


class FhirValidationError(ValueError):
    """Raised when a resource we are about to emit is not valid FHIR R4."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model and return the round-tripped JSON (what the model accepted)."""
    model = _MODELS[resource["resourceType"]]
    try:
        parsed = model.model_validate(resource)
    except ValidationError as exc:
        raise FhirValidationError(f"invalid {resource['resourceType']}: {exc.error_count()} errors") from exc
    return parsed.model_dump(mode="json", exclude_none=True)
