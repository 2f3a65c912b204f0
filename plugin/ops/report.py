"""Override analytics per rule, for CDS committees: ``naltrexone-cds feedback-report``.

Figures per rule (the card's ``source.topic.code``):
    shown           cards returned (card log), shown at or after --since
    accepted        cards whose latest feedback (outcome at or after --since) is "accepted"
    overridden      cards whose latest feedback is "overridden"
    override rate   overridden / (accepted + overridden): of the cards someone answered, how many were
                    overridden.  Cards without feedback are not counted as either (EHRs often send none).
    feedback rate   (accepted + overridden) / shown, so a low answer rate is visible next to the rate.
Each card counts once, by its latest report (an EHR may report a card more than once).  Feedback for a
card uuid we had not logged when it arrived is kept apart: never in a rule's figures (anyone can make
up a uuid), only counted on its own (``unknown_card_reports``).  So is feedback whose issuer is not the
one the card was returned to (the endpoint refuses it; older rows are filtered here too).

CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
are prefixed with a single quote (OWASP "CSV injection"): override reasons are the caller's text.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import click
import orjson
from sqlalchemy import Connection, func, select

from plugin.storage.models import card_log, feedback

UNKNOWN_CARD = "(unknown card)"
TOP_N = 5
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RuleFigures:
    rule_id: str
    shown: int = 0
    accepted: int = 0
    overridden: int = 0
    override_reasons: list[tuple[str, int]] = field(default_factory=list)
    accepted_suggestions: list[tuple[str, int]] = field(default_factory=list)

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


def _rule_sort_key(rule_id: str) -> tuple[int, str, int]:
    """R2 before R10; named rules (CLEAN, UNVERIFIED) after numbered ones; unknown cards last."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", rule_id)
    if rule_id == UNKNOWN_CARD:
        return (2, rule_id, 0)
    return (0, match[1], int(match[2])) if match else (1, rule_id, 0)


def compute(conn: Connection, since: datetime | None = None) -> list[RuleFigures]:
    """The figures per rule, read in one transaction."""
    rules: dict[str, RuleFigures] = {}

    def rule(rule_id: str) -> RuleFigures:
        return rules.setdefault(rule_id, RuleFigures(rule_id))

    shown_query = select(card_log.c.rule_id, func.count()).group_by(card_log.c.rule_id)
    if since is not None:
        shown_query = shown_query.where(card_log.c.shown_at >= since)
    for rule_id, count in conn.execute(shown_query):
        rule(rule_id).shown = count

    # Latest report per card; ties on the timestamp go to the later-stored row.
    feedback_query = select(
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
        feedback_query = feedback_query.where(feedback.c.outcome_timestamp >= since)
    latest: dict[str, Any] = {}
    for row in conn.execute(feedback_query):
        kept = latest.get(row.card_uuid)
        if kept is None or (row.outcome_timestamp, row.id) > (kept.outcome_timestamp, kept.id):
            latest[row.card_uuid] = row

    cards: dict[str, tuple[str, dict[str, str], str]] = {}
    uuids = sorted(latest)
    for start in range(0, len(uuids), 500):
        query = select(
            card_log.c.card_uuid, card_log.c.rule_id, card_log.c.suggestions, card_log.c.issuer
        ).where(card_log.c.card_uuid.in_(uuids[start : start + 500]))
        for card_uuid, rule_id, suggestions, issuer in conn.execute(query):
            labels = {s["uuid"]: s.get("label") or s["uuid"] for s in suggestions if s.get("uuid")}
            cards.setdefault(card_uuid, (rule_id, labels, issuer))

    reasons: dict[str, Counter[str]] = {}
    accepted: dict[str, Counter[str]] = {}
    for card_uuid, row in latest.items():
        card = cards.get(card_uuid)
        if card is None or card[2] != row.issuer:  # not the card's recipient: never a rule's figure
            continue
        rule_id, labels, _ = card
        figures = rule(rule_id)
        if row.outcome == "accepted":
            figures.accepted += 1
            accepted.setdefault(rule_id, Counter()).update(labels.get(s, s) for s in row.accepted_suggestions)
        else:
            figures.overridden += 1
            reason = row.override_display or row.override_code or "(no reason given)"
            reasons.setdefault(rule_id, Counter())[reason] += 1
    for rule_id, figures in rules.items():
        figures.override_reasons = reasons.get(rule_id, Counter()).most_common(TOP_N)
        figures.accepted_suggestions = accepted.get(rule_id, Counter()).most_common(TOP_N)
    return sorted(rules.values(), key=lambda f: _rule_sort_key(f.rule_id))


def unknown_card_reports(conn: Connection, since: datetime | None = None) -> int:
    """Feedback reports (at or after ``since``) for cards we had not logged when they arrived."""
    query = select(func.count()).select_from(feedback).where(feedback.c.card_known.is_(False))
    if since is not None:
        query = query.where(feedback.c.outcome_timestamp >= since)
    return int(conn.execute(query).scalar_one())


def percent(value: float | None, none: str = "-") -> str:
    return none if value is None else f"{value * 100:.1f}%"


def _counted(items: list[tuple[str, int]]) -> str:
    return "; ".join(f"{label} ({count})" for label, count in items)


COLUMNS = (
    "rule",
    "shown",
    "accepted",
    "overridden",
    "override rate",
    "feedback rate",
    "top override reasons",
    "accepted suggestions",
)


def _cells(figures: RuleFigures) -> list[str]:
    return [
        figures.rule_id,
        str(figures.shown),
        str(figures.accepted),
        str(figures.overridden),
        percent(figures.override_rate),
        percent(figures.feedback_rate),
        _counted(figures.override_reasons),
        _counted(figures.accepted_suggestions),
    ]


def render_table(rows: list[RuleFigures], unknown_reports: int = 0) -> str:
    table = [list(COLUMNS)] + [_cells(figures) for figures in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if unknown_reports:
        lines.append(f"\nfeedback for cards not in our log (in no rule's figures): {unknown_reports}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def csv_safe(cell: str) -> str:
    """``cell`` with a leading quote when a spreadsheet would read it as a formula (OWASP)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def render_csv(rows: list[RuleFigures]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.replace(" ", "_") for c in COLUMNS])
    for figures in rows:
        cells = _cells(figures)
        cells[4:6] = [percent(figures.override_rate, ""), percent(figures.feedback_rate, "")]
        writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()


def render_json(
    rows: list[RuleFigures], since: datetime | None, generated: datetime, unknown_reports: int = 0
) -> str:
    body = {
        "generated": generated.isoformat(),
        "since": since.isoformat() if since else None,
        "rules": [f.as_dict() for f in rows],
        "unknown_card_reports": unknown_reports,
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"


@click.command("feedback-report")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="First day (UTC).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table")
def feedback_report_command(since: datetime | None, fmt: str) -> None:
    """Per rule: cards shown, accepted, overridden, override rate, top reasons, accepted suggestions."""
    from sqlalchemy.exc import SQLAlchemyError

    from plugin.ops.report_html import render_html
    from plugin.settings import load_settings
    from plugin.storage.db import get_engine

    start = since.replace(tzinfo=UTC) if since else None
    try:
        with get_engine(load_settings()).connect() as conn:
            rows = compute(conn, start)
            unknown = unknown_card_reports(conn, start)
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(
            f"cannot read the feedback database ({type(exc).__name__}); is it migrated? "
            "run `naltrexone-cds db upgrade`"
        ) from None
    generated = datetime.now(UTC)
    if fmt == "json":
        click.echo(render_json(rows, start, generated, unknown), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(rows), nl=False)
    elif fmt == "html":
        click.echo(render_html(rows, start, generated), nl=False)
    else:
        click.echo(render_table(rows, unknown), nl=False)
