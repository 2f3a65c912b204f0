"""The deadline cuts a blocked read on the socket - plain and TLS - and spares connections it no
longer needs: a finished query's keep-alive connection survives the end of its call."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import orjson
import pytest

from plugin.record.fhir_client import Deadline, FhirClient
from plugin.record.fhir_errors import FhirTimeout
from tests.auth.tls_server import _self_signed
from tests.support.loopback import Reply, Seen, loopback_server

EMPTY_BUNDLE = orjson.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []})


def _held_until_cut(seen: Seen, within_s: float) -> bool:
    end = time.monotonic() + within_s
    while seen.trickling and time.monotonic() < end:
        time.sleep(0.02)
    return seen.trickling == 0


def test_a_trickling_tls_answer_is_cut_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    trickle = Reply(trickle_s=0.05, headers={"Content-Length": str(10**9)})
    with loopback_server(trickle, tls=context) as server:
        client = FhirClient(server.base_url, "tok", Deadline(0.4))
        started = time.monotonic()
        with pytest.raises(FhirTimeout):
            client.search("Observation", [], label="observations")
        elapsed = time.monotonic() - started
        assert server.seen.requests  # TLS worked: the request arrived
        assert _held_until_cut(server.seen, within_s=1.5)
    assert elapsed < 1.5  # deadline 0.4 s; generous for a loaded machine, a held read never returns


def test_a_finished_query_keeps_its_connection_for_the_next_call() -> None:
    with loopback_server(Reply(200, EMPTY_BUNDLE)) as server:
        for _ in range(3):
            deadline = Deadline(2.0)
            assert FhirClient(server.base_url, "tok", deadline).search("Condition", [], label="c") == []
            deadline.expire()  # what fetch_missing does when a call ends
        time.sleep(0.05)
    assert len(server.seen.requests) == 3 and server.seen.connections == 1
