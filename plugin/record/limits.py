"""What one hook call may spend on FHIR: a deadline that cuts connections, and a read budget.

The deadline is enforced on the socket, not only between reads: a server that answers 200 and then
trickles a byte every half second never trips a per-read timeout, and a 64 KB read of such a body
can block for hours.  So every connection a query uses is *watched* by its call's Deadline while the
query runs, and one watchdog thread per process shuts the watched sockets down when the deadline
passes (or when the call ends first): the blocked read returns at once, the thread is free, and the
connection is closed instead of held open for as long as the server cares to trickle.

The read budget caps what one call reads across all its queries (bytes on the wire and Bundle
entries), so a record of pages of 200,000 entries cannot take a worker's memory; the queries that
hit it fail with a reason that names the cap, and the could-not-verify card names what was cut.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
import weakref
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from plugin.record.fhir_errors import FhirTooLarge

_current = threading.local()  # the Deadline of the query this thread runs, and connections it used
# Guards which Deadline watches a connection: a pooled connection may pass from one call to another.
_registry = threading.Lock()


class Deadline:
    """One point in time shared by every query of a hook call; cuts their connections when it passes."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: set[Any] = set()
        self._expired = False
        _watchdog().schedule(self)

    def remaining(self) -> float:
        return self.end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self._expired or self.remaining() <= 0

    def watch(self, connection: Any) -> None:
        """Cut ``connection`` when this deadline passes (at once if it already has)."""
        with _registry:
            connection.cds_deadline = self
            connection.cds_cut = False
            if self._expired:
                _cut(connection)
            else:
                self._watched.add(connection)

    def release(self, connection: Any) -> None:
        """The query using ``connection`` is over: leave it alone (it may serve another call now)."""
        with _registry:
            if getattr(connection, "cds_deadline", None) is self:
                connection.cds_deadline = None
            self._watched.discard(connection)

    def expire(self) -> None:
        """Shut down every watched connection (the watchdog calls this; so does a call that ends)."""
        with _registry:
            self._expired = True
            for connection in self._watched:
                if getattr(connection, "cds_deadline", None) is self:
                    _cut(connection)
            self._watched = set()


def _cut(connection: Any) -> None:
    """Shut the socket down (a blocked recv returns at once); the pool closes it (never reuses it).

    A connection still connecting has no socket yet: the flag makes ``connect`` cut the socket it
    gets (see _Watched.connect).
    """
    connection.cds_cut = True
    # the socket as connected: http.client drops ``sock`` from a connection whose answer has no
    # length (the body is read until the server closes), while the body is still being read from it
    for sock in {connection.cds_sock, connection.sock} - {None}:
        _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        # socket.socket's own shutdown: on a TLS socket the SSL layer's would tear down its state
        # under the reading thread's feet; this only ends the TCP stream.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class running_under:  # noqa: N801 - used as a context manager, reads as prose
    """Within the block, connections this thread sends requests on are watched by ``deadline``."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __enter__(self) -> Deadline:
        _current.deadline = self.deadline
        _current.connections = []
        return self.deadline

    def __exit__(self, *_exc: object) -> None:
        for connection in _current.connections:
            self.deadline.release(connection)
        _current.deadline = None
        _current.connections = []


class _Watchdog:
    """One thread per process that expires deadlines in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, weakref.ref[Deadline]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="fhir-deadline", daemon=True)
        self._thread.start()

    def schedule(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.end, next(self._order), weakref.ref(deadline)))
            if self._heap[0][2]() is deadline:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, ref = heapq.heappop(self._heap)
            deadline = ref()
            if deadline is not None:
                deadline.expire()


_dog: _Watchdog | None = None
_dog_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    global _dog
    with _dog_lock:
        if _dog is None:
            _dog = _Watchdog()
        return _dog


def _forget_watchdog_in_child() -> None:
    global _dog, _dog_lock
    _dog, _dog_lock = None, threading.Lock()  # the parent's thread does not exist in a forked child


os.register_at_fork(after_in_child=_forget_watchdog_in_child)


class _Watched:
    """Mixin for urllib3 connections: each request is watched by the sending thread's Deadline."""

    cds_deadline: Deadline | None = None  # the Deadline watching this connection (under _registry)
    cds_cut = False  # a Deadline cut it: it must be closed, never reused
    cds_sock: socket.socket | None = None  # the socket as connected (see _cut)

    def connect(self) -> None:
        _watch_current(self)
        with _registry:
            self.cds_sock = None  # a reconnect: the previous socket is closed, never the one to cut
        super().connect()  # type: ignore[misc]
        with _registry:
            self.cds_sock = self.sock  # type: ignore[attr-defined]
            if self.cds_cut and self.cds_sock is not None:
                # The deadline passed while connecting (on a loaded machine a thread may wait for the
                # CPU between the handshake and keeping the socket): there was nothing to cut then.
                _shutdown(self.cds_sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_current(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _watch_current(connection: Any) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(connection)
        _current.connections.append(connection)
    else:
        with _registry:
            connection.cds_deadline = None


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _ClosesCutConnections:
    """Mixin for urllib3 pools: a connection back in the pool belongs to no call, and one cut by a
    deadline is closed, never pooled for reuse.

    (Cut mid-body without Content-Length, the read looks finished and the connection comes back.)
    """

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            deadline = conn.cds_deadline
            if deadline is not None:
                # from here on no deadline may cut it: the next call that takes it could be using it
                deadline.release(conn)
            if conn.cds_cut:
                conn.close()
                conn = None
        super()._put_conn(conn)  # type: ignore[misc]


class WatchedHTTPConnectionPool(_ClosesCutConnections, HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(_ClosesCutConnections, HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class ReadBudget:
    """Bytes and Bundle entries one hook call may still read, shared by all its queries."""

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._bytes = 0
        self._entries = 0
        self._lock = threading.Lock()

    def take_bytes(self, count: int) -> None:
        with self._lock:
            self._bytes += count
            if self._bytes > self.max_bytes:
                raise FhirTooLarge(f"more than {self.max_bytes:,} bytes of FHIR data")

    def take_entries(self, count: int) -> None:
        with self._lock:
            self._entries += count
            if self._entries > self.max_entries:
                raise FhirTooLarge(f"more than {self.max_entries:,} FHIR entries")
