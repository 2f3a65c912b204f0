"""HTTP surface: discovery and hook calls (health probes: plugin.http.health).  parse -> evaluate -> JSON."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from flask import Blueprint, Response, current_app, request

from plugin.clinical.evaluate import evaluate
from plugin.clinical.hook_request import parse_hook_request
from plugin.errors import BadHookRequest, PayloadTooLarge, UnsupportedMediaType
from plugin.http.security import check_json_limits
from plugin.http.services import discovery, get_service
from plugin.ops.buffered import release_after_send
from plugin.ops.log import bind_request, note_outcome
from plugin.ops.metrics import observe_cards
from plugin.storage.recording import record_cards

bp = Blueprint("cds", __name__)
# Strict RFC 8259 like orjson, but it builds the objects straight from the bytes: orjson first parses
# into a document of its own (a copy of the text plus 16 bytes per value, freed at the end), which on a
# 7 MB / 10,000-resource body was ~17 MB of the worker's peak RSS on top of the objects themselves.
_DECODER = msgspec.json.Decoder()


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def read_json_body() -> Any:
    """The request body as JSON, or a 4xx naming the problem (415, 413, 400 - see plugin.http.security).

    Read once (werkzeug's stream: 64 KB chunks, stopping at the limit + 1 without a Content-Length) and
    decoded once.  One ``read(length)`` from granian's input was measured too: a 7 MB body then peaked
    ~15 MB higher in the worker, for ~1 % less CPU on a 72 KB one.  Decoded by msgspec (``_DECODER``):
    the same CPU as orjson on a 72 KB body, no parse document beside the objects on a large one.
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
        body = _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadHookRequest(f"request body is not valid JSON: {exc}") from None
    except RecursionError:  # nesting beyond the interpreter's own limit, far past MAX_JSON_DEPTH's default
        raise BadHookRequest("request JSON is nested too deeply to read") from None
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
    answer = json_response(outcome.response())
    release_after_send(request.environ, body, hook_request, outcome)  # freed once the answer is sent
    return answer
