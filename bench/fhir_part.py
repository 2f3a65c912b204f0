"""Part 2: no prefetch - the service fetches the record from a real local FHIR server (sekmet).

Compares our latency with the slowest single FHIR query of the same call, measured directly with
``requests``: the service runs its queries side by side, so it should cost little more than that one.
"""

from __future__ import annotations

import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import requests

from bench.records import PATIENT, hook_request, record
from bench.servers import running, service_command

REPEATS = 20
BUDGET_FACTOR, BUDGET_EXTRA_MS = 1.3, 5.0
TOKEN = "bench-fhir-token"


def _seed_bundle(n: int) -> dict[str, Any]:
    resources = [{"resourceType": "Patient", "id": PATIENT, "active": True}]
    resources += [r for rs in record(n).values() for r in rs]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
    }


def _query_times(base_url: str, headers: dict[str, str]) -> dict[str, float]:
    """Median time of each search the service makes (every page, as the service reads them)."""
    from plugin.http.services import PREFETCH
    from plugin.record.fhir_client import DEFAULT_PAGE_SIZE

    session = requests.Session()
    medians = {}
    for key, template in PREFETCH.items():
        resource_type, _, query = template.partition("?")
        url = f"{base_url}/{resource_type}?{query.replace('{{context.patientId}}', PATIENT)}"
        url += f"&_count={DEFAULT_PAGE_SIZE}"
        times = []
        for _ in range(REPEATS + 1):
            started = time.perf_counter()
            next_url: str | None = url
            while next_url:
                response = session.get(next_url, headers=headers, timeout=30)
                response.raise_for_status()
                bundle = response.json()
                next_url = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
            times.append(time.perf_counter() - started)
        medians[key] = statistics.median(times[1:]) * 1000
    return medians


def _parallel_floor(base_url: str, headers: dict[str, str]) -> float:
    """Median time for all searches at once from a bare client (a thread and session per search).

    What fetching in parallel can reach against this server: when the server works through concurrent
    searches one at a time, this is close to the sum of the single queries, not the slowest one.
    """
    from plugin.http.services import PREFETCH
    from plugin.record.fhir_client import DEFAULT_PAGE_SIZE

    urls = []
    for template in PREFETCH.values():
        resource_type, _, query = template.partition("?")
        url = f"{base_url}/{resource_type}?{query.replace('{{context.patientId}}', PATIENT)}"
        urls.append(f"{url}&_count={DEFAULT_PAGE_SIZE}")
    sessions = [requests.Session() for _ in urls]

    def get(i: int) -> None:
        sessions[i].get(urls[i], headers=headers, timeout=30).raise_for_status()

    times = []
    with ThreadPoolExecutor(len(urls)) as pool:
        for _ in range(REPEATS + 1):
            started = time.perf_counter()
            list(pool.map(get, range(len(urls))))
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:]) * 1000


def _our_times(port: int, base_url: str) -> list[float]:
    session = requests.Session()
    times = []
    for _ in range(REPEATS + 1):
        body = hook_request(None, fhir_server=base_url, token=TOKEN)
        body["hookInstance"] = str(uuid.uuid4())
        started = time.perf_counter()
        response = session.post(
            f"http://127.0.0.1:{port}/cds-services/naltrexone-order-select",
            data=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        times.append(time.perf_counter() - started)
        cards = response.json().get("cards", []) if response.status_code == 200 else None
        topics = [c["source"]["topic"]["code"] for c in cards or []]
        if response.status_code != 200 or "CLEAN" not in topics:
            raise RuntimeError(f"service answered {response.status_code} with cards {topics}")
    return [t * 1000 for t in times[1:]]


def run_fhir_part(workdir: Path, env: dict[str, str], workers: int, n: int = 100) -> dict[str, Any]:
    try:
        from tests.support.fhir_server import FhirServerUnavailable, running_fhir_server
    except ImportError as exc:
        return {"skipped": f"FHIR server launcher not importable ({exc})"}
    try:
        with running_fhir_server(token=TOKEN) as fhir:
            fhir.transaction(_seed_bundle(n))
            singles = _query_times(fhir.base_url, fhir.headers)
            floor = _parallel_floor(fhir.base_url, fhir.headers)
            with running("service-fhir", service_command(), env, workdir, workers) as ours:
                our_ms = _our_times(ours.port, fhir.base_url)
    except FhirServerUnavailable as exc:
        return {"skipped": str(exc).splitlines()[0]}
    slowest = max(singles.values())
    p50 = statistics.median(our_ms)
    budget = BUDGET_FACTOR * slowest + BUDGET_EXTRA_MS
    return {
        "resources": n,
        "single_query_median_ms": {k: round(v, 2) for k, v in singles.items()},
        "slowest_query_ms": round(slowest, 2),
        "sum_of_queries_ms": round(sum(singles.values()), 2),
        "all_queries_at_once_bare_client_ms": round(floor, 2),
        "ours_p50_ms": round(p50, 2),
        "ours_p90_ms": round(statistics.quantiles(our_ms, n=10)[-1], 2),
        "ratio": round(p50 / slowest, 3),
        "budget_ms": round(budget, 2),
        "target_met": p50 <= budget,
    }
