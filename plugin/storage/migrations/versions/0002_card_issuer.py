"""Who received each card: card_log and feedback record the token issuer; feedback is scoped by it.

Feedback may only describe a card shown to the same issuer through the same service, so the card log
keeps the issuer (``iss`` of the EHR's token; "" in AUTH=none development mode and for rows logged
before this revision).  Feedback keeps the caller's issuer too, and its natural key becomes (issuer,
card uuid, outcome, outcomeTimestamp): one caller's reports never collide with - or reveal - another's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

NATURAL_KEY = "uq_feedback_natural_key"


def upgrade() -> None:
    """Add the issuer columns and scope the feedback natural key by issuer."""
    with op.batch_alter_table("card_log") as batch:
        batch.add_column(sa.Column("issuer", sa.String(512), nullable=False, server_default=""))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("issuer", sa.String(512), nullable=False, server_default=""))
        batch.drop_constraint(NATURAL_KEY, type_="unique")
        batch.create_unique_constraint(NATURAL_KEY, ["issuer", "card_uuid", "outcome", "outcome_timestamp"])


def downgrade() -> None:
    """Back to 0001: drop the issuer columns (feedback of two issuers may then collide: kept first)."""
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint(NATURAL_KEY, type_="unique")
        batch.create_unique_constraint(NATURAL_KEY, ["card_uuid", "outcome", "outcome_timestamp"])
        batch.drop_column("issuer")
    with op.batch_alter_table("card_log") as batch:
        batch.drop_column("issuer")
