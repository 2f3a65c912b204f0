"""Override analytics for CDS committees: ``naltrexone-cds feedback-report``.

Figures per rule (the card's ``source.topic.code``), computed in ``report_figures``:
    shown             cards returned (card log), shown at or after --since
    accepted          last state: cards whose latest feedback (at or after --since) is "accepted"
    overridden        last state: cards whose latest feedback is "overridden"
    override rate     overridden / (accepted + overridden): of the cards someone answered, how many were
                      overridden at last.  Cards without feedback count as neither (EHRs often send none).
    feedback rate     (accepted + overridden) / shown, so a low answer rate is visible next to the rate.
    accepted events   every "accepted" report; overridden events: every "overridden" report - a
                      suggestion accepted, then the card dismissed, is one of each
    top override reasons, accepted suggestions: counted per event
Then, per suggestion: how often it was accepted (events), on how many cards, and how many of those cards
were overridden at last.  JSON also lists every answered card with its events.  Feedback for cards we
never logged is counted apart (``unknown_card_reports``), never in a figure.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
are prefixed with a single quote (OWASP "CSV injection"): override reasons are the caller's text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, datetime

import click
import orjson

from plugin.ops.report_figures import (
    UNKNOWN_CARD,
    Figures,
    RuleFigures,
    SuggestionFigures,
    compute_all,
    unknown_card_reports,
)

__all__ = ["UNKNOWN_CARD", "RuleFigures", "csv_safe", "feedback_report_command", "percent"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    "accepted events",
    "overridden events",
    "top override reasons",
    "accepted suggestions",
)
SUGGESTION_COLUMNS = ("rule", "suggestion", "accepted events", "cards", "cards overridden at last")


def _cells(figures: RuleFigures) -> list[str]:
    return [
        figures.rule_id,
        str(figures.shown),
        str(figures.accepted),
        str(figures.overridden),
        percent(figures.override_rate),
        percent(figures.feedback_rate),
        str(figures.accepted_events),
        str(figures.overridden_events),
        _counted(figures.override_reasons),
        _counted(figures.accepted_suggestions),
    ]


def _suggestion_cells(figures: SuggestionFigures) -> list[str]:
    return [
        figures.rule_id,
        figures.suggestion,
        str(figures.accepted_events),
        str(figures.cards),
        str(figures.cards_overridden_later),
    ]


def _aligned(header: tuple[str, ...], body: list[list[str]]) -> list[str]:
    table = [list(header), *body]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def render_table(figures: Figures, unknown_reports: int = 0) -> str:
    lines = [
        "per rule - accepted, overridden, override rate: last state of each card; events: every report",
        *_aligned(COLUMNS, [_cells(f) for f in figures.rules]),
    ]
    if figures.suggestions:
        lines += ["", "per suggestion (every accepted report counts)"]
        lines += _aligned(SUGGESTION_COLUMNS, [_suggestion_cells(f) for f in figures.suggestions])
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
    figures: Figures, since: datetime | None, generated: datetime, unknown_reports: int = 0
) -> str:
    body = {
        "generated": generated.isoformat(),
        "since": since.isoformat() if since else None,
        "rules": [f.as_dict() for f in figures.rules],
        "suggestions": [asdict(f) for f in figures.suggestions],
        "cards": [asdict(f) for f in figures.cards],
        "unknown_card_reports": unknown_reports,
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"


@click.command("feedback-report")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="First day (UTC).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table")
def feedback_report_command(since: datetime | None, fmt: str) -> None:
    """Per rule and per suggestion: cards shown, last state of each card, and every reported event."""
    from sqlalchemy.exc import SQLAlchemyError

    from plugin.ops.report_html import render_html
    from plugin.settings import load_settings
    from plugin.storage.db import get_engine

    start = since.replace(tzinfo=UTC) if since else None
    try:
        with get_engine(load_settings()).connect() as conn:
            figures = compute_all(conn, start)
            unknown = unknown_card_reports(conn, start)
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(
            f"cannot read the feedback database ({type(exc).__name__}); is it migrated? "
            "run `naltrexone-cds db upgrade`"
        ) from None
    generated = datetime.now(UTC)
    if fmt == "json":
        click.echo(render_json(figures, start, generated, unknown), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(figures.rules), nl=False)
    elif fmt == "html":
        click.echo(render_html(figures, start, generated), nl=False)
    else:
        click.echo(render_table(figures, unknown), nl=False)
