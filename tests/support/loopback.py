"""A tiny real HTTP server on loopback that plays the faults a real FHIR server will not produce.

Stall past the deadline, answer 500/401/503 or an HTML login page, or just count connections
(the SSRF test asserts it sees none).  It speaks real HTTP over a real socket, so the service's
timeouts, pooling and error mapping are exercised exactly as in production.
"""

from __future__ import annotations

import itertools
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/fhir+json"
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0  # wait this long before answering (released early when the server stops)
    # > 0: answer 200 with ``headers`` and then one byte of ``body`` (or a space) every trickle_s seconds
    # until the client goes away or the server stops; with trickle_head the status line and headers
    # come a byte at a time too.
    trickle_s: float = 0.0
    trickle_head: bool = False


@dataclass
class Seen:
    """What the server saw: accepted connections and (path, Authorization header) per request."""

    connections: int = 0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    trickling: int = 0  # trickled answers whose client is still connected
    cut: int = 0  # trickled answers whose client closed the connection


@dataclass(frozen=True)
class Loopback:
    base_url: str
    port: int
    seen: Seen


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops parallel SYNs, which then retry only after 1 s

    def __init__(self, respond: Callable[[int, str], Reply]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.respond = respond
        self.seen = Seen()
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.seen.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        with self.server.lock:
            index = len(self.server.seen.requests)
            self.server.seen.requests.append((self.path, self.headers.get("Authorization")))
        reply = self.server.respond(index, self.path)
        if reply.trickle_s:
            self._trickle(reply)
            return
        if reply.stall_s and self.server.stopping.wait(reply.stall_s):
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _trickle(self, reply: Reply) -> None:
        """Hold the client with a slow answer; count when it cuts the connection."""
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {reply.content_type}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in reply.headers.items()) + "\r\n"
        pieces = [bytes([b]) for b in head.encode()] if reply.trickle_head else [head.encode()]
        pieces += [bytes([b]) for b in reply.body] or []
        with self.server.lock:
            self.server.seen.trickling += 1
        try:
            for i in itertools.count():
                self.wfile.write(pieces[i] if i < len(pieces) else b" ")
                self.wfile.flush()
                if self.server.stopping.wait(reply.trickle_s):
                    return
        except OSError:
            with self.server.lock:
                self.server.seen.cut += 1
        finally:
            with self.server.lock:
                self.server.seen.trickling -= 1
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return


@contextmanager
def loopback_server(
    respond: Callable[[int, str], Reply] | Reply = Reply(), tls: ssl.SSLContext | None = None
) -> Iterator[Loopback]:
    """Serve ``respond`` (a fixed Reply, or a function of request index and path) until the block ends;
    over HTTPS with ``tls`` (a server-side context)."""
    handler = respond if callable(respond) else (lambda _i, _p, r=respond: r)
    server = _Server(handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        scheme = "https" if tls is not None else "http"
        yield Loopback(f"{scheme}://127.0.0.1:{port}/fhir", int(port), server.seen)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
