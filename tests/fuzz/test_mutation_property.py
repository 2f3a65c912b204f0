"""Every field of every resource of the scenario corpus, replaced by each JSON type or dropped:

- never a 5xx;
- when the scenario has a safety hazard (R1-R6) and the mutation changes a field's type or drops it, the
  answer never goes on about the order (clean card, advice) without a safety card: a hazard stands, or
  a could-not-verify card says what could not be read, or the request is refused with a 4xx, or - the
  draft itself mutated away - nothing is decided.

CI runs a fixed random sample (``MUTATION_SAMPLE``, default 2,500: ~40 s on one core); ``make fuzz``
(``HYPOTHESIS_PROFILE=fuzz``) runs every mutation.  ``MUTATION_SLICE=i/n`` runs every n-th mutation of
the whole corpus starting at the i-th (0 <= i < n), instead of the sample: n processes with i = 0 .. n-1
together run every mutation exactly once (the full run sharded over cores).  The figures are printed at
the end of the run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from plugin import create_app
from plugin.http.services import SERVICES
from tests.fuzz.conftest import PROFILE
from tests.fuzz.mutations import (
    FIGURES,
    SAFETY_RULES,
    Mutation,
    apply,
    expected_hazards,
    load,
    mutations,
    scenario_files,
)

SAMPLE = int(os.environ.get("MUTATION_SAMPLE", "2500"))
SLICE = os.environ.get("MUTATION_SLICE", "")  # "i/n": every n-th mutation from the i-th


def _service(hook: str) -> str:
    return next(s.id for s in SERVICES.values() if s.hook == hook)


def _chosen() -> list[tuple[Path, Mutation, bool]]:
    everything = [(path, m, changes) for path in scenario_files() for m, changes in mutations(path)]
    FIGURES["mutations in the corpus"] = len(everything)
    if SLICE:
        start, _, step = SLICE.partition("/")
        return everything[int(start) :: int(step)]
    if PROFILE == "fuzz" or SAMPLE >= len(everything):
        return everything
    return random.Random(20261125).sample(everything, SAMPLE)


def _verdict(response: Any, hazards: frozenset[str], changes_type: bool) -> str | None:
    """None when the answer is acceptable, else what is wrong."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    if response.status_code >= 400 or not hazards or not changes_type:
        return None
    rules = {c["source"]["topic"]["code"] for c in response.get_json()["cards"]}
    if not rules or rules & (SAFETY_RULES | {"UNVERIFIED"}):
        return None  # no cards: the mutation took the naltrexone draft away, nothing was decided
    return f"hazard {sorted(hazards)} gone without a could-not-verify card: {sorted(rules)}"


def test_no_mutation_gives_5xx_or_a_silently_clean_answer(tmp_path: Path) -> None:
    chosen = _chosen()
    by_scenario: dict[Path, list[tuple[Mutation, bool]]] = {}
    for path, mutation, changes in chosen:
        by_scenario.setdefault(path, []).append((mutation, changes))
    failures: list[str] = []
    clients: dict[str, FlaskClient] = {}  # one app per "today" the corpus uses (an app costs ~0.2 s)
    for path, items in sorted(by_scenario.items()):
        scenario = load(path)
        hazards = expected_hazards(scenario)
        now = scenario["now"]
        if now not in clients:
            settings = {"auth": "none", "now": now, "state_dir": str(tmp_path / now)}
            clients[now] = create_app(settings).test_client()
        client = clients[now]
        url = f"/cds-services/{_service(scenario['request']['hook'])}"
        for mutation, changes in items:
            response = client.post(url, json=apply(scenario["request"], mutation))
            FIGURES["mutations run"] += 1
            FIGURES["5xx"] += response.status_code >= 500
            FIGURES["4xx"] += 400 <= response.status_code < 500
            if hazards and changes:
                FIGURES["hazard-removal cases checked"] += 1
            problem = _verdict(response, hazards, changes)
            FIGURES["silent-clean"] += problem is not None and not problem.startswith("HTTP")
            if problem:
                failures.append(f"{mutation}: {problem}")
    assert not failures, f"{len(failures)} bad answers, first: " + "\n".join(failures[:200])
