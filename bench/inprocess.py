"""In-process CPU per call: the service's Flask app vs a bare Flask JSON echo, no sockets.

``python -m bench.inprocess [n]`` posts the benchmark's order-select with ``n`` prefetched resources
(default 100) through Flask's test client, many times, and prints the process CPU time per call
(``time.process_time``, so waiting does not count) of the fastest round - on a shared machine the
other rounds measure the neighbours' noise as much as the code - for the service and for a bare
Flask app that only parses the same body and returns a stored answer.  The difference is what the
service itself costs: reading the record, facts, rules, cards, and the edge around them.  It is split
into the clinical pipeline (``parse_hook_request`` + ``evaluate`` + the response, on a parsed body,
no Flask) and the edge: the rest of the difference (limits scan, auth/log/metrics hooks, card log,
security headers - what the service's HTTP layer does beyond the echo's).

The service app is set up as a ``serve`` worker sets it up (``plugin.ops.server.prepare_worker_app``):
its card log goes to the background writer, whose thread's CPU counts too (``process_time`` is the
whole process's), and the access line is written (to /dev/null), as a worker writes it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable

import msgspec
import orjson
from flask import Flask, Response, request

from bench.records import NOW, hook_request
from plugin import create_app
from plugin.clinical.evaluate import evaluate
from plugin.clinical.hook_request import parse_hook_request
from plugin.ops.server import prepare_worker_app
from plugin.storage.writer import close_writers

ROUNDS = 30
DECODE = msgspec.json.Decoder().decode  # the service's decoder (plugin.http.api)
CALLS = 40


def _echo(payload: bytes) -> Flask:
    app = Flask(__name__)

    @app.post("/cds-services/<service_id>")
    def call(service_id: str) -> Response:
        DECODE(request.get_data(cache=False))
        return Response(payload, mimetype="application/json")

    return app


def _per_call_ms(post: Callable[[], object]) -> float:
    for _ in range(CALLS):  # warm caches, as a long-running worker has them
        post()
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(CALLS):
            post()
        rounds.append((time.process_time() - started) / CALLS * 1000)
    return min(rounds)


def _pipeline(app: Flask, body: bytes) -> Callable[[], object]:
    cfg = app.config

    def run() -> object:
        request = parse_hook_request("naltrexone-order-select", "order-select", DECODE(body))
        return evaluate(request, cfg["SETTINGS"], cfg["POLICY"], cfg["TERMINOLOGY"]).response()

    return run


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    body = orjson.dumps(hook_request(n))
    path = "/cds-services/naltrexone-order-select"
    headers = {"Content-Type": "application/json"}
    with (
        tempfile.TemporaryDirectory() as state,
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stderr(devnull),  # one access line per call, written as a worker writes it
    ):
        app = prepare_worker_app(create_app({"auth": "none", "now": NOW.isoformat(), "state_dir": state}))
        service = app.test_client()
        answer = service.post(path, data=body, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        echo = _echo(answer.get_data()).test_client()
        ours = _per_call_ms(lambda: service.post(path, data=body, headers=headers))
        bare = _per_call_ms(lambda: echo.post(path, data=body, headers=headers))
        # On a freshly parsed body each time (the pipeline may keep what it read on it), minus the parse.
        pipeline = _per_call_ms(_pipeline(app, body)) - _per_call_ms(lambda: DECODE(body))
        close_writers()  # the queued card-log rows, written before the state directory goes
    print(
        f"{n} resources: service {ours:.2f} ms CPU/call, bare Flask echo {bare:.2f} ms, "
        f"service's own work {ours - bare:.2f} ms = clinical pipeline {pipeline:.2f} ms + edge "
        f"{ours - bare - pipeline:.2f} ms"
    )


if __name__ == "__main__":
    main()
