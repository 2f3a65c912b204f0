"""Every scenario, fetched from a real FHIR server instead of prefetched, must give the same cards.

Each scenario is loaded into sekmet under its own id prefix (the scenarios reuse patient and
resource ids), then the service is called twice: with the scenario's prefetch, and with prefetch
removed and ``fhirServer``/``fhirAuthorization`` given.  Cards are compared as a multiset of
(source.topic.code, indicator).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin import create_app
from plugin.ops.seed import service_id_for
from tests.paths import SCENARIOS
from tests.record.conftest import DATA, card_kinds, load_scenario, seed, without_prefetch
from tests.support.fhir_server import FhirServer

PATHS = sorted(SCENARIOS.glob("*.json")) + sorted(DATA.glob("*.json"))


@pytest.fixture(scope="module")
def client_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], FlaskClient]:
    """One dev-mode app per scenario 'now' (loopback FHIR servers are allowed in dev mode)."""
    clients: dict[str, FlaskClient] = {}

    def get(now: str) -> FlaskClient:
        if now not in clients:
            state = tmp_path_factory.mktemp("state")
            clients[now] = create_app({"auth": "none", "now": now, "state_dir": str(state)}).test_client()
        return clients[now]

    return get


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_fetched_scenario_gives_the_prefetch_cards(
    path: Path, fhir_server: FhirServer, client_for: Callable[[str], FlaskClient]
) -> None:
    scenario: dict[str, Any] = load_scenario(path)
    request = seed(fhir_server, scenario, f"s{PATHS.index(path):02d}-")
    client = client_for(scenario["now"])
    url = f"/cds-services/{service_id_for(request['hook'])}"
    prefetched = client.post(url, json=request)
    fetched = client.post(url, json=without_prefetch(request, fhir_server))
    assert prefetched.status_code == fetched.status_code == 200, fetched.get_json()
    # The scenario's own test checks the prefetch cards against "expected"; here only sameness counts,
    # plus a guard that the comparison is not between two empty answers by accident.
    assert card_kinds(prefetched) or not scenario.get("expected")
    assert card_kinds(fetched) == card_kinds(prefetched)
