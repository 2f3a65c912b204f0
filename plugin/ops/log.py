"""Logging: one stderr handler (text or JSON lines), a request id on every line, secrets scrubbed.

The rule is that code never logs patient identifiers, names, resource bodies or tokens; scrubbing is
the seat belt for when someone forgets (an exception message quoting a value, a library logging a
header).  It masks anything shaped like a JWT or a Bearer credential, plus the identifiers and tokens
of the request being served (collected by ``bind_request``).

Scrubbing happens where every record of the process is born - the log-record factory - so it also
covers loggers and handlers that are not ours: the HTTP servers' (granian's, and nginx's error log
relayed by ``plugin.ops.proxy``), libraries', and any added later.  The filter on our handler then
scrubs the string extras and adds the request id.

The request id is the EHR's ``hookInstance`` when it is a UUID (as the spec mints it), so our lines
can be matched with the EHR's; otherwise, and before the body is read, a fresh UUID: a caller-chosen
value (a patient id, say) never reaches the log as an id.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Request, Response, g, has_request_context, request

from plugin.settings import Settings

__all__ = ["bind_request", "configure", "init_app", "install_scrubbing", "note_outcome", "scrub"]

APP_LOGGERS = ("naltrexone_cds", "plugin")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MIN_SECRET_CHARS = 3  # shorter values would mask digits all over the log without protecting anyone
REDACTED = "[redacted]"
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}
access_log = logging.getLogger("naltrexone_cds.access")


def scrub(text: str, secrets: frozenset[str] = frozenset()) -> str:
    """``text`` with JWTs, Bearer credentials and every value in ``secrets`` masked."""
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _request_secrets() -> frozenset[str]:
    """The current request's values to mask; worked out once per request (``bind_request`` resets it)."""
    if not has_request_context():
        return frozenset()
    here = g._get_current_object()  # one context look-up, not one per attribute
    known: frozenset[str] | None = here.get("log_secrets_known")
    if known is None:
        found = set(here.get("log_secrets", ()))
        authorization = request.headers.get("Authorization", "")
        found.add(authorization.partition(" ")[2].strip())
        known = here.log_secrets_known = frozenset(s for s in found if len(s) >= MIN_SECRET_CHARS)
    return known


def _values(context: dict[str, Any], key: str) -> list[str]:
    value = context.get(key)
    if not isinstance(value, str):
        return []
    return [value, value.rstrip("/").rpartition("/")[2]]


def bind_request(body: Any) -> None:
    """Adopt the request's ``hookInstance`` as request id and remember its identifiers for scrubbing."""
    if not has_request_context() or not isinstance(body, dict):
        return
    hook_instance = body.get("hookInstance")
    if isinstance(hook_instance, str) and _UUID.fullmatch(hook_instance):
        g.request_id = hook_instance.lower()
    secrets: list[str] = []
    context = body.get("context")
    if isinstance(context, dict):
        for key in ("patientId", "userId", "encounterId"):
            secrets.extend(_values(context, key))
    auth = body.get("fhirAuthorization")
    if isinstance(auth, dict):
        for key in ("access_token", "patient", "subject"):
            secrets.extend(_values(auth, key))
    g.log_secrets = tuple(secrets)
    g.log_secrets_known = None


def scrub_record(record: logging.LogRecord, secrets: frozenset[str]) -> None:
    """Mask secrets in the message, the traceback and the stack of ``record``, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the handler reports it; leave the record as it came
        return
    record.msg = scrub(message, secrets)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info, secrets)


class _ScrubbingFactory:
    """The process's log-record factory: each record, of any logger, is scrubbed as it is made."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        scrub_record(record, _request_secrets())
        record._scrubbed = True
        return record


def install_scrubbing() -> None:
    """Scrub every record of the process from now on (idempotent); server-independent."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _ScrubbingFactory):
        logging.setLogRecordFactory(_ScrubbingFactory(factory))


class ScrubFilter(logging.Filter):
    """Masks secrets in the message, the traceback and string extras; adds ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        secrets = _request_secrets()
        if not getattr(record, "_scrubbed", False):  # made without the factory (makeLogRecord)
            scrub_record(record, secrets)
        extras = _extras(record)
        for key, value in extras.items():
            if isinstance(value, str):
                extras[key] = value = scrub(value, secrets)
                setattr(record, key, value)
        record._extras = extras  # the formatters read the extras from here: worked out once
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The caller's ``extra`` fields of ``record`` (as scrubbed by our filter when it ran)."""
    found: dict[str, Any] | None = record.__dict__.get("_extras")
    if found is not None:
        return found
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, request_id, message, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in _extras(record).items() if v is not None})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """Human-readable lines, extras appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        text = super().format(record)
        extras = " ".join(f"{k}={v!r}" for k, v in _extras(record).items() if v is not None)
        if not extras:
            return text
        head, newline, tail = text.partition("\n")
        return f"{head} {extras}{newline}{tail}"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(settings: Settings) -> None:
    """Install (or re-format) our root handler once per process; app loggers log at INFO."""
    install_scrubbing()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.addFilter(ScrubFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.log_json else TextFormatter())
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def note_outcome(**fields: Any) -> None:
    """Put ``fields`` (ids and codes, never patient data) on this request's access line.

    The edge (plugin/http/api.py) calls it with what evaluation found: one line per call instead of
    two (each line costs ~20 us and a turn on the handler lock that the request threads share).
    """
    g.access_outcome = {**g.get("access_outcome", {}), **fields}


def _start() -> None:
    g.request_started = time.perf_counter()


def request_id() -> str:
    """This request's id: the adopted ``hookInstance``, else a fresh UUID made on first use (a hook call
    with a UUID hookInstance never pays for one)."""
    return _request_id(g._get_current_object())


def _request_id(here: Any) -> str:
    found: str | None = here.get("request_id")
    if found is None:
        found = here.request_id = str(uuid.uuid4())
    return found


def _finish(response: Response) -> Response:
    """One access line per call: route, service, status, duration - never the body or headers."""
    from plugin.http.services import SERVICES

    here = g._get_current_object()  # one context look-up each, not one per attribute
    asked: Request = request._get_current_object()  # type: ignore[attr-defined]
    response.headers["X-Request-Id"] = _request_id(here)
    if not access_log.isEnabledFor(logging.INFO):
        return response
    started = here.get("request_started")
    view_args, rule, status = asked.view_args, asked.url_rule, response.status_code
    service_id = view_args.get("service_id") if view_args else None
    extra = here.get("access_outcome")
    extra = {} if extra is None else extra.copy()
    extra["service_id"] = service_id if service_id in SERVICES else None
    extra["status"] = status
    extra["duration_ms"] = round((time.perf_counter() - started) * 1000, 1) if started else None
    # Made and handled directly: the line's place in the source is known (no stack walk), its message
    # (our own words: method, route pattern, status) formatted once.  The record factory and our
    # handler's filter still scrub it as they scrub every record.
    message = f"{asked.method} {rule.rule if rule is not None else '<no route>'} {status}"
    access_log.handle(
        access_log.makeRecord(
            access_log.name, logging.INFO, __file__, _LINE, message, (), None, func="_finish", extra=extra
        )
    )
    return response


_LINE = _finish.__code__.co_firstlineno


def init_app(app: Flask) -> None:
    """Configure logging from the app's settings and log every request."""
    configure(app.config["SETTINGS"])
    app.before_request(_start)
    app.after_request(_finish)
