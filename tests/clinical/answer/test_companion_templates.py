"""Companion orders come from templates validated once: the same resource as validating each call."""

from __future__ import annotations

import pytest

from plugin.clinical.answer import companion_orders as orders
from plugin.clinical.terminology import default_terminology
from plugin.fhir.models import validated, validated_template

TERM = default_terminology()
PATIENTS = ["pat-1", "A.b-9", "x" * 64, "with space", "Patient/nested", "ünïcode", "x" * 65]


@pytest.mark.parametrize("patient", PATIENTS)
def test_naloxone_order_is_what_validating_it_gives(patient: str) -> None:
    assert orders.naloxone_request(patient, TERM) == validated(orders._naloxone_request(patient, TERM))


@pytest.mark.parametrize("patient", PATIENTS)
@pytest.mark.parametrize("rule", sorted(orders.SERVICE_ORDERS))
def test_service_orders_are_what_validating_them_gives(patient: str, rule: str) -> None:
    valueset, _label, reason = orders.SERVICE_ORDERS[rule]
    made = orders.service_request(valueset, patient, reason, TERM)
    assert made == validated(orders._service_request(valueset, patient, reason, TERM))
    assert made["subject"] == {"reference": f"Patient/{patient}"}


def test_templates_are_keyed_on_our_orders_only() -> None:
    """Many patients, one template per order: nothing a request sends becomes a key."""
    for cache in (validated_template, orders._service_template, orders._naloxone_template):
        cache.cache_clear()
    for n in range(50):
        orders.naloxone_request(f"pat-{n}", TERM)
        orders.service_request("urine-drug-screen-order", f"pat-{n}", "reason", TERM)
    assert validated_template.cache_info().currsize == 2
    assert (
        orders._service_template.cache_info().currsize == orders._naloxone_template.cache_info().currsize == 1
    )
