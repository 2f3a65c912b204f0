"""One listening Unix socket per granian worker, so that nginx, not the kernel, spreads the calls.

Why: granian binds ONE socket in its master and every worker accepts on it.  nginx keeps its
connections to the workers open (``keepalive``), so each one is accepted once, by whichever worker
wins that accept, and stays with that worker: in 12 of 42 fresh starts (2 workers, 8 clients) a single
worker held every connection and served every call while the other idled (278 req/s instead of ~500).
With a socket per worker, nginx lists each worker as a server of its own and sends each call to the
one with the fewest calls in flight (``least_conn``), over connections it keeps open to each.

How - this reaches into granian's internals, which is why its pin in pyproject.toml stays exact
(tests/ops/test_sockets.py fails if an upgrade changes them): granian's master builds its socket in
``_init_shared_socket`` (``_shd``: the Rust ``SocketHolder``; ``_sso``: a Python socket on the same
descriptor), and ``_spawn_worker(idx, ...)`` hands ``((_ssp, _shd), _sso)`` to worker ``idx`` - at
start and again whenever it respawns that worker.  ``SocketPerWorker`` builds one socket per worker
index instead and points ``_shd``/``_sso`` at worker ``idx``'s own socket just before granian spawns
it.  A worker that dies is respawned on its predecessor's socket, which the master keeps open: the
connections nginx made to it in between wait in that socket's backlog for the new worker.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from granian._granian import UnixListenerSpec
from granian.server import MPServer

__all__ = ["SocketPerWorker", "worker_socket_paths"]


def worker_socket_paths(directory: Path, workers: int) -> list[Path]:
    """``worker-1.sock`` ... ``worker-N.sock`` in the private directory (granian numbers from 1 too)."""
    return [directory / f"worker-{idx + 1}.sock" for idx in range(workers)]


class SocketPerWorker(MPServer):
    """granian's multi-process server, each worker on its own socket when ``worker_sockets`` is set.

    Left empty (``NALTREXONE_CDS_PROXY=none``: granian faces the clients on one TCP port), granian's
    own shared socket is used, unchanged.
    """

    worker_sockets: Sequence[Path] = ()
    _per_worker: list[tuple[Any, socket.socket]]  # (granian SocketHolder, Python socket), by index

    def _init_shared_socket(self) -> None:
        if not self.worker_sockets:
            super()._init_shared_socket()  # type: ignore[no-untyped-call]
            return
        if len(self.worker_sockets) != self.workers:
            raise ValueError(f"{len(self.worker_sockets)} sockets for {self.workers} workers")
        self._per_worker = [self._listen(path) for path in self.worker_sockets]
        self._ssp = self._sfd = None  # what granian's own version leaves for a Unix socket
        self._shd, self._sso = self._per_worker[0]

    def _listen(self, path: Path) -> tuple[Any, socket.socket]:
        """Bind and listen as granian does for its one socket (same backlog, same permissions)."""
        holder = UnixListenerSpec(str(path), self.backlog, self.uds_permissions).build()
        sock = socket.socket(fileno=holder.get_fd())
        sock.set_inheritable(True)
        return holder, sock

    # granian's MPServer drops its base class's fourth parameter: mypy sees the base's signature.
    def _spawn_worker(self, idx: int, target: Any, callback_loader: Any) -> Any:  # type: ignore[override]
        if self.worker_sockets:
            self._shd, self._sso = self._per_worker[idx]  # what granian passes to worker idx
        return super()._spawn_worker(idx, target, callback_loader)

    def _drop_shared_socket(self) -> None:
        """At shutdown, the master's copies (the workers keep theirs until they have finished)."""
        for _holder, sock in getattr(self, "_per_worker", []):
            sock.close()
        super()._drop_shared_socket()  # type: ignore[no-untyped-call]

    @property
    def _bind_addr_fmt(self) -> str:  # granian's "Listening at" line and process title
        if not self.worker_sockets:
            return str(super()._bind_addr_fmt)
        return f"unix:{self.worker_sockets[0].parent}/worker-{{1..{len(self.worker_sockets)}}}.sock"
