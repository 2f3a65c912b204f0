"""Feedback validation: the spec shape, the variants real clients send, and 400s that name the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from feedback_helpers import FEEDBACK_URL, OVERRIDE_SYSTEM
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.http.feedback import parse_item, parse_timestamp

CARD = "0b9c3a64-9c59-4a4c-8f55-0f3d5b2b1d11"
WHEN = "2026-03-01T10:00:00Z"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T12:00:00+02:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00 UTC", datetime(2026, 3, 1, 10, tzinfo=UTC)),  # old spec example
        ("2026-03-01 10:00:00 UTC", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),  # no offset: the spec says UTC
        ("2026-03-01T10:00:00.123456789Z", datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-03-01", None),
        ("2026-02-30T10:00:00Z", None),
        ("yesterday", None),
        ("2026-03-01T10:00:00+0200x", None),
        (1709287200, None),
        (None, None),
    ],
)
def test_timestamps(raw: Any, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


def test_spec_shape_and_older_sandbox_shape_store_the_same_reason() -> None:
    coding = {"system": OVERRIDE_SYSTEM, "code": "patient-declined", "display": "Patient declined"}
    spec = parse_item(
        0,
        {
            "card": CARD,
            "outcome": "overridden",
            "outcomeTimestamp": WHEN,
            "overrideReason": {"reason": coding, "userComment": "Mr X refused"},
        },
    )
    sandbox = parse_item(
        0, {"card": CARD, "outcome": "overridden", "outcomeTimestamp": WHEN, "overrideReason": coding}
    )
    assert (spec.override_system, spec.override_code, spec.override_display) == (
        OVERRIDE_SYSTEM,
        "patient-declined",
        "Patient declined",
    )
    assert (sandbox.override_code, sandbox.override_system) == ("patient-declined", OVERRIDE_SYSTEM)
    assert spec.has_user_comment and not sandbox.has_user_comment
    assert "Mr X" not in repr(spec)  # the comment text is not kept anywhere


def test_overridden_without_reason_and_accepted_with_suggestions() -> None:
    bare = parse_item(0, {"card": CARD, "outcome": "overridden", "outcomeTimestamp": WHEN})
    assert bare.override_code is None and bare.accepted_suggestions == ()
    ok = parse_item(
        3,
        {
            "card": CARD,
            "outcome": "accepted",
            "outcomeTimestamp": WHEN,
            "acceptedSuggestions": [{"id": "s-1"}],
        },
    )
    assert ok.accepted_suggestions == ("s-1",)


def _item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"card": CARD, "outcome": "overridden", "outcomeTimestamp": WHEN}
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ("not an object", "feedback[1]"),
        (_item(card=""), "feedback[1].card"),
        (_item(card=42), "feedback[1].card"),
        (_item(card="x" * 65), "feedback[1].card"),
        (_item(outcome="ignored"), "feedback[1].outcome"),
        (_item(outcome=None), "feedback[1].outcome"),
        (_item(outcomeTimestamp=None), "feedback[1].outcomeTimestamp"),
        (_item(outcomeTimestamp="last tuesday"), "feedback[1].outcomeTimestamp"),
        (_item(outcome="accepted"), "feedback[1].acceptedSuggestions"),
        (_item(outcome="accepted", acceptedSuggestions=[]), "feedback[1].acceptedSuggestions"),
        (
            _item(outcome="accepted", acceptedSuggestions=[{"id": ""}]),
            "feedback[1].acceptedSuggestions[0].id",
        ),
        (_item(outcome="accepted", acceptedSuggestions=["s-1"]), "feedback[1].acceptedSuggestions[0].id"),
        (_item(overrideReason="too busy"), "feedback[1].overrideReason"),
        (_item(overrideReason={"reason": "busy"}), "feedback[1].overrideReason.reason"),
        (
            _item(overrideReason={"reason": {"system": OVERRIDE_SYSTEM}}),
            "feedback[1].overrideReason.reason.code",
        ),
        (_item(overrideReason={"userComment": 7}), "feedback[1].overrideReason.userComment"),
        (_item(overrideReason={"code": "x", "system": 1}), "feedback[1].overrideReason"),
    ],
)
def test_bad_item_is_400_naming_index_and_field(client: FlaskClient, item: Any, field: str) -> None:
    good = _item(card="11111111-2222-3333-4444-555555555555")
    response = client.post(FEEDBACK_URL, json={"feedback": [good, item]})
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert field in response.get_json()["message"]


@pytest.mark.parametrize("body", [[], {}, {"feedback": "x"}, {"feedback": {}}, {"Feedback": []}])
def test_bad_body_is_400(client: FlaskClient, body: Any) -> None:
    response = client.post(FEEDBACK_URL, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_unknown_service_is_404(client: FlaskClient) -> None:
    response = client.post("/cds-services/nope/feedback", json={"feedback": [_item()]})
    assert response.status_code == 404


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_items = st.fixed_dictionaries(
    {},
    optional={
        "card": st.text(max_size=70) | _json,
        "outcome": st.sampled_from(["accepted", "overridden", "Accepted", "x"]) | _json,
        "outcomeTimestamp": st.sampled_from([WHEN, "2026-03-01 10:00:00 UTC", "bad"]) | _json,
        "acceptedSuggestions": st.lists(
            st.fixed_dictionaries({"id": st.text(max_size=5)}) | _json, max_size=2
        ),
        "overrideReason": st.fixed_dictionaries(
            {}, optional={"reason": _json, "code": _json, "system": _json, "userComment": _json}
        )
        | _json,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(_items | _json, max_size=3))
def test_anything_is_200_or_400_never_500(client: FlaskClient, items: list[Any]) -> None:
    response = client.post(FEEDBACK_URL, json={"feedback": items})
    assert response.status_code in (200, 400), response.get_json()
