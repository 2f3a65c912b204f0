"""Part 1 of ``make bench``: 100-resource prefetch - the service, the bare Flask echo, the service's edge
alone (``bench.edge``: its clinical decision stored, not made per call), the Node sample.

Load runs are interleaved (service, echo, edge, Node, service, ...) and repeated; the run of median throughput
is kept per column.  Beside latency and throughput each run reports the servers' own CPU time per call
(master, nginx and workers, from /proc): on a shared machine it moves far less than req/s does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from bench.loadgen import FreshRequests, run_load
from bench.node import NODE_PATH, node_service
from bench.records import PATIENT, hook_request
from bench.servers import Server, ceiling_command, edge_command, running, service_command
from bench.slowclients import slow_client_curve

SERVICE_PATH = "/cds-services/naltrexone-order-select"
PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
LOAD_REPEATS = 3
ROTATION = 16  # distinct bodies (patients) in rotation, each with a fresh hookInstance per call
WARMUP_S = 1.0
SATURATED = 8  # the connections of the throughput runs: fixed, whatever the number of workers
TARGETS = {
    "throughput_c8_ge_1x_node": ("rps_vs_node_c8", ">=", 1.0),
    "p50_c1_le_3x_node": ("p50_vs_node_c1", "<=", 3.0),
    "throughput_ge_0_6x_echo": ("rps_vs_echo_c8", ">=", 0.6),
    "p99_c1_le_5ms": ("p99_ms_c1", "<=", 5.0),
    "p99_c8_le_2x_echo": ("p99_vs_echo_c8", "<=", 2.0),
    "slow_clients_256_answered_within_1s": ("slow_worst_ms_256", "<=", 1000.0),
}


def bodies(n: int) -> list[bytes]:
    request = hook_request(n)
    request["hookInstance"] = PLACEHOLDER
    template = orjson.dumps(request)
    return [template.replace(PATIENT.encode(), f"bench-pt-{k:02d}".encode()) for k in range(ROTATION)]


def post_once(port: int, body: bytes) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{SERVICE_PATH}", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _measure(server: Server, requests: FreshRequests, concurrency: int, seconds: float) -> dict[str, Any]:
    cpu_before = server.cpu_seconds()
    result = run_load(server.port, requests, concurrency, seconds, warmup_s=0).summary()
    calls = max(1, int(result["requests"]))
    result["server_cpu_us_per_call"] = round((server.cpu_seconds() - cpu_before) / calls * 1e6)
    return result


def _load_runs(
    columns: list[tuple[Server, FreshRequests]], concurrency: int, seconds: float
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {server.name: [] for server, _ in columns}
    for server, requests in columns:
        run_load(server.port, requests, concurrency, WARMUP_S, warmup_s=0)
    for _ in range(LOAD_REPEATS):
        for server, requests in columns:
            runs[server.name].append(_measure(server, requests, concurrency, seconds))
    kept = {}
    for name, repeats in runs.items():
        middle = sorted(repeats, key=lambda r: r["rps"])[len(repeats) // 2]
        kept[name] = {**middle, "rps_of_each_repeat": [r["rps"] for r in repeats]}
    return kept


def run_prefetch_part(workdir: Path, env: dict[str, str], workers: int, seconds: float) -> dict[str, Any]:
    variants = bodies(100)
    ours_requests = FreshRequests(SERVICE_PATH, variants, PLACEHOLDER)
    node_requests = FreshRequests(NODE_PATH, variants, PLACEHOLDER)
    out: dict[str, Any] = {"request_bytes": len(variants[0]), "runs": {}}
    with running("service", service_command(), env, workdir, workers) as ours:
        status, answer = post_once(ours.port, ours_requests.body())
        if status != 200 or b'"cards"' not in answer:
            raise RuntimeError(f"service answered {status}: {answer[:300]!r}")
        response_file = workdir / "ceiling-response.json"
        response_file.write_bytes(answer)
        out["response_bytes"] = len(answer)
        out["cards"] = [c["source"]["topic"]["code"] for c in orjson.loads(answer)["cards"]]
        ceiling_env = {**env, "BENCH_CEILING_RESPONSE": str(response_file)}
        with (
            running("echo", ceiling_command(), ceiling_env, workdir, workers) as echo,
            running("edge", edge_command(), env, workdir, workers) as edge,
        ):
            with node_service(workdir) as node:
                columns = [(ours, ours_requests), (echo, ours_requests), (edge, ours_requests)]
                if node is not None:
                    columns.append((node, node_requests))
                for concurrency in (1, SATURATED):
                    for name, run in _load_runs(columns, concurrency, seconds).items():
                        out["runs"][f"{name}@c{concurrency}"] = run
            out["service_rss"] = ours.worker_rss_mb()
            out["echo_rss"] = echo.worker_rss_mb()
        out["slow_clients"] = slow_client_curve(ours.port, ours_requests)
    out["ratios"] = ratios(out, SATURATED)
    out["targets"] = {
        name: (None if out["ratios"].get(key) is None else _holds(out["ratios"][key], op, bound))
        for name, (key, op, bound) in TARGETS.items()
    }
    return out


def _holds(value: float, op: str, bound: float) -> bool:
    return value >= bound if op == ">=" else value <= bound


def ratios(out: dict[str, Any], saturated: int) -> dict[str, Any]:
    runs = out["runs"]
    ours1, ours8 = runs["service@c1"], runs[f"service@c{saturated}"]
    echo1, echo8 = runs["echo@c1"], runs[f"echo@c{saturated}"]
    edge8 = runs[f"edge@c{saturated}"]
    node1, node8 = runs.get("node@c1"), runs.get(f"node@c{saturated}")
    worst = [p["worst_ms"] for p in out["slow_clients"] if p["slow_connections"] == max_count(out)]
    return {
        "rps_vs_node_c8": round(ours8["rps"] / node8["rps"], 3) if node8 else None,
        "p50_vs_node_c1": round(ours1["p50_ms"] / node1["p50_ms"], 2) if node1 else None,
        "rps_vs_echo_c8": round(ours8["rps"] / echo8["rps"], 3),
        "rps_vs_echo_c1": round(ours1["rps"] / echo1["rps"], 3),
        "p99_ms_c1": ours1["p99_ms"],
        "p99_vs_echo_c8": round(ours8["p99_ms"] / echo8["p99_ms"], 2),
        "cpu_us_over_echo_c8": ours8["server_cpu_us_per_call"] - echo8["server_cpu_us_per_call"],
        # Not a target: the edge alone (bench.edge) - the most any clinical core could reach here.
        "edge_rps_vs_echo_c8": round(edge8["rps"] / echo8["rps"], 3),
        "edge_rps_vs_node_c8": round(edge8["rps"] / node8["rps"], 3) if node8 else None,
        "slow_worst_ms_256": None if None in worst else max(worst),
    }


def max_count(out: dict[str, Any]) -> int:
    return max(p["slow_connections"] for p in out["slow_clients"])


def print_part(part: dict[str, Any]) -> None:
    size = part["request_bytes"] / 1024
    print(f"\n== (1) prefetch, 100 resources ({size:.0f} KB request, {ROTATION} bodies in rotation) ==")
    head = f"{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'err':>5}{'cpu us/call':>12}{'client':>8}"
    print(f"{'run':<14}{head}")
    for name, r in part["runs"].items():
        print(
            f"{name:<14}{r['rps']:>8.0f}{r['p50_ms']:>8.2f}{r['p90_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['errors']:>5}"
            f"{r['server_cpu_us_per_call']:>12}{r['client_cpu_share']:>8.0%}"
        )
    if not any(name.startswith("node@") for name in part["runs"]):
        print(f"{'node@c1/c8':<14}{'n/a':>8}  (set BENCH_NODE_SERVICE; see bench/node.py)")
    for key, value in part["ratios"].items():
        print(f"  {key}: {'n/a' if value is None else value}")
    repeats = ", ".join(f"{name} {r['rps_of_each_repeat']}" for name, r in part["runs"].items())
    print(f"  req/s of each repeat (median kept): {repeats}")
    print(f"  worker RSS: service {part['service_rss']}, echo {part['echo_rss']}")
    print("  slow clients (valid calls answered while N connections trickle a byte a second):")
    for point in part["slow_clients"]:
        worst = "-" if point["worst_ms"] is None else f"{point['worst_ms']:.1f} ms"
        print(
            f"    {point['kind']:<7}{point['slow_connections']:>5} open ({point['opened']} connected): "
            f"answered {point['answered']}, worst {worst}"
        )
    shown = {k: "n/a" if v is None else ("MET" if v else "MISSED") for k, v in part["targets"].items()}
    print("  targets: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
