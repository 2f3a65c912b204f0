"""The service's edge alone: the real app under ``serve``, its clinical decision replaced by a stored one.

A diagnostic column of ``make bench``, never a way to serve: every call gets the outcome computed for
the first call, whatever it asks.  Everything else a hook call costs runs exactly as in the service -
nginx and granian, reading and decoding the body, the JSON depth/entries limits, ``parse_hook_request``,
the card-log rows, Prometheus metrics, the access line, the security headers, serialising the answer -
but no record is read, no fact is built, no rule runs and no card is composed per call.  Its
throughput against the echo's is therefore the most that any implementation of the clinical core,
however fast, could reach under this server with this edge.

``python -m bench.edge --port N`` serves it via ``plugin.ops.server.serve``, with the service's options.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from bench.ceiling import serve_on_port


def decide_once(evaluate: Any) -> Any:
    """``evaluate`` run for the first call only; every later call gets that call's outcome."""
    stored: list[Any] = []  # the first call's plugin.clinical.evaluate.Outcome

    def stored_outcome(*args: Any) -> Any:
        if not stored:
            stored.append(evaluate(*args))
        return stored[0]

    return stored_outcome


def create_app() -> Flask:
    """The app a ``serve`` worker runs, with ``plugin.http.api``'s ``evaluate`` deciding once.

    Imported here, in the worker: the service's modules load prometheus_client, which must first see the
    metrics directory that ``serve`` prepares (``plugin.ops.server``).
    """
    from plugin import create_app as create_service_app
    from plugin.http import api
    from plugin.ops.server import prepare_worker_app

    api.evaluate = decide_once(api.evaluate)
    return prepare_worker_app(create_service_app())


if __name__ == "__main__":
    serve_on_port(create_app)
