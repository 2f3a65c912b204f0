"""The feedback report's figures: per rule, per suggestion and per card, as "last state" and "events".

Two views of the same feedback rows (one row per reported outcome; the table's natural key keeps a
re-sent report from counting twice):

* **last state** - each card once, by its latest report: ``accepted`` / ``overridden`` cards, and the
  override rate of the cards someone answered.  "What did the clinician end up doing with the card?"
* **events** - every reported outcome counts.  A suggestion accepted and the card dismissed afterwards
  (the CDS Hooks sandbox keeps an accepted card on screen) are two facts: one accepted event (with its
  suggestion ids) and one overridden event.  Override reasons and accepted suggestions are counted per
  event, so an accepted suggestion is never lost to a later dismissal.

Feedback for a card uuid we had not logged when it arrived is kept apart: never in any figure here
(anyone can make up a uuid), only counted on its own (``unknown_card_reports``).  So is feedback whose
issuer is not the one the card was returned to (the endpoint refuses it; older rows are filtered here).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from plugin.storage.models import card_log, feedback

UNKNOWN_CARD = "(unknown card)"
TOP_N = 5
NO_REASON = "(no reason given)"


@dataclass
class RuleFigures:
    rule_id: str
    shown: int = 0
    accepted: int = 0  # last state: cards whose latest report is "accepted"
    overridden: int = 0  # last state: cards whose latest report is "overridden"
    accepted_events: int = 0  # every "accepted" report
    overridden_events: int = 0  # every "overridden" report
    override_reasons: list[tuple[str, int]] = field(default_factory=list)  # per event
    accepted_suggestions: list[tuple[str, int]] = field(default_factory=list)  # per event

    @property
    def answered(self) -> int:
        return self.accepted + self.overridden

    @property
    def override_rate(self) -> float | None:
        return self.overridden / self.answered if self.answered else None

    @property
    def feedback_rate(self) -> float | None:
        return self.answered / self.shown if self.shown else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["override_reasons"] = [{"reason": r, "count": n} for r, n in self.override_reasons]
        data["accepted_suggestions"] = [{"suggestion": s, "count": n} for s, n in self.accepted_suggestions]
        data["override_rate"] = self.override_rate
        data["feedback_rate"] = self.feedback_rate
        return data


@dataclass
class SuggestionFigures:
    rule_id: str
    suggestion: str  # our label (the uuid when a card logged none)
    accepted_events: int = 0  # reports that accepted it
    cards: int = 0  # distinct cards on which it was accepted at least once
    cards_overridden_later: int = 0  # of those, cards whose latest report is an override


@dataclass
class CardFigures:
    card_uuid: str
    rule_id: str
    last_outcome: str
    accepted_events: int = 0
    overridden_events: int = 0
    accepted_suggestions: list[str] = field(default_factory=list)  # labels, in report order


@dataclass
class Figures:
    rules: list[RuleFigures]
    suggestions: list[SuggestionFigures]
    cards: list[CardFigures]


def rule_sort_key(rule_id: str) -> tuple[int, str, int]:
    """R2 before R10; named rules (CLEAN, UNVERIFIED) after numbered ones; unknown cards last."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", rule_id)
    if rule_id == UNKNOWN_CARD:
        return (2, rule_id, 0)
    return (0, match[1], int(match[2])) if match else (1, rule_id, 0)


def _reports(conn: Connection, since: datetime | None) -> list[Any]:
    """Feedback rows of logged cards, oldest first (ties on the timestamp: the earlier-stored row)."""
    query = select(
        feedback.c.card_uuid,
        feedback.c.outcome,
        feedback.c.outcome_timestamp,
        feedback.c.id,
        feedback.c.accepted_suggestions,
        feedback.c.override_code,
        feedback.c.override_display,
        feedback.c.issuer,
    ).where(feedback.c.card_known.is_(True))
    if since is not None:
        query = query.where(feedback.c.outcome_timestamp >= since)
    return sorted(conn.execute(query), key=lambda row: (row.outcome_timestamp, row.id))


def _cards(conn: Connection, uuids: list[str]) -> dict[str, tuple[str, dict[str, str], str]]:
    """card uuid -> (rule, suggestion labels by uuid, issuer it was returned to)."""
    cards: dict[str, tuple[str, dict[str, str], str]] = {}
    for start in range(0, len(uuids), 500):
        query = select(
            card_log.c.card_uuid, card_log.c.rule_id, card_log.c.suggestions, card_log.c.issuer
        ).where(card_log.c.card_uuid.in_(uuids[start : start + 500]))
        for card_uuid, rule_id, suggestions, issuer in conn.execute(query):
            labels = {s["uuid"]: s.get("label") or s["uuid"] for s in suggestions if s.get("uuid")}
            cards.setdefault(card_uuid, (rule_id, labels, issuer))
    return cards


def compute_all(conn: Connection, since: datetime | None = None) -> Figures:
    """Every figure, read in one transaction."""
    rules: dict[str, RuleFigures] = {}

    def rule(rule_id: str) -> RuleFigures:
        return rules.setdefault(rule_id, RuleFigures(rule_id))

    shown_query = select(card_log.c.rule_id, func.count()).group_by(card_log.c.rule_id)
    if since is not None:
        shown_query = shown_query.where(card_log.c.shown_at >= since)
    for rule_id, count in conn.execute(shown_query):
        rule(rule_id).shown = count

    reports = _reports(conn, since)
    logged = _cards(conn, sorted({row.card_uuid for row in reports}))
    per_card: dict[str, CardFigures] = {}
    reasons: dict[str, Counter[str]] = {}
    accepted: dict[str, Counter[str]] = {}
    suggestion_cards: dict[tuple[str, str], set[str]] = {}
    for row in reports:
        card = logged.get(row.card_uuid)
        if card is None or card[2] != row.issuer:  # not the card's recipient: never a figure
            continue
        rule_id, labels, _ = card
        figures = rule(rule_id)
        this = per_card.setdefault(row.card_uuid, CardFigures(row.card_uuid, rule_id, row.outcome))
        this.last_outcome = row.outcome  # rows come oldest first
        if row.outcome == "accepted":
            figures.accepted_events += 1
            this.accepted_events += 1
            names = [labels.get(s, s) for s in row.accepted_suggestions]
            this.accepted_suggestions.extend(names)
            accepted.setdefault(rule_id, Counter()).update(names)
            for name in names:
                suggestion_cards.setdefault((rule_id, name), set()).add(row.card_uuid)
        else:
            figures.overridden_events += 1
            this.overridden_events += 1
            reason = row.override_display or row.override_code or NO_REASON
            reasons.setdefault(rule_id, Counter())[reason] += 1
    for this in per_card.values():
        if this.last_outcome == "accepted":
            rules[this.rule_id].accepted += 1
        else:
            rules[this.rule_id].overridden += 1
    for rule_id, figures in rules.items():
        figures.override_reasons = reasons.get(rule_id, Counter()).most_common(TOP_N)
        figures.accepted_suggestions = accepted.get(rule_id, Counter()).most_common(TOP_N)
    suggestions = [
        SuggestionFigures(
            rule_id,
            name,
            accepted[rule_id][name],
            len(uuids),
            sum(per_card[u].last_outcome == "overridden" for u in uuids),
        )
        for (rule_id, name), uuids in suggestion_cards.items()
    ]
    suggestions.sort(key=lambda s: (rule_sort_key(s.rule_id), -s.accepted_events, s.suggestion))
    cards = sorted(per_card.values(), key=lambda c: (rule_sort_key(c.rule_id), c.card_uuid))
    return Figures(sorted(rules.values(), key=lambda f: rule_sort_key(f.rule_id)), suggestions, cards)


def unknown_card_reports(conn: Connection, since: datetime | None = None) -> int:
    """Feedback reports (at or after ``since``) for cards we had not logged when they arrived."""
    query = select(func.count()).select_from(feedback).where(feedback.c.card_known.is_(False))
    if since is not None:
        query = query.where(feedback.c.outcome_timestamp >= since)
    return int(conn.execute(query).scalar_one())
