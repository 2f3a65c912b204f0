"""Part 3: service time and worker RSS for records of 10 to 10,000 resources; fitted exponent."""

from __future__ import annotations

import http.client
import math
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from bench.records import hook_request
from bench.servers import running, service_command

SIZES = (10, 100, 1_000, 10_000)
REPEATS = 7
TARGET_EXPONENT = 1.1
TARGET_10K_S = 0.5
TARGET_RSS_MB = 150.0
# A 10,000-resource record is ~8 MB and ~900,000 JSON values: over the service's default limits
# (5 MB, 500,000 values), which a site expecting such records raises like this.
LIMITS = {
    "NALTREXONE_CDS_MAX_BODY_BYTES": str(64 * 1024 * 1024),
    "NALTREXONE_CDS_MAX_JSON_ENTRIES": "5000000",
}


def _time_one(port: int, body: bytes) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request(
            "POST", "/cds-services/naltrexone-order-select", body, {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"service answered {response.status}: {payload[:300]!r}")
    return elapsed


def fitted_exponent(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(time) over log(size)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def run_scaling(workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    """One worker, so that its RSS is that of the worker that served every size, smallest first."""
    rows = []
    scaled_env = {**env, **LIMITS, "NALTREXONE_CDS_WORKERS": "1", "NALTREXONE_CDS_THREADS": "1"}
    with running("scaling", service_command(), scaled_env, workdir, 1) as server:
        for n in SIZES:
            request = hook_request(n)
            times = []
            for repeat in range(REPEATS + 1):
                request["hookInstance"] = str(uuid.uuid4())
                elapsed = _time_one(server.port, orjson.dumps(request))
                if repeat:  # the first one warms up
                    times.append(elapsed)
            rows.append(
                {
                    "resources": sum(len(v["entry"]) for v in request["prefetch"].values()),
                    "request_bytes": len(orjson.dumps(request)),
                    "median_ms": round(statistics.median(times) * 1000, 2),
                    "min_ms": round(min(times) * 1000, 2),
                    **server.worker_rss_mb(),
                }
            )
    exponent = fitted_exponent([(r["resources"], r["median_ms"]) for r in rows])
    largest = rows[-1]
    return {
        "rows": rows,
        "exponent": round(exponent, 3),
        "targets": {
            "exponent_le_1_1": exponent <= TARGET_EXPONENT,
            "10k_le_500ms": largest["median_ms"] <= TARGET_10K_S * 1000,
            "rss_le_150mb": max(r["peak_rss_mb"] for r in rows) <= TARGET_RSS_MB,
        },
    }
