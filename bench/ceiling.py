"""The ceiling: a bare Flask app under the service's own ``serve`` (same server, proxy and options).

It reads and parses the hook request exactly as the service does (msgspec's JSON decoder, as in
``plugin.http.api``) and answers the JSON the service answered for the same request (a file named by
``BENCH_CEILING_RESPONSE``), doing no clinical work.  ``python -m bench.ceiling --port N`` serves it
via ``plugin.ops.server.serve`` (``serve_on_port``, which ``bench.edge`` shares).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import msgspec
from flask import Flask, Response, request

from plugin.ops.server import serve, serve_options
from plugin.settings import load_settings


def create_app() -> Flask:
    decode = msgspec.json.Decoder().decode
    payload = Path(os.environ["BENCH_CEILING_RESPONSE"]).read_bytes()
    app = Flask(__name__)

    @app.post("/cds-services/<service_id>")
    def call(service_id: str) -> Response:
        decode(request.get_data(cache=False))
        return Response(payload, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status":"ok"}', mimetype="application/json")

    return app


def serve_on_port(factory: Callable[[], Flask]) -> None:
    """``--port N``: serve ``factory`` (called in each worker) on it with the service's ``serve``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(factory, serve_options(load_settings(), "127.0.0.1", args.port))


if __name__ == "__main__":
    serve_on_port(create_app)
