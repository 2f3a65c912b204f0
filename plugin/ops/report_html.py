"""The feedback report as one self-contained HTML page (inline CSS and SVG, no external assets).

A CDS committee opens it from an e-mail or a share: nothing may be fetched, so no fonts, scripts or
images from elsewhere.  Every value from the database is escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from plugin.ops.report import percent
from plugin.ops.report_figures import Figures, RuleFigures, SuggestionFigures

BAR_WIDTH = 320
BAR_HEIGHT = 16
COLOURS = {"accepted": "#2e7d32", "overridden": "#c62828", "no feedback": "#bdbdbd"}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212121; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
p.meta { color: #616161; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul { margin: 0; padding-left: 1rem; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
"""


def _bar(figures: RuleFigures, scale: int) -> str:
    """Stacked bar: accepted, overridden, no feedback; length proportional to cards shown."""
    unanswered = max(figures.shown - figures.answered, 0)
    parts = [("accepted", figures.accepted), ("overridden", figures.overridden), ("no feedback", unanswered)]
    x = 0.0
    rects = []
    for name, count in parts:
        width = BAR_WIDTH * count / scale if scale else 0
        if width > 0:
            rects.append(
                f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="{BAR_HEIGHT}" fill="{COLOURS[name]}">'
                f"<title>{escape(name)}: {count}</title></rect>"
            )
        x += width
    label = escape(f"{figures.rule_id}: {figures.accepted} accepted, {figures.overridden} overridden")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" role="img" '
        f'aria-label="{label}">{"".join(rects)}</svg>'
    )


def _list(items: list[tuple[str, int]]) -> str:
    if not items:
        return "-"
    return "<ul>" + "".join(f"<li>{escape(label)} ({count})</li>" for label, count in items) + "</ul>"


def _suggestion_rows(items: list[SuggestionFigures]) -> str:
    if not items:
        return ""
    rows = "".join(
        f"<tr><td>{escape(s.rule_id)}</td><td>{escape(s.suggestion)}</td>"
        f'<td class="num">{s.accepted_events}</td><td class="num">{s.cards}</td>'
        f'<td class="num">{s.cards_overridden_later}</td></tr>'
        for s in items
    )
    return (
        "<h2>Per suggestion</h2><table><thead><tr><th>Rule</th><th>Suggestion</th><th>Accepted (events)</th>"
        "<th>Cards</th><th>Of those, overridden at last</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_html(figures: Figures, since: datetime | None, generated: datetime) -> str:
    rows = figures.rules
    scale = max([max(f.shown, f.answered) for f in rows] or [0])
    legend = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in COLOURS.items())
    body_rows = "".join(
        "<tr>"
        f"<td>{escape(f.rule_id)}</td>"
        f'<td class="num">{f.shown}</td><td class="num">{f.accepted}</td><td class="num">{f.overridden}</td>'
        f'<td class="num">{percent(f.override_rate)}</td><td class="num">{percent(f.feedback_rate)}</td>'
        f'<td class="num">{f.accepted_events}</td><td class="num">{f.overridden_events}</td>'
        f"<td>{_bar(f, scale)}</td><td>{_list(f.override_reasons)}</td>"
        f"<td>{_list(f.accepted_suggestions)}</td>"
        "</tr>"
        for f in rows
    )
    period = f"since {since.date().isoformat()}" if since else "all time"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<title>Naltrexone CDS - feedback report</title>"
        f"<style>{_CSS}</style></head><body>"
        "<h1>Naltrexone CDS - what clinicians did with the cards</h1>"
        f'<p class="meta">{escape(period)}; generated {escape(generated.strftime("%Y-%m-%d %H:%M UTC"))}. '
        "Last state: each card counts once, by its latest report - override rate = overridden / "
        "(accepted + overridden); feedback rate = answered / shown. Events: every report counts (a "
        "suggestion accepted, then the card dismissed, is one of each); reasons and suggestions are "
        "counted per event.</p>"
        f'<p class="legend">{legend}</p>'
        "<table><thead><tr><th rowspan=2>Rule</th><th rowspan=2>Shown</th><th colspan=4>Last state</th>"
        "<th colspan=2>Events</th><th rowspan=2>Cards</th><th rowspan=2>Top override reasons</th>"
        "<th rowspan=2>Accepted suggestions</th></tr>"
        "<tr><th>Accepted</th><th>Overridden</th><th>Override rate</th><th>Feedback rate</th>"
        "<th>Accepted</th><th>Overridden</th></tr></thead>"
        f"<tbody>{body_rows or '<tr><td colspan=11>No cards or feedback in this period.</td></tr>'}</tbody>"
        f"</table>{_suggestion_rows(figures.suggestions)}</body></html>\n"
    )
