"""Service database: schema (models), engines and migrations (db), Alembic scripts (migrations/)."""

from plugin.storage.db import current_revision, get_engine, head_revision, transaction, upgrade
from plugin.storage.models import card_log, feedback, jti_seen, metadata

__all__ = [
    "card_log",
    "current_revision",
    "feedback",
    "get_engine",
    "head_revision",
    "jti_seen",
    "metadata",
    "transaction",
    "upgrade",
]
