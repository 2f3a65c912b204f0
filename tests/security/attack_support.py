"""What the attack-regression tests share: a hook call that must fetch, and fake FHIR record servers.

The hook call is the R1 scenario (naltrexone drafted while oxycodone is active) without prefetch: the
service has to read the record from ``fhirServer``.  A healthy server answers it with the oxycodone
order, so the right answer is the critical R1 card; "could not verify" means the fetch failed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import orjson
from flask.testing import FlaskClient

from tests.paths import SCENARIOS
from tests.support.loopback import Reply

SCENARIO = json.loads((SCENARIOS / "r1-active-oxycodone.json").read_text())
NOW = SCENARIO["now"]
SIGN = "/cds-services/naltrexone-order-sign"
FHIR_TOKEN = "fhir-attack-token-5d1c"
_PREFETCHED = SCENARIO["request"]["prefetch"]["medicationRequests"]
OXYCODONE_ORDER: dict[str, Any] = _PREFETCHED["entry"][0]["resource"]


def hook_body(fhir_server: str) -> dict[str, Any]:
    """The R1 hook call with no prefetch, pointed at ``fhir_server``."""
    body = {k: copy.deepcopy(v) for k, v in SCENARIO["request"].items() if k != "prefetch"}
    body["fhirServer"] = fhir_server
    body["fhirAuthorization"] = {"access_token": FHIR_TOKEN, "token_type": "Bearer"}
    return body


def bundle(resources: list[dict[str, Any]], next_url: str | None = None) -> bytes:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    entries = [{"resource": r} for r in resources]
    return orjson.dumps({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})


def record_server(resources: list[dict[str, Any]]) -> Callable[[int, str], Reply]:
    """A FHIR server holding ``resources``: each type-level search gets the resources of its type."""

    def respond(_index: int, path: str) -> Reply:
        resource_type = path.split("?")[0].rstrip("/").rpartition("/")[2]
        return Reply(200, bundle([r for r in resources if r["resourceType"] == resource_type]))

    return respond


def healthy_record() -> Callable[[int, str], Reply]:
    return record_server([OXYCODONE_ORDER])


def rules_of(response: Any) -> list[tuple[str, str]]:
    cards = response.get_json()["cards"]
    return sorted((c["source"]["topic"]["code"], c["indicator"]) for c in cards)


def post_hook(client: FlaskClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post(SIGN, json=body, headers=headers or {})
