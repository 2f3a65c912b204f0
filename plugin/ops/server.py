"""Production serving: nginx buffering each request, granian running the app factory once per worker.

Server (chosen by ``make bench``; see README "Benchmark"): granian's WSGI worker - HTTP in Rust,
``NALTREXONE_CDS_THREADS`` Python threads per process - measured on 2 cores at ~0.7 of gunicorn
gthread's CPU per call for the same app (the bare Flask echo and the service alike).  Neither server
alone sheds slow clients: gunicorn gives each connection a thread from the first byte, granian hands
the body to a Python thread to read.  So ``serve`` runs nginx in front (``plugin.ops.proxy``) unless
``NALTREXONE_CDS_PROXY=none``: it reads every request completely, within ``NALTREXONE_CDS_CLIENT_TIMEOUT``,
and passes whole requests to the workers, each on a private Unix socket of its own, to the one with
the fewest calls in flight (``plugin.ops.sockets``: why, and the granian internals it relies on).

``NALTREXONE_CDS_WORKERS`` (or ``WEB_CONCURRENCY``; default one per core) and ``NALTREXONE_CDS_THREADS``
(default ``DEFAULT_THREADS``) size the workers; a worker that dies is replaced.  Shutdown is graceful:
on SIGTERM nginx stops listening and finishes what it holds, then the workers finish their requests
within ``GRACEFUL_TIMEOUT_S``.  The only access log is the app's own (``naltrexone_cds.access``:
method, route template, status, duration, request id): no query strings, no bodies, no patient ids.
The servers' own log lines go through our logging (scrubbed, JSON when ``LOG_JSON``).
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from plugin.ops.log import configure, install_scrubbing
from plugin.settings import Settings, load_settings

log = logging.getLogger("naltrexone_cds")
# Read by prometheus_client when it is imported; plugin.ops.metrics is imported only inside workers.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
GRACEFUL_TIMEOUT_S = 20  # SIGTERM: finish in-flight hook calls (each bounded by the FHIR timeout)
MAX_HEADER_TIMEOUT_MS = 60_000  # granian's bound, when it faces clients itself (PROXY=none)
# granian's loggers carry no handler of their own: their records reach our root handler.
GRANIAN_LOGGING: dict[str, Any] = {
    "handlers": {},
    "loggers": {
        "_granian": {"level": "INFO", "handlers": [], "propagate": True},
        "granian.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
}

DEFAULT_THREADS = 4


def default_workers(cores: int) -> int:
    return cores


@dataclass(frozen=True)
class ServeOptions:
    """What ``serve`` runs; the benchmark runs its ceiling app with the same options."""

    host: str
    port: int
    workers: int
    threads: int
    proxy: str  # "nginx" | "none"
    client_timeout_s: float
    max_body_bytes: int


def serve_options(settings: Settings, host: str, port: int, dev: bool = False) -> ServeOptions:
    return ServeOptions(
        host=host,
        port=port,
        workers=1 if dev else (settings.workers or default_workers(os.cpu_count() or 1)),
        threads=1 if dev else (settings.threads or DEFAULT_THREADS),
        proxy=settings.proxy,
        client_timeout_s=settings.client_timeout,
        max_body_bytes=settings.max_body_bytes,
    )


def prepare_metrics_dir() -> None:
    """Give prometheus_client a clean per-run directory for the workers' metric files."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="naltrexone-cds-metrics-")
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counters of a previous run would be added to ours
        stale.unlink()


def _load(factory: Callable[[], Any], _target: str) -> Any:
    """In each worker: build the app; write the queued card-log rows when the worker exits.

    granian's workers are multiprocessing children, which leave through ``os._exit``: ``atexit``
    handlers never run there, multiprocessing's finalizers do.

    A forked worker inherits the master's SIGTERM/SIGINT handler, which in the worker only marks the
    master's copy as stopping: a stop that came while the app was still being built was swallowed, and
    the worker served on until granian killed it ``GRACEFUL_TIMEOUT_S`` later.  Until granian installs
    the worker's own handlers (right after this returns) the default disposition applies: a worker
    that has not served yet has nothing to finish, so it ends at once.
    """
    from plugin.ops.supervise import die_with_parent
    from plugin.storage.writer import close_writers

    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, signal.SIG_DFL)
    die_with_parent()  # the master killed outright: no worker outlives it
    multiprocessing.util.Finalize(None, close_writers, exitpriority=10)
    return factory()


def _create_app() -> Any:
    """The app of one worker; its card log is written by a background thread (plugin.storage.writer)."""
    from plugin import create_app

    return prepare_worker_app(create_app())


def prepare_worker_app(app: Any) -> Any:
    """What a worker does to its app before serving (``bench.inprocess`` measures an app set up so)."""
    from plugin.ops import watchdog
    from plugin.ops.buffered import buffered
    from plugin.ops.metrics import observe_card_log_dropped
    from plugin.storage.store import get_store

    store = get_store(app)
    store.start_background_writer(on_drop=observe_card_log_dropped)
    app.wsgi_app = buffered(app.wsgi_app)  # granian sends a list in one step (plugin.ops.buffered)
    app.wsgi_app = store.watch_calls(app.wsgi_app)  # batches written between calls (writer.QUIET_WAIT_S)
    watchdog.install(app, app.config["SETTINGS"].worker_timeout)  # a stuck request ends its worker
    from plugin.ops.tuning import freeze_startup_objects, return_large_blocks_to_the_os

    return_large_blocks_to_the_os()
    freeze_startup_objects()
    return app


def _granian(options: ServeOptions, sockets: list[Path]) -> Any:  # no sockets: on host:port itself
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    from plugin.ops.sockets import SocketPerWorker

    class _Server(SocketPerWorker):
        proxy: Any = None
        worker_sockets = sockets

        def shutdown(self, exit_code: int = 0) -> None:
            if self.proxy is not None:  # first: no new requests, and those it holds reach the workers
                self.proxy.stop(GRACEFUL_TIMEOUT_S)
            super().shutdown(exit_code)  # type: ignore[no-untyped-call]

    header_ms = min(MAX_HEADER_TIMEOUT_MS, max(1, round(options.client_timeout_s * 1000)))
    return _Server(
        "plugin",  # not imported: each worker builds its app with _load
        address=options.host,
        port=options.port,
        uds=sockets[0] if sockets else None,  # granian's own checks; it binds every socket
        interface=Interfaces.WSGI,
        workers=options.workers,
        blocking_threads=options.threads,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=header_ms),
        log_dictconfig=GRANIAN_LOGGING,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_TIMEOUT_S,
    )


def serve(factory: Callable[[], Any], options: ServeOptions) -> None:
    """Run ``factory()`` (called in each worker) under granian, behind nginx unless PROXY=none."""
    from plugin.ops import proxy as nginx
    from plugin.ops.sockets import worker_socket_paths

    created = not os.environ.get(MULTIPROC_ENV)
    prepare_metrics_dir()
    private = Path(tempfile.mkdtemp(prefix="naltrexone-cds-serve-"))  # 0700: the sockets' directory
    try:
        if options.proxy == "none":
            _granian(options, []).serve(target_loader=partial(_load, factory))
            return
        sockets = worker_socket_paths(private, options.workers)
        config = nginx.nginx_config(
            host=options.host,
            port=options.port,
            upstreams=sockets,
            directory=private,
            client_timeout_s=options.client_timeout_s,
            max_body_bytes=options.max_body_bytes,
        )
        proxy = nginx.Proxy(nginx.find_nginx(), config, private)
        proxy.check()
        server = _granian(options, sockets)
        server.proxy = proxy
        stop = server.signal_handler_interrupt
        server.on_startup(lambda: proxy.start_when_ready(sockets, on_failure=stop))
        server.serve(target_loader=partial(_load, factory))
    finally:
        shutil.rmtree(private, ignore_errors=True)
        if created:
            shutil.rmtree(os.environ[MULTIPROC_ENV], ignore_errors=True)


def migrate_before_workers(settings: Settings) -> None:
    """Apply pending migrations once, in a child process that then exits, before any worker starts.

    Otherwise each worker migrates a fresh database itself (serialised by a lock) and keeps Alembic
    loaded for good: ~9 MB of every worker's RSS.  Now workers find the schema at head and never load
    it.  A failure changes nothing: the workers try again and report it, exactly as before.
    """
    if not settings.auto_migrate:
        return
    pid = os.fork()  # the master has no threads yet; the child only migrates and exits
    if pid == 0:
        code = 1
        try:
            from plugin.storage.db import dispose_engines, upgrade

            upgrade(settings)
            dispose_engines()
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def check_configuration(settings: Settings) -> None:
    """What every worker would refuse, refused once here: before the port is bound or a file is made."""
    from plugin.auth import check_settings
    from plugin.clinical.policy import load_policy
    from plugin.ops import watchdog

    watchdog.check(settings)
    load_policy(settings.policy_file or None)
    if not settings.dev_mode:
        check_settings(settings)


def warn_dev_mode(settings: Settings) -> None:
    if settings.dev_mode:
        log.warning(
            "AUTH=none: EHR JWTs are NOT verified%s. "
            "Development only - never expose this service to a network.",
            "" if settings.fhir_allowlist else " and loopback FHIR servers are allowed",
        )


def run(host: str, port: int, dev: bool) -> None:
    """Serve: check the configuration, migrate, then start the servers (nginx binds the port)."""
    from plugin.ops.supervise import supervise

    code = supervise()  # first, while this process has no threads (plugin.ops.supervise)
    if code is not None:
        raise SystemExit(code)
    if dev:
        os.environ.setdefault("NALTREXONE_CDS_AUTH", "none")
    settings = load_settings()
    check_configuration(settings)
    install_scrubbing()  # the servers' own loggers too, in the master and (inherited) in every worker
    configure(settings)  # the master's lines (granian's, nginx's) in our format
    warn_dev_mode(settings)
    migrate_before_workers(settings)
    serve(_create_app, serve_options(settings, host, port, dev))
