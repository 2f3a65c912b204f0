"""The database schema as SQLAlchemy Core tables (Alembic migrations create it; keep both in step).

Privacy: no table holds a patient identifier.  ``card_log.hook_instance`` is the random UUID the EHR
mints per hook call; it lets us group the cards of one call without knowing whose call it was.
Free-text override comments are not stored either (clinicians type names into them); only the fact
that a comment was given.

Tables:
    card_log   every card the service returned (one row per card per response)
    feedback   what the clinician did with a card; natural key (issuer, card_uuid, outcome, outcome_timestamp)
    jti_seen   JWT ids already accepted, for replay protection (used by plugin.auth)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every backend.

    SQLite keeps no offset and SQLAlchemy would silently drop one, so values are converted to UTC on the
    way in (naive ones are refused) and come back tagged UTC.  Comparisons stay chronological.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


# Stable constraint names, so later migrations can alter them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

card_log = Table(
    "card_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_uuid", String(64), nullable=False),
    Column("service_id", String(128), nullable=False),
    Column("hook", String(64), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("indicator", String(16), nullable=False),
    # [{"uuid": ..., "label": ...}] - our own suggestion wording, never patient data.
    Column("suggestions", JSON, nullable=False),
    Column("hook_instance", String(64), nullable=False),
    Column("shown_at", UtcDateTime(), nullable=False),
    # ``iss`` of the EHR token the card was returned to ("" in AUTH=none mode and before revision 0002):
    # feedback about the card is accepted from that issuer only.
    Column("issuer", String(512), nullable=False, server_default=""),
    Index("ix_card_log_card_uuid", "card_uuid"),
    Index("ix_card_log_shown_at", "shown_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_uuid", String(64), nullable=False),
    Column("service_id", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),  # "accepted" | "overridden"
    Column("outcome_timestamp", UtcDateTime(), nullable=False),  # normalised to UTC
    Column("accepted_suggestions", JSON, nullable=False),  # ["<suggestion uuid>", ...]
    Column("override_system", String(512), nullable=True),
    Column("override_code", String(255), nullable=True),
    Column("override_display", String(512), nullable=True),
    Column("has_user_comment", Boolean, nullable=False),
    # False when the card uuid was not in card_log at receipt (another service, a lost log row...).
    Column("card_known", Boolean, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("issuer", String(512), nullable=False, server_default=""),  # of the caller, as in card_log
    # Idempotency: a retried or re-sent report of the same outcome at the same instant is one row.  Per
    # issuer, so one caller's reports (of an unknown card, say) never collide with another's.
    UniqueConstraint("issuer", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_natural_key"),
    Index("ix_feedback_outcome_timestamp", "outcome_timestamp"),
)

jti_seen = Table(
    "jti_seen",
    metadata,
    Column("jti", String(255), primary_key=True),
    Column("issuer", String(512), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_jti_seen_expires_at", "expires_at"),
)
