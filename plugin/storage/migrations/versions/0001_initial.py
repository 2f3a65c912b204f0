"""Initial schema: card_log, feedback, jti_seen.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the three tables and their indexes."""
    op.create_table(
        "card_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_uuid", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(128), nullable=False),
        sa.Column("hook", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("indicator", sa.String(16), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("hook_instance", sa.String(64), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_card_log"),
    )
    op.create_index("ix_card_log_card_uuid", "card_log", ["card_uuid"])
    op.create_index("ix_card_log_shown_at", "card_log", ["shown_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_uuid", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("override_system", sa.String(512), nullable=True),
        sa.Column("override_code", sa.String(255), nullable=True),
        sa.Column("override_display", sa.String(512), nullable=True),
        sa.Column("has_user_comment", sa.Boolean(), nullable=False),
        sa.Column("card_known", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_natural_key"),
    )
    op.create_index("ix_feedback_outcome_timestamp", "feedback", ["outcome_timestamp"])
    op.create_table(
        "jti_seen",
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("issuer", sa.String(512), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_jti_seen"),
    )
    op.create_index("ix_jti_seen_expires_at", "jti_seen", ["expires_at"])


def downgrade() -> None:
    """Drop everything 0001 created."""
    op.drop_index("ix_jti_seen_expires_at", table_name="jti_seen")
    op.drop_table("jti_seen")
    op.drop_index("ix_feedback_outcome_timestamp", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_card_log_shown_at", table_name="card_log")
    op.drop_index("ix_card_log_card_uuid", table_name="card_log")
    op.drop_table("card_log")
