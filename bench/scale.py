"""Instances vs throughput on this machine: 1 and 2 service instances behind nginx, one PostgreSQL.

``python -m bench.scale [--seconds 5]``: the same 100-resource order-select as ``make bench`` part 1,
closed-loop clients (bench.loadgen) against

* one instance directly (1 worker), at concurrency 1 and 8;
* nginx in front of that one instance, at 8;
* nginx in front of two instances (1 worker each), at 8;
* one instance with 2 workers directly (``serve``'s default on 2 cores), at 8;

and the CPU each part used (client, nginx, instances, PostgreSQL) per wall second, so the report
can say what bounds the figure.  AUTH=none, as in ``make bench``: the load generator would otherwise
spend a core signing JWTs.  Writes bench/scale-results.json.  A benchmark: it reports, never fails.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.loadgen import FreshRequests, run_load
from bench.run import PLACEHOLDER, SERVICE_PATH, body_with_placeholder
from tests.support.cluster import Balancer, Instance, migrate, service_env
from tests.support.postgres import LocalPostgres

RESULTS = Path(__file__).resolve().parent / "scale-results.json"
CONCURRENCY = 8
TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            children = (task / "children").read_text().split()
            todo.extend(int(c) for c in children)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants."""
    total = 0
    for root in pids:
        for pid in _tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


@contextmanager
def instances(env: dict[str, str], workdir: Path, count: int, workers: int) -> Iterator[list[Instance]]:
    started = [
        Instance(f"i{n}-{count}x{workers}", {**env, "NALTREXONE_CDS_WORKERS": str(workers)}, workdir)
        for n in range(count)
    ]
    try:
        for instance in started:
            instance.start()
        for instance in started:
            instance.wait_ready(probe="/healthz")  # older checkouts (--code) have no /readyz
        yield started
    finally:
        for instance in started:
            instance.stop()


REPEATS = 3  # each run repeated, the one of median throughput kept (as make bench does)


def measure(
    port: int, requests: FreshRequests, concurrency: int, seconds: float, parts: dict[str, list[int]]
) -> dict[str, Any]:
    """Median-throughput run of REPEATS, with the CPU each part used per wall second."""
    run_load(port, requests, concurrency, 1.0, warmup_s=0)  # warm-up
    summaries = []
    for _ in range(REPEATS):
        before = {name: cpu_seconds(pids) for name, pids in parts.items()}
        result = run_load(port, requests, concurrency, seconds, warmup_s=0)
        summary: dict[str, Any] = result.summary()
        cpu = {name: (cpu_seconds(pids) - before[name]) / result.elapsed_s for name, pids in parts.items()}
        summary["cpu_per_wall_s"] = {name: round(value, 2) for name, value in cpu.items()}
        summary["cpu_per_wall_s"]["client"] = round(result.client_cpu_share, 2)
        # Hook calls per second of instance CPU: the per-core figure, whatever else loads the machine.
        summary["calls_per_instance_cpu_s"] = (
            round(result.rps / cpu["instances"], 1) if cpu["instances"] else 0
        )
        summary["loadavg_1min"] = round(os.getloadavg()[0], 2)
        summaries.append(summary)
    kept = sorted(summaries, key=lambda r: r["rps"])[len(summaries) // 2]
    kept["rps_of_each_repeat"] = [r["rps"] for r in summaries]
    return kept


def run(seconds: float, workdir: Path, code: Path | None, direct_only: bool) -> dict[str, Any]:
    postgres = LocalPostgres()
    postgres.start()
    try:
        database_url = postgres.server.create_database()
        env = service_env(auth="none", now="2026-11-20", database_url=database_url, auto_migrate="false")
        if code is not None:  # another checkout's plugin/ (e.g. the commit before a change), same bench
            env["PYTHONPATH"] = str(code)
        migrate(env)
        requests = FreshRequests(SERVICE_PATH, body_with_placeholder(100), PLACEHOLDER)
        pg = [int(Path(postgres.data / "postmaster.pid").read_text().split()[0])]
        runs: dict[str, Any] = {}
        with instances(env, workdir, 1, 1) as (one,):
            parts = {"instances": [one.process.pid], "postgres": pg}  # type: ignore[union-attr]
            runs["1 instance x 1 worker, direct, c1"] = measure(one.port, requests, 1, seconds, parts)
            runs[f"1 instance x 1 worker, direct, c{CONCURRENCY}"] = measure(
                one.port, requests, CONCURRENCY, seconds, parts
            )
            if direct_only:
                return {"cpus": os.cpu_count(), "seconds": seconds, "runs": runs}
            balancer = Balancer([one], workdir / "lb1")
            balancer.start()
            try:
                parts["nginx"] = [balancer.process.pid]  # type: ignore[union-attr]
                runs[f"nginx -> 1 instance x 1 worker, c{CONCURRENCY}"] = measure(
                    balancer.port, requests, CONCURRENCY, seconds, parts
                )
            finally:
                balancer.stop()
        with instances(env, workdir, 2, 1) as pair:
            balancer = Balancer(pair, workdir / "lb2")
            balancer.start()
            try:
                parts = {
                    "instances": [i.process.pid for i in pair],  # type: ignore[union-attr]
                    "postgres": pg,
                    "nginx": [balancer.process.pid],  # type: ignore[union-attr]
                }
                runs[f"nginx -> 2 instances x 1 worker, c{CONCURRENCY}"] = measure(
                    balancer.port, requests, CONCURRENCY, seconds, parts
                )
            finally:
                balancer.stop()
        with instances(env, workdir, 1, 2) as (one,):
            parts = {"instances": [one.process.pid], "postgres": pg}  # type: ignore[union-attr]
            runs[f"1 instance x 2 workers, direct, c{CONCURRENCY}"] = measure(
                one.port, requests, CONCURRENCY, seconds, parts
            )
        return {"cpus": os.cpu_count(), "seconds": seconds, "runs": runs}
    finally:
        postgres.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--code", type=Path, default=None, help="run the instances from this checkout")
    parser.add_argument("--direct-only", action="store_true", help="only the single-instance runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="naltrexone-scale-") as tmp:
        results = run(args.seconds, Path(tmp), args.code, args.direct_only)
    print(f"{'run':<44}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'err':>5}  cpu per wall second")
    for name, r in results["runs"].items():
        cpu = ", ".join(f"{k} {v}" for k, v in r["cpu_per_wall_s"].items())
        print(f"{name:<44}{r['rps']:>8.0f}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['errors']:>5}  {cpu}")
        print(
            f"{'':<44}calls per instance CPU-second {r['calls_per_instance_cpu_s']}; req/s of each repeat "
            f"{r['rps_of_each_repeat']}; load average {r['loadavg_1min']}"
        )
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
