"""EHR-like traffic for the multi-instance tests: a hook call, then feedback about its first card.

Every request carries a fresh JWT (as an EHR sends), so a replay can only come from the test itself.
Bounded in count and time; each client has one request in flight at a time.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from tests.auth.issuer import Issuer, bearer
from tests.builders import OXYCODONE, hook_request, med_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"
FEEDBACK = SIGN + "/feedback"
NOW = "2026-11-25"
TIMEOUT_S = 30.0


def hook_body() -> dict[str, Any]:
    """An order-sign call with full prefetch (no FHIR query) that returns one R1 card."""
    record = [med_request("oxy-1", OXYCODONE, "active", "2026-11-20", supply_days=30)]
    return hook_request([naltrexone_draft()], record)


def feedback_item(card_uuid: str) -> dict[str, Any]:
    return {
        "card": card_uuid,
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:test", "code": "benefit-outweighs-risk"}},
        "outcomeTimestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


@dataclass
class Outcome:
    kind: str  # "hook" | "feedback"
    status: int | None  # None: no HTTP answer (connection failed)
    upstream: str = ""
    item: dict[str, Any] | None = None


@dataclass
class Traffic:
    base_url: str
    issuer: Issuer
    outcomes: list[Outcome] = field(default_factory=list)
    pairs_done: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, session: requests.Session, path: str, body: dict[str, Any], base: str = "") -> Any:
        headers = bearer(self.issuer.token(path))
        return session.post((base or self.base_url) + path, json=body, headers=headers, timeout=TIMEOUT_S)

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def pair(self, session: requests.Session) -> None:
        """One hook call and, when it answered with a card, the feedback about that card."""
        try:
            answer = self.post(session, SIGN, hook_body())
        except requests.RequestException:
            self._record(Outcome("hook", None))
            return
        self._record(Outcome("hook", answer.status_code, answer.headers.get("X-Upstream", "")))
        if answer.status_code == 200 and answer.json()["cards"]:
            self.send_feedback(session, feedback_item(answer.json()["cards"][0]["uuid"]))
        with self._lock:
            self.pairs_done += 1

    def send_feedback(self, session: requests.Session, item: dict[str, Any]) -> bool:
        try:
            answer = self.post(session, FEEDBACK, {"feedback": [item]})
        except requests.RequestException:
            self._record(Outcome("feedback", None, item=item))
            return False
        self._record(Outcome("feedback", answer.status_code, answer.headers.get("X-Upstream", ""), item))
        return answer.status_code == 200

    def drive(
        self, clients: int, max_pairs: int, max_seconds: float, stop: threading.Event, pause_s: float = 0.0
    ) -> None:
        """Run ``clients`` closed-loop clients until ``stop``, ``max_pairs`` or ``max_seconds``; each
        client pauses ``pause_s`` between pairs (to spread a bounded number of calls over a longer run)."""
        deadline = time.monotonic() + max_seconds
        started = [0]

        def client() -> None:
            with requests.Session() as session:
                while not stop.is_set() and time.monotonic() < deadline:
                    with self._lock:
                        if started[0] >= max_pairs:
                            return
                        started[0] += 1
                    self.pair(session)
                    if pause_s:
                        stop.wait(pause_s)

        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(client) for _ in range(clients)]:
                future.result()

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != 200]

    def acknowledged_feedback(self) -> list[dict[str, Any]]:
        return [o.item for o in self.outcomes if o.kind == "feedback" and o.status == 200 and o.item]
