"""fetch_missing against a real FHIR server (sekmet): paging, Medication resolution, parallelism."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import orjson
import pytest

from plugin.http.services import PREFETCH
from plugin.record.fetch import MEDICATIONS_KEY, build_search, fetch_missing, medication_id
from plugin.record.fhir_client import Deadline, FhirClient
from plugin.record.prefetch import resources_in
from tests.record.conftest import FHIR_TOKEN, hook_request, settings, without_prefetch
from tests.support.fhir_server import FhirServer
from tests.support.loopback import Reply, loopback_server

KEYS = tuple(PREFETCH)


def _ids(resources: list[dict[str, Any]]) -> set[str]:
    return {f"{r['resourceType']}/{r['id']}" for r in resources}


def _expected(seeded: dict[str, Any], key: str) -> set[str]:
    """What the server holds for a key: the prefetched matches (included Medications aside)."""
    value = seeded["prefetch"].get(key)
    return {i for i in _ids(resources_in(value)) if not i.startswith("Medication/")} if value else set()


def test_every_search_pages_and_all_resources_arrive(
    fhir_server: FhirServer, seeded: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    request = hook_request(without_prefetch(seeded, fhir_server))
    with caplog.at_level(logging.INFO, logger="naltrexone_cds.fhir"):
        result = fetch_missing(request, KEYS, settings(fhir_timeout=10), page_size=2)
    assert result.failures == ()
    paged = [key for key in KEYS if len(_expected(seeded, key)) > 2]
    assert len(paged) >= 8
    for key in KEYS:
        assert _ids(result.resources[key]) == _expected(seeded, key), key
    for key in paged:
        pages = [int(m) for m in re.findall(rf"key={key} page=(\d+) status=200", caplog.text)]
        assert max(pages) >= 2, f"{key} was answered in one page; the paging test proves nothing"
    assert _ids(result.resources[MEDICATIONS_KEY]) == {
        "Medication/fx-med-oxy",
        "Medication/fx-med-ibu",
        "Medication/fx-med-naltrexone",
    }
    assert FHIR_TOKEN not in caplog.text
    assert "pt-fetch" not in caplog.text and "patient=" not in caplog.text


def test_medications_only_are_fetched_in_one_batch(
    fhir_server: FhirServer, seeded: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """All keys prefetched, but without the included Medications: one Medication?_id= search."""
    body = without_prefetch(seeded, fhir_server)
    prefetched = {
        key: [r for r in resources_in(value) if r["resourceType"] != "Medication"]
        for key, value in seeded["prefetch"].items()
    }
    with caplog.at_level(logging.INFO, logger="naltrexone_cds.fhir"):
        result = fetch_missing(hook_request(body), (), settings(), prefetched=prefetched)
    assert result.failures == ()
    assert len(result.resources[MEDICATIONS_KEY]) == 3
    assert len(re.findall(r"key=medications page=1 status=200", caplog.text)) == 1


def test_wrong_token_is_a_failure_not_empty_data(fhir_server: FhirServer, seeded: dict[str, Any]) -> None:
    request = hook_request(without_prefetch(seeded, fhir_server, token="not-the-token"))
    result = fetch_missing(request, KEYS, settings())
    assert result.resources == {}
    assert {f.key for f in result.failures} >= set(KEYS)
    assert all(f.reason == "FHIR server refused the access token (HTTP 401)" for f in result.failures)


def test_parallel_fetch_returns_what_the_searches_return_one_by_one(
    fhir_server: FhirServer, seeded: dict[str, Any]
) -> None:
    """The parallel no-prefetch fetch loses and adds nothing against the same searches run serially.

    Timing is not asserted here: a local server is CPU-bound on this machine, so the overlap barely
    shows and a wall-clock ratio only measures machine load.  test_queries_overlap_in_time proves the
    overlap with network-like latency; `make bench` reports the latency figures.
    """
    request = hook_request(without_prefetch(seeded, fhir_server))
    client = FhirClient(fhir_server.base_url, FHIR_TOKEN, Deadline(30))
    serial = {
        key: _ids(client.search(resource_type, params, label=key))
        for key, (resource_type, params) in ((k, build_search(PREFETCH[k], request)) for k in KEYS)
    }
    result = fetch_missing(request, KEYS, settings(fhir_timeout=30))
    assert result.failures == ()
    parallel = {key: _ids(result.resources.get(key, [])) for key in KEYS}
    assert parallel == serial
    assert any(serial.values()), "the seeded fixture must give the searches something to find"


def test_queries_overlap_in_time(fixture_scenario: dict[str, Any]) -> None:
    """A server answering every query after 1 s: run serially, the searches alone would take 10 s.

    (300 ms was too close to a loaded machine's thread start-up and scheduling: the bound is 3 delays
    either way, so a longer delay only widens the margin, not what is proven.)"""
    delay = 1.0
    empty = orjson.dumps({"resourceType": "Bundle", "type": "searchset"})
    with loopback_server(Reply(200, empty, stall_s=delay)) as server:
        body = {k: v for k, v in fixture_scenario["request"].items() if k != "prefetch"}
        body["fhirServer"] = server.base_url
        body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer"}
        started = time.perf_counter()
        result = fetch_missing(hook_request(body), KEYS, settings(fhir_timeout=10 * delay))
        elapsed = time.perf_counter() - started
    print(f"\n{len(KEYS)} queries + Medications, each {delay * 1000:.0f} ms: {elapsed * 1000:.0f} ms in all")
    assert result.failures == ()
    assert elapsed < 3 * delay  # all searches in parallel, then the Medication batch


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Medication/m1", "m1"),
        ("Medication/m1/_history/3", "m1"),
        ("http://fhir.test/base/Medication/m1", "m1"),
        ("#m1", None),
        ("https://other.test/base/Medication/m1", None),  # another server: our token is not for it
        ("http://fhir.test/base-evil/Medication/m1", None),
        ("Medication/a&_id=b", None),
        ("Substance/m1", None),
        ("urn:uuid:1234", None),
        (None, None),
    ],
)
def test_medication_reference_parsing(reference: Any, expected: str | None) -> None:
    assert medication_id(reference, "http://fhir.test/base") == expected
