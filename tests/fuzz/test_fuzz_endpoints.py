"""Property: whatever arrives at a hook, feedback or discovery endpoint, the answer is never a 5xx.

Every 4xx must be JSON naming the problem, and no answer may carry a stack trace.  Runs in dev mode
through the Flask test client (fast); the JWT layer has its own tests.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    EXAMPLES,
    SERVICE_IDS,
    feedback_bodies,
    hook_requests,
    json_values,
    junk,
    mutated_requests,
)

CONTENT_TYPES = [
    "application/json",
    "application/fhir+json",
    "text/plain",
    "",
    "application/json; charset=latin-1",
]


def dump(body: Any) -> bytes:
    """JSON bytes even for integers orjson will not write (those are part of the fuzz)."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        import json

        return json.dumps(body).encode()


def check(response: Any, test: str) -> None:
    EXAMPLES[test] += 1
    text = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.status_code}: {text[:2000]}"
    assert "Traceback" not in text
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict), text[:500]
        assert isinstance(body.get("error"), str) and isinstance(body.get("message"), str), body


@given(request=hook_requests())
def test_fhirish_hook_requests(fuzz_client: FlaskClient, request: tuple[str, dict[str, Any]]) -> None:
    service_id, body = request
    response = fuzz_client.post(
        f"/cds-services/{service_id}", data=dump(body), content_type="application/json"
    )
    check(response, "hook_requests")
    if response.status_code == 200:
        assert isinstance(response.get_json()["cards"], list)


@given(request=mutated_requests())
def test_mutated_valid_requests(fuzz_client: FlaskClient, request: tuple[str, dict[str, Any]]) -> None:
    service_id, body = request
    response = fuzz_client.post(
        f"/cds-services/{service_id}", data=dump(body), content_type="application/json"
    )
    check(response, "mutated_requests")


@given(service_id=st.sampled_from(SERVICE_IDS), body=feedback_bodies)
def test_feedback_bodies(fuzz_client: FlaskClient, service_id: str, body: Any) -> None:
    response = fuzz_client.post(
        f"/cds-services/{service_id}/feedback", data=dump(body), content_type="application/json"
    )
    check(response, "feedback")


@given(
    path=st.one_of(
        st.sampled_from(
            [f"/cds-services/{s}" for s in SERVICE_IDS] + [f"/cds-services/{s}/feedback" for s in SERVICE_IDS]
        ),
        st.text(max_size=30).map(lambda t: "/cds-services/" + t.replace("?", "").replace("#", "")),
    ),
    body=json_values | junk,
)
def test_arbitrary_json_anywhere(fuzz_client: FlaskClient, path: str, body: Any) -> None:
    response = fuzz_client.post(path, data=dump(body), content_type="application/json")
    check(response, "arbitrary_json")


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"]),
    path=st.sampled_from(
        ["/cds-services", "/cds-services/naltrexone-order-sign", "/cds-services/x/feedback"]
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
    raw=st.binary(max_size=2000),
    origin=st.none() | st.sampled_from(["https://sandbox.cds-hooks.org", "null", "https://evil.example.org"]),
)
def test_raw_bytes_methods_and_headers(
    fuzz_client: FlaskClient, method: str, path: str, content_type: str, raw: bytes, origin: str | None
) -> None:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"} if origin else {}
    if content_type:
        headers["Content-Type"] = content_type
    response = fuzz_client.open(path, method=method, data=raw, headers=headers)
    if method != "HEAD":
        check(response, "raw_requests")
    else:
        EXAMPLES["raw_requests"] += 1
        assert response.status_code < 500
