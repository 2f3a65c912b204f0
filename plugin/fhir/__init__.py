"""Reading FHIR: references, concepts, dates, quantities; the only fhir.resources import site."""
