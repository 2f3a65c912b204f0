"""Feedback endpoint (validated; made durable by the feedback issue)."""

from __future__ import annotations

from flask import Flask, Response

from plugin.api import bp, json_response, read_json_body
from plugin.errors import BadHookRequest
from plugin.services import get_service


@bp.post("/cds-services/<service_id>/feedback")
def post_feedback(service_id: str) -> Response:
    get_service(service_id)
    body = read_json_body()
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise BadHookRequest("feedback body must be an object with a 'feedback' array")
    return json_response({})


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
