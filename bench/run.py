"""``make bench``: the service vs a bare Flask echo and the Node sample, slow clients, FHIR, scaling.

Prints a table and writes bench/results.json.  A benchmark, not a test: it never fails on a missed
target, it reports it.  Run with the repo's venv: ``python -m bench.run [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.fhir_part import run_fhir_part
from bench.prefetch import PLACEHOLDER, SERVICE_PATH, print_part, run_prefetch_part
from bench.records import NOW, hook_request
from bench.scaling import run_scaling

RESULTS = Path(__file__).resolve().parent / "results.json"


def service_env(workdir: Path, **extra: str) -> dict[str, str]:
    """Dev mode (no JWT: the benchmark measures the hook, not the EHR's signature) and a fixed today."""
    return {
        "NALTREXONE_CDS_AUTH": "none",
        "NALTREXONE_CDS_NOW": NOW.isoformat(),
        "NALTREXONE_CDS_STATE_DIR": str(workdir / "state"),
        "PROMETHEUS_MULTIPROC_DIR": "",
        **extra,
    }


def body_with_placeholder(n: int | None, **kwargs: Any) -> bytes:
    """One hook request with the placeholder hookInstance (bench.scale rotates it per call)."""
    request = hook_request(n, **kwargs)
    request["hookInstance"] = PLACEHOLDER
    return orjson.dumps(request)


__all__ = ["PLACEHOLDER", "SERVICE_PATH", "body_with_placeholder", "main", "service_env"]


def print_table(results: dict[str, Any]) -> None:
    print_part(results["prefetch_100"])
    part2 = results["fhir_no_prefetch"]
    print("\n== (2) no prefetch, local FHIR server ==")
    if "skipped" in part2:
        print(f"  skipped: {part2['skipped']}")
    else:
        for key, ms in part2["single_query_median_ms"].items():
            print(f"  query {key:<28}{ms:>8.1f} ms")
        print(
            f"  slowest single query {part2['slowest_query_ms']:.1f} ms, sum of queries "
            f"{part2['sum_of_queries_ms']:.1f} ms; all at once from a bare client "
            f"{part2['all_queries_at_once_bare_client_ms']:.1f} ms; ours p50 {part2['ours_p50_ms']:.1f} ms, "
            f"p90 {part2['ours_p90_ms']:.1f} ms"
        )
        print(
            f"  ratio ours/slowest {part2['ratio']:.2f}; budget 1.3 x slowest + 5 ms = "
            f"{part2['budget_ms']:.1f} ms -> {'MET' if part2['target_met'] else 'MISSED'}"
        )
    part3 = results["scaling"]
    print("\n== (3) scaling (one worker, single requests, median) ==")
    print(f"{'resources':>10}{'KB':>9}{'ms':>10}{'rss MB':>9}{'peak MB':>9}")
    for row in part3["rows"]:
        print(
            f"{row['resources']:>10}{row['request_bytes'] / 1024:>9.0f}{row['median_ms']:>10.1f}"
            f"{row['rss_mb']:>9.1f}{row['peak_rss_mb']:>9.1f}"
        )
    met = {k: "MET" if v else "MISSED" for k, v in part3["targets"].items()}
    print(
        f"  fitted exponent {part3['exponent']:.3f} (<= 1.1: {met['exponent_le_1_1']}); "
        f"10k <= 0.5 s: {met['10k_le_500ms']}; RSS <= 150 MB: {met['rss_le_150mb']}"
    )
    machine = results["machine"]
    print(f"\nload average {machine['loadavg_before']} before, {machine['loadavg_after']} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each load run")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: serve's)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (default: serve's)")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1 or 1,3")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from plugin.ops.server import serve_options
    from plugin.settings import load_settings

    extra = {}
    if args.workers:
        extra["NALTREXONE_CDS_WORKERS"] = str(args.workers)
    if args.threads:
        extra["NALTREXONE_CDS_THREADS"] = str(args.threads)
    parts = set(args.parts.split(","))
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with tempfile.TemporaryDirectory(prefix="naltrexone-bench-") as tmp:
        workdir = Path(tmp)
        env = service_env(workdir, **extra)
        options = serve_options(load_settings(environ=env), "127.0.0.1", 0)
        workers = options.workers
        results["serve"] = {"workers": workers, "threads": options.threads, "proxy": options.proxy}
        print(
            f"serve: granian {workers} workers x {options.threads} threads, proxy {options.proxy}; "
            f"{args.seconds:g} s per load run"
        )
        if "1" in parts:
            results["prefetch_100"] = run_prefetch_part(workdir, env, workers, args.seconds)
        if "2" in parts:
            results["fhir_no_prefetch"] = run_fhir_part(workdir, env, workers)
        if "3" in parts:
            results["scaling"] = run_scaling(workdir, env)
    results["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    if parts == {"1", "2", "3"}:
        print_table(results)
    else:
        print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
