"""The deadline cuts a blocked read on the socket - plain and TLS - and spares connections it no
longer needs: a finished query's keep-alive connection survives the end of its call."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import urllib3.util.connection

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


@pytest.mark.parametrize(
    ("tls", "reconnect"), [(False, False), (True, False), (False, True)], ids=["http", "https", "reconnect"]
)
def test_a_connection_made_as_the_deadline_passes_is_still_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: bool, reconnect: bool
) -> None:
    """The deadline may pass while a query thread is connecting (on a loaded machine the thread can
    wait for the CPU between the TCP handshake and urllib3 keeping the socket): the socket it then
    keeps must still be cut, not left reading a trickle the read timeout never ends.  ``reconnect``:
    the pooled connection object was used before and closed by the server (the old socket is not
    the one to cut)."""
    context = None
    if tls:
        cert, key = _self_signed(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    deadline = Deadline(30.0)  # the read timeout is what remains: far longer than the trickle's pauses
    real_connect = urllib3.util.connection.create_connection
    connects: list[int] = []

    def connect_then_expire(*args: Any, **kwargs: Any) -> socket.socket:
        sock = real_connect(*args, **kwargs)
        connects.append(1)
        if len(connects) == (2 if reconnect else 1):
            deadline.expire()  # the watchdog (or the end of the call) gets in before the socket is kept
        return sock

    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect_then_expire)
    outcome: list[BaseException] = []
    trickle = Reply(trickle_s=0.05, headers={"Content-Length": str(10**9)})
    closing = Reply(200, EMPTY_BUNDLE, headers={"Connection": "close"})
    with loopback_server(lambda i, _p: closing if reconnect and i == 0 else trickle, tls=context) as server:
        client = FhirClient(server.base_url, "tok", deadline)
        if reconnect:
            assert client.search("Condition", [], label="conditions") == []

        def search() -> None:
            try:
                client.search("Observation", [], label="observations")
            except FhirTimeout as exc:
                outcome.append(exc)

        thread = threading.Thread(target=search, daemon=True)
        thread.start()
        thread.join(timeout=2.0)
        ended = not thread.is_alive()
        assert _held_until_cut(server.seen, within_s=1.5), "the connection is still held open"
    assert ended, "the query still reads from a connection the deadline should have cut"
    assert len(outcome) == 1
    assert len(connects) == (2 if reconnect else 1)
