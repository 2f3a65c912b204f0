"""Feedback endpoint: what the clinician did with our cards, stored once and durably.

Accepts the spec shape and the variants real clients send (cdshooks.md, Feedback): the older sandbox
``overrideReason: {code, system}`` next to ``{reason: Coding, userComment}``, and ``outcomeTimestamp``
with a trailing `` UTC``.  Anything else malformed is a 400 naming the item and field; the database
being down is a 503 with nothing stored; a 200 is sent only after the commit.

Idempotency: the natural key of a report is (card uuid, outcome, outcomeTimestamp as an instant).  An
EHR retrying a call, or repeating an item, changes nothing; the same card reported later with another
outcome or time is a new report (the analytics count each card's latest one).

Forgery: feedback counts only from whoever received the card.  A card we logged for another token
issuer, or returned by another service, makes the whole call a 403 with nothing stored; an
``outcomeTimestamp`` in the future (beyond the clock skew) is a 400, so no report can pin an outcome
forever.  Cards we never logged are stored apart (``card_known`` false) and never enter per-rule
figures.  The reply counts only the caller's own reports: it says nothing about other callers' cards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, current_app

from plugin.auth import caller_issuer
from plugin.errors import BadHookRequest, Forbidden, ServiceUnavailable
from plugin.http.api import bp, json_response, read_json_body
from plugin.http.services import get_service
from plugin.ops.metrics import observe_feedback
from plugin.storage.store import CardNotYours, FeedbackRow, StorageUnavailable, Store, get_store, set_store

log = logging.getLogger("naltrexone_cds.feedback")

OUTCOMES = ("accepted", "overridden")
MAX_ITEMS = 100  # one call is one transaction (an EHR reports the few cards of one hook call); bounded
CLOCK_SKEW = timedelta(minutes=5)  # an outcomeTimestamp later than now + this is refused
MAX_CARD_UUID = 64  # card_log/feedback column width; our uuids are 36
MAX_CODE, MAX_SYSTEM, MAX_DISPLAY = 255, 512, 512

# RFC 3339 date-time; also a space for "T", and the " UTC" suffix of old spec examples.
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2}| ?UTC)?"
)


def _bad(index: int, field: str, problem: str) -> BadHookRequest:
    where = f"feedback[{index}].{field}" if field else f"feedback[{index}]"
    return BadHookRequest(f"{where} {problem}", field=where)


def parse_timestamp(raw: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime (no offset counts as UTC); None if unreadable."""
    match = _TIMESTAMP.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        return None
    zone = (match["zone"] or "Z").strip().upper()
    offset = "+00:00" if zone in ("Z", "UTC") else zone
    frac = (match["frac"] or "0")[:6].ljust(6, "0")
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}.{frac}{offset}")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _text(value: Any, limit: int) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _override(index: int, raw: Any) -> tuple[str | None, str | None, str | None, bool]:
    """(system, code, display, has_comment) from either overrideReason shape."""
    if raw is None:
        return None, None, None, False
    if not isinstance(raw, Mapping):
        raise _bad(index, "overrideReason", "must be an object")
    comment = raw.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise _bad(index, "overrideReason.userComment", "must be a string")
    coding, field = raw.get("reason"), "overrideReason.reason"
    if coding is None and "code" in raw:  # older sandbox shape: the Coding itself
        coding, field = raw, "overrideReason"
    if coding is None:
        return None, None, None, bool(comment and comment.strip())
    if not isinstance(coding, Mapping):
        raise _bad(index, field, "must be a Coding object")
    code = _text(coding.get("code"), MAX_CODE)
    if code is None:
        raise _bad(index, f"{field}.code", "must be a non-empty string")
    system, display = coding.get("system"), coding.get("display")
    if (system is not None and not isinstance(system, str)) or (
        display is not None and not isinstance(display, str)
    ):
        raise _bad(index, field, "system and display must be strings")
    return _text(system, MAX_SYSTEM), code, _text(display, MAX_DISPLAY), bool(comment and comment.strip())


def _accepted_suggestions(index: int, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(index, "acceptedSuggestions", "is required when outcome is 'accepted' (a non-empty array)")
    ids = []
    for position, item in enumerate(raw):
        suggestion_id = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(suggestion_id, str) or not suggestion_id.strip():
            raise _bad(index, f"acceptedSuggestions[{position}].id", "must be a non-empty string")
        ids.append(suggestion_id.strip())
    return tuple(ids)


def parse_item(index: int, item: Any, now: datetime | None = None) -> FeedbackRow:
    """One feedback item -> FeedbackRow, or a 400 naming the field.  The comment text is dropped."""
    if not isinstance(item, Mapping):
        raise _bad(index, "", "must be an object")
    card = item.get("card")
    if not isinstance(card, str) or not card.strip():
        raise _bad(index, "card", "is required (the uuid of the card)")
    if len(card.strip()) > MAX_CARD_UUID:
        raise _bad(index, "card", f"is longer than {MAX_CARD_UUID} characters")
    outcome = item.get("outcome")
    outcome = outcome.strip().lower() if isinstance(outcome, str) else outcome
    if outcome not in OUTCOMES:
        raise _bad(index, "outcome", "must be 'accepted' or 'overridden'")
    timestamp = parse_timestamp(item.get("outcomeTimestamp"))
    if timestamp is None:
        raise _bad(index, "outcomeTimestamp", "is required as an RFC 3339 date-time")
    if timestamp > (now or datetime.now(UTC)) + CLOCK_SKEW:
        raise _bad(index, "outcomeTimestamp", "is in the future")
    accepted: tuple[str, ...] = ()
    system = code = display = None
    has_comment = False
    if outcome == "accepted":
        accepted = _accepted_suggestions(index, item.get("acceptedSuggestions"))
    else:
        system, code, display, has_comment = _override(index, item.get("overrideReason"))
    return FeedbackRow(card.strip(), outcome, timestamp, accepted, system, code, display, has_comment)


def parse_feedback(body: Any, now: datetime) -> list[FeedbackRow]:
    """The whole body -> rows; all-or-nothing, so a 400 leaves nothing stored."""
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise BadHookRequest("feedback body must be an object with a 'feedback' array", field="feedback")
    items = body["feedback"]
    if len(items) > MAX_ITEMS:
        raise BadHookRequest(f"at most {MAX_ITEMS} feedback items per call", field="feedback")
    return [parse_item(index, item, now) for index, item in enumerate(items)]


@bp.post("/cds-services/<service_id>/feedback")
def post_feedback(service_id: str) -> Response:
    service = get_service(service_id)
    now = datetime.now(UTC)
    rows = parse_feedback(read_json_body(), now)
    issuer = caller_issuer()
    try:
        result = get_store(current_app).store_feedback(service.id, issuer, rows, now)
    except StorageUnavailable:
        raise ServiceUnavailable("feedback database unavailable; nothing was stored, please retry") from None
    except CardNotYours:
        log.warning("feedback refused: card of another issuer or service", extra={"iss": issuer[:200]})
        raise Forbidden(
            "feedback may describe only cards this service returned to you; nothing was stored"
        ) from None
    for row, rule_id in result.stored:
        observe_feedback(rule_id, row.outcome)
    unknown = sum(1 for _, rule_id in result.stored if rule_id is None)
    log.info(
        "feedback service=%s items=%d stored=%d duplicates=%d unknown_cards=%d",
        service.id,
        len(rows),
        len(result.stored),
        result.duplicates,
        unknown,
    )
    # No unknown-card count: whether a uuid is known is none of the caller's business.
    return json_response({"stored": len(result.stored), "duplicates": result.duplicates})


def init_app(app: Flask) -> None:
    """Attach the database handle and migrate now (auto_migrate), so no hook call pays for it.

    A database that is down at start must not stop the safety checks: we log, keep serving cards,
    answer feedback with 503, and retry the migration on the next use.
    """
    store = Store(app.config["SETTINGS"])
    set_store(app, store)
    if app.config["SETTINGS"].auto_migrate:
        try:
            store.engine()
        except StorageUnavailable as exc:
            log.error("database not migrated at start (%s); feedback answers 503 until it is reachable", exc)
