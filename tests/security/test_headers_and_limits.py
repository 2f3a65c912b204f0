"""Input hardening: size, media type, depth and entry limits answer 4xx JSON; hardened headers always."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from plugin import create_app
from plugin.http.security import SECURITY_HEADERS
from tests.builders import hook_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"
FEEDBACK = SIGN + "/feedback"
LIMIT = 64 * 1024


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = {"auth": "none", "state_dir": str(tmp_path), "max_body_bytes": LIMIT, "now": "2026-11-25"}
    return create_app(settings).test_client()


def assert_json_error(response: Any, status: int, error: str, words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == error
    assert words in body["message"]


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


@pytest.mark.parametrize("path", [SIGN, FEEDBACK])
def test_body_over_the_limit_is_413(client: FlaskClient, path: str) -> None:
    body = b'{"x": "' + b"a" * LIMIT + b'"}'
    assert_json_error(
        client.post(path, data=body, content_type="application/json"), 413, "payload_too_large", "larger"
    )


def test_chunked_body_limit_is_exact(client: FlaskClient) -> None:
    """No Content-Length (chunked): werkzeug stops at the limit, so the boundary needs its own test."""
    body = orjson.dumps(hook_request([naltrexone_draft()]))
    for size, status in ((LIMIT, 200), (LIMIT + 1, 413)):
        response = client.post(
            SIGN,
            input_stream=io.BytesIO(body + b" " * (size - len(body))),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},  # what a WSGI server sets for a chunked body
        )
        assert response.status_code == status, response.get_json()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "text/json+x", None],
)
@pytest.mark.parametrize("path", [SIGN, FEEDBACK])
def test_non_json_is_415(client: FlaskClient, path: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, data=b"{}", headers=headers)
    assert_json_error(response, 415, "unsupported_media_type", "application/json")


def test_json_variants_are_accepted(client: FlaskClient) -> None:
    body = orjson.dumps(hook_request([naltrexone_draft()]))
    for content_type in ("application/json; charset=utf-8", "application/fhir+json"):
        assert client.post(SIGN, data=body, content_type=content_type).status_code == 200


def test_depth_limit(client: FlaskClient) -> None:
    assert_json_error(
        client.post(FEEDBACK, data=nested(65), content_type="application/json"),
        400,
        "bad_request",
        "deeper than 64",
    )
    ok = client.post(FEEDBACK, data=nested(64), content_type="application/json")
    assert (
        ok.status_code == 400 and "deeper" not in ok.get_json()["message"]
    )  # passes the limit, not the schema


def test_entry_limit(tmp_path: Path) -> None:
    c = create_app({"auth": "none", "state_dir": str(tmp_path), "max_json_entries": 1000}).test_client()
    response = c.post(FEEDBACK, json={"feedback": list(range(1000))})
    assert_json_error(response, 400, "bad_request", "more than 1000 values")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "object"),
        (b'{"dose": NaN}', "not valid JSON"),  # not JSON, though Python's json module reads it
        (b'{"dose": 1e400}', "not valid JSON"),  # out of a double's range
        (b'{"text": "\\ud800"}', "not valid JSON"),  # a lone surrogate could not be written back out
        (b'{"a": 1} {"b": 2}', "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),  # past the decoder's own recursion limit
    ],
)
def test_bad_json_is_400_naming_the_problem(client: FlaskClient, data: bytes, words: str) -> None:
    assert_json_error(
        client.post(SIGN, data=data, content_type="application/json"), 400, "bad_request", words
    )


def test_integers_past_64_bits_are_read_and_answered(client: FlaskClient) -> None:
    """Valid JSON: the order is evaluated (an absurd quantity is the order's business), never a 500."""
    body = hook_request([naltrexone_draft()])
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["dispenseRequest"] = {"quantity": {"value": 0}, "numberOfRepeatsAllowed": 0}
    data = orjson.dumps(body).replace(b'"numberOfRepeatsAllowed":0', b'"numberOfRepeatsAllowed":' + b"9" * 40)
    data = data.replace(b'"value":0', b'"value":' + b"9" * 40)
    response = client.post(SIGN, data=data, content_type="application/json")
    assert b"9" * 40 in data and response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["cards"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/cds-services", 200),
        ("POST", SIGN, 200),
        ("POST", SIGN, 415),
        ("GET", SIGN, 405),
        ("POST", "/cds-services/unknown", 404),
        ("GET", "/nothing-here", 404),
        ("DELETE", "/cds-services", 405),
    ],
)
def test_every_answer_is_hardened_and_reveals_no_internals(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    body = hook_request([naltrexone_draft()])
    kwargs: dict[str, Any] = {"json": body} if status != 415 else {"data": "x", "content_type": "text/plain"}
    response = client.open(path, method=method, **(kwargs if method == "POST" else {}))
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "Server" not in response.headers  # checked live in tests/ops/test_serve.py
    text = response.get_data(as_text=True).lower()
    for leak in ("traceback", "werkzeug", "flask", "python", "gunicorn", "sqlalchemy"):
        assert leak not in text
    if status >= 400:
        assert set(response.get_json()) >= {"error", "message"}


def test_hsts_only_when_served_over_https(tmp_path: Path) -> None:
    plain = create_app({"auth": "none", "state_dir": str(tmp_path)}).test_client().get("/cds-services")
    assert "Strict-Transport-Security" not in plain.headers
    https = create_app({"auth": "none", "state_dir": str(tmp_path), "public_url": "https://cds.example.org"})
    assert (
        https.test_client().get("/cds-services").headers["Strict-Transport-Security"].startswith("max-age=")
    )
