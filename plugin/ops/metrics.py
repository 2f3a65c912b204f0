"""Prometheus metrics: hook latency, cards per rule, FHIR queries, feedback; ``GET /metrics``.

Under `serve` every worker is its own process, so ``plugin.ops.server`` sets ``PROMETHEUS_MULTIPROC_DIR``
before any worker starts; prometheus_client then keeps each worker's values in a file there and
``/metrics`` merges them (a scrape that reaches any worker sees the whole service).  Without it (tests,
``evaluate``) the process-local default registry is used.

Labels carry service ids, hook names, rule ids, indicators, prefetch keys and status codes only -
never anything about a patient.  Other modules call the ``observe_*`` functions; they cost a few
microseconds and never raise into a hook call.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

__all__ = [
    "init_app",
    "observe_card_log_dropped",
    "observe_cards",
    "observe_feedback",
    "observe_fhir_query",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
HOOK_ENDPOINT = "cds.call_service"
# Seconds; dense below 50 ms, where a CDS service inside a clinician's click should be.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HOOK_LATENCY = Histogram(
    "cds_hook_request_duration_seconds",
    "Hook call latency inside the app (read body to response), by hook and HTTP status.",
    ["hook", "service", "status"],
    buckets=LATENCY_BUCKETS,
)
CARDS = Counter(
    "cds_cards",
    "Cards returned, by rule (card.source.topic.code) and indicator.",
    ["rule", "indicator"],
)
FHIR_LATENCY = Histogram(
    "cds_fhir_query_duration_seconds",
    "FHIR searches made for missing prefetch, by prefetch key and outcome.",
    ["key", "status"],
    buckets=LATENCY_BUCKETS,
)
FHIR_ERRORS = Counter(
    "cds_fhir_query_errors",
    "FHIR searches that failed (HTTP status, or 'timeout' / 'connection' / 'invalid').",
    ["key", "status"],
)
FEEDBACK = Counter(
    "cds_feedback",
    "Feedback items stored, by rule of the card (or 'unknown') and outcome.",
    ["rule", "outcome"],
)
CARD_LOG_DROPPED = Counter(
    "cds_card_log_dropped",
    "Card-log rows dropped because the background writer's queue was full (database stalled).",
)


def observe_cards(cards: Iterable[Mapping[str, Any]]) -> None:
    """Count the cards of one response by rule and indicator."""
    for card in cards:
        topic = (card.get("source") or {}).get("topic") or {}
        CARDS.labels(str(topic.get("code") or "unknown"), str(card.get("indicator") or "unknown")).inc()


def observe_fhir_query(key: str, status: int | str, seconds: float) -> None:
    """One FHIR search: ``status`` is the HTTP status, or a word for failures without one."""
    label = str(status)
    FHIR_LATENCY.labels(key, label).observe(seconds)
    if not (label.isdigit() and 200 <= int(label) < 300):
        FHIR_ERRORS.labels(key, label).inc()


def observe_feedback(rule: str | None, outcome: str) -> None:
    """One stored feedback item; ``rule`` None when the card is not in our log."""
    FEEDBACK.labels(rule or "(unknown card)", outcome).inc()


def observe_card_log_dropped(rows: int) -> None:
    """Card-log rows the background writer had no room for (plugin.storage.writer)."""
    CARD_LOG_DROPPED.inc(rows)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe_hook(response: Response) -> Response:
    started = g.get("metrics_started")
    if request.endpoint == HOOK_ENDPOINT and started is not None:
        from plugin.http.services import SERVICES

        service_id = (request.view_args or {}).get("service_id")
        service = SERVICES.get(service_id or "")
        HOOK_LATENCY.labels(
            service.hook if service else "unknown",
            service.id if service else "unknown",
            str(response.status_code),
        ).observe(time.perf_counter() - started)
    return response


def _registry() -> CollectorRegistry:
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_view() -> Response:
    return Response(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time hook calls and serve ``GET /metrics`` (no EHR JWT: it is for the scraper, and holds no PHI)."""
    app.before_request(_start_timer)
    app.after_request(_observe_hook)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
