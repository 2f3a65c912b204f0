"""A finished body reaches the server as one list item; streamed, unknown-length, large, HEAD ones do not."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from flask import Flask, Response
from werkzeug.test import create_environ

from plugin.clinical.evaluate import Outcome
from plugin.ops.buffered import RELEASED_AFTER_SEND, buffered
from tests import builders as b


def _app(closed: list[str]) -> Flask:
    app = Flask(__name__)

    @app.route("/json", methods=["GET", "HEAD"])
    def json_body() -> Response:
        response = Response(b'{"cards":[]}', mimetype="application/json")
        response.call_on_close(lambda: closed.append("json"))
        return response

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[bytes]:
            yield b"one,"
            yield b"two"

        return Response(chunks(), mimetype="text/plain")  # no Content-Length

    @app.get("/large")
    def large() -> Response:
        return Response(b"x" * 2048, mimetype="text/plain")

    return app


def _call(app: Any, path: str, method: str = "GET") -> tuple[list[Any], Iterable[bytes]]:
    started: list[Any] = []
    body = app(
        create_environ(path, method=method), lambda status, headers, *exc: started.append((status, headers))
    )
    return started, body


def test_a_finished_body_is_one_list_item_and_the_response_is_closed_first() -> None:
    closed: list[str] = []
    started, body = _call(buffered(_app(closed).wsgi_app, max_bytes=1024), "/json")
    assert body == [b'{"cards":[]}']
    assert closed == ["json"]  # call_on_close ran before the server got the body
    status, headers = started[0]
    assert status == "200 OK" and ("Content-Length", "12") in headers


def test_streamed_large_and_head_responses_pass_through() -> None:
    closed: list[str] = []
    app = buffered(_app(closed).wsgi_app, max_bytes=1024)
    for path, method, expected in [
        ("/stream", "GET", b"one,two"),  # no Content-Length: left to the server to pull
        ("/large", "GET", b"x" * 2048),  # above max_bytes
        ("/json", "HEAD", b""),  # werkzeug sends no body; the server keeps the stated length
    ]:
        _, body = _call(app, path, method)
        assert not isinstance(body, list), path
        assert b"".join(body) == expected
        body.close()  # type: ignore[attr-defined]
    assert closed == ["json"]


def test_a_hook_calls_data_lives_as_long_as_its_environ_not_longer(app: Flask) -> None:
    """The parsed body, the record's views and the facts are freed when the server drops the environ
    (granian: after it took the answer), not while the answer is still being made."""
    gc.disable()  # only reference counting may free it: the point is when the last reference goes
    try:
        opioid = b.med_request("oxy", b.OXYCODONE, authored="2026-11-18", supply_days=3)
        body = orjson.dumps(b.hook_request([b.naltrexone_draft()], [opioid]))
        environ = create_environ(
            "/cds-services/naltrexone-order-sign", method="POST", data=body, content_type="application/json"
        )
        answer = app.wsgi_app(environ, lambda status, headers, *exc: None)
        assert b"".join(answer)  # the answer is complete...
        kept = environ[RELEASED_AFTER_SEND]
        outcome = next(item for item in kept if isinstance(item, Outcome))
        assert outcome.cards  # ...and the call's data is still held, by the environ only
        alive = weakref.ref(outcome)
        del outcome, kept
        assert alive() is not None
        del environ
        assert alive() is None
    finally:
        gc.enable()
