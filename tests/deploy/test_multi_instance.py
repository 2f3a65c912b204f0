"""Two service instances behind nginx, one PostgreSQL, one Redis - all real, all on loopback.

What one instance cannot show: a JWT spent on one instance is refused on the other; feedback about a
card reaches another instance before that card's row (it waits for it); readiness follows the shared
database and Redis; a rolling restart (SIGTERM one at a time) loses no call; ``kill -9`` of an instance
under load loses no acknowledged feedback and fails at most the calls in flight on it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import create_engine, func, select

from plugin.storage.models import feedback
from tests.auth.issuer import PUBLIC_URL, Issuer, bearer
from tests.deploy.traffic import FEEDBACK, NOW, SIGN, Traffic, feedback_item, hook_body
from tests.support.cluster import Balancer, Instance, fail_timeout_s, migrate, service_env
from tests.support.postgres import LocalPostgres
from tests.support.redis_server import RedisServer, redis_server
from tests.support.waiting import wait_until

KILL_CLIENTS = 8
KILL_MAX_PAIRS = 400  # <= 800 requests
KILL_AFTER_PAIRS = 80
ROLLING_CLIENTS = 2
ROLLING_MAX_PAIRS = 1_000  # <= 2,000 calls
ROLLING_PAUSE_S = 0.05  # spreads the calls over the whole restart (~20 s)


@dataclass
class Cluster:
    instances: list[Instance]
    balancer: Balancer
    postgres: LocalPostgres
    database_url: str
    redis: RedisServer
    issuer: Issuer

    def feedback_rows(self) -> list[tuple[str, bool]]:
        engine = create_engine(self.database_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                return [(r.card_uuid, r.card_known) for r in conn.execute(select(feedback))]
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    issuer = Issuer(workdir)
    postgres = LocalPostgres()
    instances: list[Instance] = []
    balancer: Balancer | None = None
    try:
        postgres.start()
        database_url = postgres.server.create_database()
        with redis_server() as redis:
            env = service_env(
                auth="jwt",
                public_url=PUBLIC_URL,
                trusted_issuers=f'{{"{issuer.iss}": "{issuer.jwks_url}"}}',
                database_url=database_url,
                redis_url=redis.url,
                auto_migrate="false",
                workers="1",
                now=NOW,
                log_json="true",
            )
            migrate(env)  # the one-shot job; the instances never migrate
            instances = [Instance(f"instance-{n}", env, workdir) for n in "ab"]
            for instance in instances:
                instance.start()
            for instance in instances:
                instance.wait_ready()
            balancer = Balancer(instances, workdir)
            balancer.start()
            yield Cluster(instances, balancer, postgres, database_url, redis, issuer)
    finally:
        if balancer is not None:
            balancer.stop()
        for instance in instances:
            instance.stop(signal.SIGTERM)
        postgres.remove()


def _ready(instance: Instance) -> tuple[int, int]:
    return (
        requests.get(instance.url + "/readyz", timeout=5).status_code,
        requests.get(instance.url + "/healthz", timeout=5).status_code,
    )


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {ordered[len(ordered) // 2]:.2f} ms (max {ordered[-1]:.2f} ms, n={len(ordered)})"


def test_a_token_spent_on_one_instance_is_refused_through_the_balancer_by_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.instances
    token = cluster.issuer.token(SIGN)
    assert requests.post(a.url + SIGN, json=hook_body(), headers=bearer(token), timeout=10).status_code == 200
    answered_by = set()
    for _ in range(20):  # round robin per nginx worker: a few tries reach B
        replayed = requests.post(
            cluster.balancer.url + SIGN, json=hook_body(), headers=bearer(token), timeout=10
        )
        assert replayed.status_code == 401
        assert "already used" in replayed.json()["message"]
        answered_by.add(replayed.headers["X-Upstream"])
        if f"127.0.0.1:{b.port}" in answered_by:
            break
    assert f"127.0.0.1:{b.port}" in answered_by


def _card_then_feedback(
    cluster: Cluster,
    first: tuple[requests.Session, str],
    second: tuple[requests.Session, str],
    delay_s: float,
) -> tuple[float, float, str]:
    """A card from ``first``, then its feedback to ``second`` after ``delay_s``: (ms between the card's
    response and the feedback leaving, ms the feedback took, card uuid)."""
    (to_first, first_url), (to_second, second_url) = first, second
    feedback_headers = bearer(cluster.issuer.token(FEEDBACK))  # signed before the clock starts
    answer = Traffic(cluster.balancer.url, cluster.issuer).post(to_first, SIGN, hook_body(), base=first_url)
    received = time.perf_counter()
    card = answer.json()["cards"][0]["uuid"]
    if delay_s:
        time.sleep(delay_s)
    body = {"feedback": [feedback_item(card)]}
    request = requests.Request("POST", second_url + FEEDBACK, json=body, headers=feedback_headers)
    prepared = to_second.prepare_request(request)
    gap_ms = (time.perf_counter() - received) * 1000
    stored = to_second.send(prepared, timeout=10)
    assert stored.json() == {"stored": 1, "duplicates": 0}
    return gap_ms, stored.elapsed.total_seconds() * 1000, card


def test_feedback_sent_to_the_other_instance_at_once_finds_the_card(cluster: Cluster) -> None:
    a, b = cluster.instances
    with requests.Session() as to_a, requests.Session() as to_b:
        pairs = [((to_a, a.url), (to_b, b.url)), ((to_b, b.url), (to_a, a.url))]
        at_once = [_card_then_feedback(cluster, *pairs[n % 2], delay_s=0) for n in range(20)]
        # The same calls once the card is surely committed: what the wait costs is the difference.
        later = [_card_then_feedback(cluster, *pairs[n % 2], delay_s=0.1) for n in range(20)]
    gaps_ms = [gap for gap, _, _ in at_once]
    assert sorted(gaps_ms)[len(gaps_ms) // 2] < 1.0, (
        f"feedback left later than 1 ms after the card: {gaps_ms}"
    )
    known = dict(cluster.feedback_rows())
    assert all(known[card] for _, _, card in at_once + later)
    print(
        f"\nfeedback to the other instance sent {_ms(gaps_ms)} after the card: answered in "
        f"{_ms([ms for _, ms, _ in at_once])}; sent 100 ms after: {_ms([ms for _, ms, _ in later])}"
    )


def test_readiness_follows_redis_and_the_database(cluster: Cluster) -> None:
    a, b = cluster.instances
    both_ready = [(200, 200), (200, 200)]
    cluster.redis.stop()
    try:
        assert [_ready(i) for i in (a, b)] == [(503, 200), (503, 200)]
        refused = requests.post(
            a.url + SIGN, json=hook_body(), headers=bearer(cluster.issuer.token(SIGN)), timeout=10
        )
        assert refused.status_code == 503  # cannot check the token for replay: fail closed
    finally:
        cluster.redis.start()
    assert wait_until(lambda: [_ready(i) for i in (a, b)] == both_ready, 15.0), "readiness not back in time"
    cluster.postgres.stop()
    try:
        assert [_ready(i) for i in (a, b)] == [(503, 200), (503, 200)]
    finally:
        cluster.postgres.start()
    assert wait_until(lambda: [_ready(i) for i in (a, b)] == both_ready, 15.0), "readiness not back in time"


def test_a_rolling_restart_loses_no_call(cluster: Cluster) -> None:
    traffic = Traffic(cluster.balancer.url, cluster.issuer)
    stop = threading.Event()
    load = threading.Thread(
        target=traffic.drive, args=(ROLLING_CLIENTS, ROLLING_MAX_PAIRS, 60.0, stop, ROLLING_PAUSE_S)
    )
    load.start()
    try:
        for instance in cluster.instances:
            time.sleep(1.0)
            assert instance.stop(signal.SIGTERM) == 0  # graceful: in-flight calls finish
            instance.start()
            instance.wait_ready()
            time.sleep(fail_timeout_s() + 0.5)  # nginx uses the instance again only after fail_timeout
    finally:
        stop.set()
        load.join()
    calls = len(traffic.outcomes)
    assert traffic.pairs_done < ROLLING_MAX_PAIRS, "the traffic ran out before the restart ended"
    assert calls >= 50, f"too little traffic to show anything: {calls} calls"
    assert traffic.failures() == [], f"{len(traffic.failures())} of {calls} calls failed"
    upstreams = {o.upstream for o in traffic.outcomes}
    assert {f"127.0.0.1:{i.port}" for i in cluster.instances} <= upstreams
    print(f"\nrolling restart: {calls} calls, 0 failed, answered by {sorted(upstreams)}")


def test_kill_9_under_load_loses_no_acknowledged_feedback(cluster: Cluster) -> None:
    victim = cluster.instances[0]
    traffic = Traffic(cluster.balancer.url, cluster.issuer)
    stop = threading.Event()
    killed = threading.Event()

    def killer() -> None:
        while not stop.is_set():
            if traffic.pairs_done >= KILL_AFTER_PAIRS:
                victim.stop(signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    try:
        traffic.drive(KILL_CLIENTS, KILL_MAX_PAIRS, 60.0, stop)
    finally:
        stop.set()
        kill_thread.join()
    assert killed.is_set(), "the kill did not happen under load"
    failures = traffic.failures()
    assert len(failures) <= KILL_CLIENTS, f"more failures than calls in flight: {len(failures)}"
    print(
        f"\nkill -9: {len(traffic.outcomes)} calls, failed {[(o.kind, o.status) for o in failures]}, "
        f"{len(traffic.acknowledged_feedback())} feedback acknowledged"
    )

    acknowledged = {item["card"] for item in traffic.acknowledged_feedback()}
    rows = cluster.feedback_rows()
    stored = [card for card, _ in rows]
    assert acknowledged <= set(stored), f"lost: {sorted(acknowledged - set(stored))[:5]}"
    assert len(stored) == len(set(stored)), "a feedback item was stored twice"

    # What an EHR does with the calls that failed: send the feedback again, with a new token.
    unanswered = [o.item for o in failures if o.kind == "feedback" and o.item]
    with requests.Session() as session:
        assert all(traffic.send_feedback(session, item) for item in unanswered)
    final = [card for card, _ in cluster.feedback_rows()]
    sent = {o.item["card"] for o in traffic.outcomes if o.kind == "feedback" and o.item}
    assert sorted(final) == sorted(set(final)) and sent <= set(final)

    victim.start()  # and it comes back
    victim.wait_ready()


def test_log_lines_never_carry_tokens(cluster: Cluster) -> None:
    token = cluster.issuer.token(SIGN)
    requests.post(cluster.balancer.url + SIGN, json=hook_body(), headers=bearer(token), timeout=10)
    logs = "".join(i.log.read_text() for i in cluster.instances) + cluster.balancer.error_log()
    assert token.split(".")[2] not in logs
    engine_count = create_engine(cluster.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine_count.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback)).scalar_one() > 0
    engine_count.dispose()
