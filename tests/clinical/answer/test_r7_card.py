"""R7's card says which recent negative tests it judged and which opioids they cannot rule out (table-driven,
the reason per row)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin import create_app
from tests.paths import SCENARIOS

# (scenario, texts the R7 detail must hold (None: no R7 card), reason)
ROWS: list[tuple[str, list[str] | None, str]] = [
    (
        "r11-oud-remission-no-naloxone",
        [
            "Observation/uds-1: Opiates [Presence] in Urine by Screen method, 2026-11-23",
            "cannot detect buprenorphine, fentanyl, methadone",
            "detects oxycodone only partly or variably",
            "rules out every opioid that matters",
        ],
        "an opiates immunoassay negative is named, with what it cannot see",
    ),
    ("r7-r11-oud-remission-screen-and-naloxone", None, "a panel covering every opioid that matters: silent"),
]


@pytest.mark.parametrize(("name", "texts", "reason"), ROWS, ids=[r[2] for r in ROWS])
def test_r7_card_names_what_the_negatives_cannot_rule_out(
    name: str, texts: list[str] | None, reason: str, tmp_path: Path
) -> None:
    scenario = json.loads((SCENARIOS / f"{name}.json").read_text())
    app = create_app({"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path)})
    response = app.test_client().post("/cds-services/naltrexone-order-sign", json=scenario["request"])
    assert response.status_code == 200
    r7 = [c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "R7"]
    if texts is None:
        assert not r7, reason
        return
    assert len(r7) == 1, reason
    for text in texts:
        assert text in r7[0]["detail"], f"{reason}: {text!r} missing"
