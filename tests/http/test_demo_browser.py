"""The demo EHR page in a real browser (Debian's chromium driven by playwright) against the real stack:
sekmet seeded with demo patients, the service (`serve`, dev mode) and its SQLite database.

Asserts on the DOM and the database, never on pixels; one screenshot per scenario in the test's tmp dir.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.support.demo_stack import DemoStack, demo_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RECENT_OPIOID = "r2-short-acting-5-days-pat-1"
CLEAN = "clean-oral-daily-aud-pat-1"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    names = ("r2-short-acting-5-days", "clean-oral-daily-aud", "r12-oxycodone-while-on-vivitrol")
    with demo_stack(tmp_path_factory.mktemp("demo"), scenarios=names) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        yield _launch(pw)


def _launch(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == []


def open_patient(page: Page, stack: DemoStack, patient_id: str) -> None:
    page.goto(stack.page_url(patient_id))
    expect(page.locator("#patient")).to_have_value(patient_id)


def check(page: Page, hook: str = "order-select") -> None:
    page.click(f"#check-{'select' if hook == 'order-select' else 'sign'}")
    expect(page.locator("#status")).to_contain_text("card(s) from")


def cards(page: Page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "#cards .card",
        "els => els.map(e => ({rule: e.dataset.rule, indicator: e.dataset.indicator,"
        " colour: getComputedStyle(e).borderLeftColor, summary: e.querySelector('.summary').textContent}))",
    )


def shot(page: Page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_recent_opioid_shows_a_red_critical_card(page: Page, stack: DemoStack, tmp_path: Path) -> None:
    open_patient(page, stack, RECENT_OPIOID)
    check(page)
    shown = cards(page)
    r2 = next(c for c in shown if c["rule"] == "R2")
    assert r2["indicator"] == "critical"
    assert r2["colour"] == "rgb(198, 40, 40)"  # the critical red of demo.css
    card = page.locator('#cards .card[data-rule="R2"]')
    expect(card.locator(".detail table")).to_be_visible()  # markdown table rendered, not shown as pipes
    expect(card.locator(".detail strong").first).to_have_text("Found in the record:")
    expect(card.locator(".source a")).to_have_attribute(
        "href", re.compile(r"^https://dailymed\.nlm\.nih\.gov/")
    )
    calls = page.locator("#calls").inner_text()
    assert "GET /cds-services -> 200" in calls
    assert f"MedicationRequest?patient={RECENT_OPIOID} -> 200" in calls  # prefetch from our template
    assert "POST /cds-services/naltrexone-order-select -> 200" in calls
    shot(page, tmp_path, "recent-opioid-critical")


def test_clean_patient_gets_info_cards_only(page: Page, stack: DemoStack, tmp_path: Path) -> None:
    open_patient(page, stack, CLEAN)
    page.select_option("#reason", "F10.20")  # treating alcohol use disorder
    check(page, "order-sign")
    shown = cards(page)
    assert {c["indicator"] for c in shown} == {"info"}
    assert {"CLEAN", "R16"} <= {c["rule"] for c in shown}
    assert all(c["colour"] == "rgb(21, 101, 192)" for c in shown)
    shot(page, tmp_path, "clean-info")


def test_accepting_the_regimen_changes_the_draft_and_clears_the_flag(
    page: Page, stack: DemoStack, tmp_path: Path
) -> None:
    open_patient(page, stack, CLEAN)
    page.fill("#dose", "75")
    page.fill("#end", "2026-12-10")  # a 2-week course: dose and course both off-label
    page.locator("#end").dispatch_event("change")
    check(page)
    regimen = page.locator('#cards .card[data-rule="R15"]')
    expect(regimen).to_have_attribute("data-indicator", "warning")
    shot(page, tmp_path, "regimen-flagged")
    regimen.locator(".suggestion").first.click()
    expect(regimen.locator(".state")).to_contain_text("Accepted")
    expect(page.locator("#dose")).to_have_value("50")
    expect(page.locator("#period-unit")).to_have_value("d")
    assert page.input_value("#end") > "2027-05-01"  # the whole suggested course, not only the dose
    draft = page.locator("#draft-json").text_content() or ""
    assert '"numberOfRepeatsAllowed": 12' in draft and '"expectedSupplyDuration"' in draft
    assert "suggested-by-naltrexone-cds" in draft
    check(page)
    assert "R15" not in {c["rule"] for c in cards(page)}  # its own tagged suggestion: no re-alert at all
    page.fill("#repeats", "11")  # the clinician edits it: the tag goes, every rule judges the order
    page.locator("#repeats").dispatch_event("change")
    assert "suggested-by-naltrexone-cds" not in (page.locator("#draft-json").text_content() or "")
    check(page)
    rules = {c["rule"] for c in cards(page)}
    assert "CLEAN" in rules and "R15" not in rules  # the suggested regimen passes on its merits
    shot(page, tmp_path, "regimen-accepted-recheck")


def test_dismissing_with_a_reason_stores_a_feedback_row(page: Page, stack: DemoStack, tmp_path: Path) -> None:
    open_patient(page, stack, RECENT_OPIOID)
    check(page, "order-sign")
    card = page.locator('#cards .card[data-rule="R2"]')
    card.locator(".override-reason").select_option(label="Opioid-free interval confirmed with the patient")
    card.locator(".comment").fill("patient named in a comment must not be stored")
    card.locator(".dismiss").click()
    expect(card.locator(".state")).to_contain_text("Dismissed: Opioid-free interval confirmed")
    expect(card).to_have_class("card indicator-critical dismissed")
    shot(page, tmp_path, "dismissed-with-reason")
    with sqlite3.connect(stack.state_dir / "naltrexone-cds.sqlite3") as db:
        rows = db.execute(
            "SELECT f.outcome, f.override_code, f.has_user_comment, f.card_known, c.rule_id "
            "FROM feedback f JOIN card_log c ON c.card_uuid = f.card_uuid "
            "WHERE f.override_code = 'opioid-free-confirmed'"
        ).fetchall()
    assert rows == [("overridden", "opioid-free-confirmed", 1, 1, "R2")]


def test_xr_order_and_the_opioid_reverse_check(page: Page, stack: DemoStack, tmp_path: Path) -> None:
    open_patient(page, stack, CLEAN)
    page.select_option("#med-preset", "xr")
    expect(page.locator("#dose")).to_have_value("380")
    expect(page.locator("#period-unit")).to_have_value("wk")
    check(page, "order-sign")
    assert "XR" in {c["rule"] for c in cards(page)}
    vivitrol = next(
        o
        for o in page.eval_on_selector_all("#patient option", "os => os.map(o => o.value)")
        if "r12-oxy" in o
    )
    page.select_option("#patient", vivitrol)
    page.select_option("#med-preset", "oxycodone")
    check(page, "order-sign")
    reverse = next(c for c in cards(page) if c["rule"] == "R12")
    assert reverse["indicator"] == "critical" and reverse["colour"] == "rgb(198, 40, 40)"
    shot(page, tmp_path, "opioid-on-vivitrol-reverse-check")


HOSTILE = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">'


def test_card_text_cannot_inject_script(page: Page, stack: DemoStack, tmp_path: Path) -> None:
    """A hostile card (summary, detail, source, labels) is shown as text; nothing of it runs."""
    hostile_card = {
        "uuid": "c1",
        "indicator": "critical",
        "summary": HOSTILE,
        "detail": (
            f"**bold** {HOSTILE}\n\n[click](javascript:window.__owned=3)\n\n"
            f"| a | b |\n|---|---|\n| {HOSTILE} | x |"
        ),
        "source": {"label": HOSTILE, "url": "javascript:window.__owned=4"},
        "suggestions": [{"uuid": "s1", "label": HOSTILE, "actions": []}],
        "overrideReasons": [{"code": "x", "display": HOSTILE}],
    }
    page.route(
        "**/cds-services/naltrexone-order-select",
        lambda route: route.fulfill(json={"cards": [hostile_card]}),
    )
    open_patient(page, stack, CLEAN)
    check(page)
    card = page.locator("#cards .card")
    expect(card.locator(".summary")).to_have_text(HOSTILE)
    for link in card.locator("a").all():
        assert (link.get_attribute("href") or "").startswith("https://")  # no javascript: link at all
    card.locator(".source").click()
    assert page.evaluate("window.__owned") is None
    assert page.locator("#cards script, #cards img, #cards [onerror]").count() == 0
    assert card.locator(".detail strong").first.inner_text() == "bold"
    shot(page, tmp_path, "hostile-card-escaped")


def test_demo_page_only_in_dev_mode(stack: DemoStack) -> None:
    response = requests.get(f"{stack.service_url}/demo", timeout=5)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
