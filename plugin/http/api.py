"""HTTP surface: discovery and hook calls (health probes: plugin.http.health).  parse -> evaluate -> JSON."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request

from plugin.clinical.evaluate import evaluate
from plugin.clinical.hook_request import parse_hook_request
from plugin.errors import BadHookRequest, PayloadTooLarge, UnsupportedMediaType
from plugin.http.security import check_json_limits
from plugin.http.services import discovery, get_service
from plugin.ops.log import bind_request, note_outcome
from plugin.ops.metrics import observe_cards
from plugin.storage.recording import record_cards

bp = Blueprint("cds", __name__)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def read_json_body() -> Any:
    """The request body as JSON, or a 4xx naming the problem (415, 413, 400 - see plugin.http.security).

    Read once (werkzeug's stream: 64 KB chunks, stopping at the limit + 1 without a Content-Length) and
    decoded once.  One ``read(length)`` from granian's input was measured too: a 7 MB body then peaked
    ~15 MB higher in the worker, for ~1 % less CPU on a 72 KB one.
    """
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        raise UnsupportedMediaType(f"expected Content-Type application/json, got {mimetype or 'none'}")
    settings = current_app.config["SETTINGS"]
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise PayloadTooLarge(f"request body is larger than {settings.max_body_bytes} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > settings.max_body_bytes:  # chunked: werkzeug stops reading at limit + 1
        raise PayloadTooLarge(f"request body is larger than {settings.max_body_bytes} bytes")
    if not raw:
        raise BadHookRequest("request body is empty")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadHookRequest(f"request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    check_json_limits(raw, body, settings.max_json_depth, settings.max_json_entries)
    bind_request(body)
    return body


@bp.get("/cds-services")
def list_services() -> Response:
    return json_response(discovery())


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    service = get_service(service_id)
    body = read_json_body()
    hook_request = parse_hook_request(service.id, service.hook, body)
    cfg = current_app.config
    outcome = evaluate(hook_request, cfg["SETTINGS"], cfg["POLICY"], cfg["TERMINOLOGY"])
    note_outcome(rules=outcome.rules, unverified=list(outcome.unverified))
    record_cards(service, hook_request, outcome.cards)
    observe_cards(outcome.cards)
    return json_response(outcome.response())
