"""Reading FHIR: the one tolerant reader between raw JSON and the clinical facts.

- ``values``: primitives (a lone object where FHIR says array, numbers as strings, wrong types -> none)
- ``references``: relative, absolute, contained ``#id``, ``urn:uuid:``, Bundle ``fullUrl``
- ``concepts``: Codings and CodeableConcepts (systems normalised, a drug named once)
- ``dates``, ``quantities``: dates, Periods, Quantities and Durations
- ``medications``, ``clinical``: the resource views (``MedicationUse``, ``Observation``, ...)
- ``record``: ``read_record`` - the whole record read once, with what could not be read
- ``models``: the only fhir.resources import site (validating what we emit)
"""
