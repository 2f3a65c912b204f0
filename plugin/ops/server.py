"""Production serving: gunicorn running the app factory once per worker.

Worker model (chosen by ``make bench``; see README "Benchmark"): one gthread worker per core with
``DEFAULT_THREADS`` threads.  Measured on 2 cores against sync workers (2 and 3) and gthread 3x2, it
gave the best throughput and p50 for both the service and the ceiling: threads keep EHR connections
alive (sync workers close after every response) and a worker waiting on a slow FHIR server still
serves other calls.  ``NALTREXONE_CDS_WORKERS`` (or ``WEB_CONCURRENCY``) and ``NALTREXONE_CDS_THREADS``
override; ``THREADS=1`` selects gunicorn's sync worker.

Shutdown is graceful: on SIGTERM workers finish their requests within ``GRACEFUL_TIMEOUT_S``.
The only access log is the app's own (``naltrexone_cds.access``: method, route template, status,
duration, request id): no query strings, no bodies, no patient ids.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from plugin.ops.log import configure, install_scrubbing
from plugin.settings import Settings, load_settings

log = logging.getLogger("naltrexone_cds")
# Read by prometheus_client when it is imported; plugin.ops.metrics is imported only inside workers.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
GRACEFUL_TIMEOUT_S = 20  # SIGTERM: finish in-flight hook calls (each bounded by the FHIR timeout)
WORKER_TIMEOUT_S = 30  # a worker silent this long is killed and replaced
KEEPALIVE_S = 5  # gthread: EHR gateways reuse connections


DEFAULT_THREADS = 4
MMAP_THRESHOLD_BYTES = 1024 * 1024
GC_YOUNG_THRESHOLD = 10_000
_M_MMAP_THRESHOLD = -3  # glibc <malloc.h>


def default_workers(cores: int) -> int:
    return cores


def gunicorn_options(settings: Settings, host: str, port: int, dev: bool = False) -> dict[str, Any]:
    """The gunicorn settings of ``serve``; the benchmark runs its ceiling app with the same ones."""
    workers = 1 if dev else (settings.workers or default_workers(os.cpu_count() or 1))
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 1 if dev else (settings.threads or DEFAULT_THREADS),
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": KEEPALIVE_S,
        "accesslog": None,
        "control_socket_disable": True,  # one fixed socket path per user: two services would collide
        "child_exit": _child_exit,
        "worker_exit": _worker_exit,
    }
    if Path("/dev/shm").is_dir():
        options["worker_tmp_dir"] = "/dev/shm"  # heartbeat files off a possibly slow container disk
    return options


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


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _worker_exit(_server: Any, _worker: Any) -> None:
    """In the exiting worker: write the card-log rows still queued (atexit would too, unless killed)."""
    from plugin.storage.writer import close_writers

    close_writers()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.factory()


def _create_app() -> Any:
    """The app of one worker; its card log is written by a background thread (plugin.storage.writer)."""
    from plugin import create_app
    from plugin.ops.metrics import observe_card_log_dropped
    from plugin.storage.store import get_store

    app = create_app()
    get_store(app).start_background_writer(on_drop=observe_card_log_dropped)
    return_large_blocks_to_the_os()
    freeze_startup_objects()
    return app


def return_large_blocks_to_the_os() -> None:
    """glibc only: serve every allocation of ``MMAP_THRESHOLD_BYTES`` or more from its own mapping.

    By default glibc raises that threshold to the size of the largest block freed so far, so after one
    big request the next one's body and parser buffers come from the heap, which fragments and is not
    given back: a 10,000-resource request peaked at 155 MB instead of 142.  A fixed threshold keeps big
    blocks out of the heap; requests of ordinary size allocate nothing that large.
    """
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)  # the process's own libc
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        pass


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, models, value sets) out of the collector's reach,
    and let the young generation hold one request's containers.

    A full (generation 2) collection walks every tracked object: ~120,000 after start-up, ~45 ms each,
    every few hundred hook calls - the slowest calls of the benchmark.  Frozen, they are never walked
    again; what a request allocates is collected as before.  (Python docs, ``gc.freeze``.)
    """
    gc.collect()
    gc.freeze()
    # A 100-resource request holds ~1,300 new containers at once: the default young-generation
    # threshold (700) ran ~2 collections per call over request data that refcounting frees anyway
    # (75 us a call).  Above one request's worth, a collection runs every few hundred calls.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def serve(factory: Callable[[], Any], options: dict[str, Any]) -> None:
    """Run ``factory()`` (called in each worker) under gunicorn with ``options``, metrics enabled."""
    created = not os.environ.get(MULTIPROC_ENV)
    prepare_metrics_dir()
    try:
        _Gunicorn(factory, options).run()
    finally:
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
    """Serve: check the configuration, migrate, then start gunicorn (which binds the port)."""
    if dev:
        os.environ.setdefault("NALTREXONE_CDS_AUTH", "none")
    settings = load_settings()
    check_configuration(settings)
    install_scrubbing()  # the server's own loggers too, in the master and (inherited) in every worker
    configure(settings)
    warn_dev_mode(settings)
    migrate_before_workers(settings)
    serve(_create_app, gunicorn_options(settings, host, port, dev))
