"""A finished body reaches the server as one list item; streamed, unknown-length, large, HEAD ones do not."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response
from werkzeug.test import create_environ

from plugin.ops.buffered import buffered


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
