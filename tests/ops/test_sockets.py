"""One socket per worker (``plugin.ops.sockets``): the nginx upstream over them, and the granian
internals it relies on - these tests fail if a granian upgrade changes them."""

from __future__ import annotations

import importlib.metadata
import re
import socket
from pathlib import Path

from plugin.ops.proxy import UPSTREAM_KEEPALIVE, Proxy, find_nginx, nginx_config
from plugin.ops.sockets import SocketPerWorker, worker_socket_paths
from tests.paths import REPO_ROOT


def _config(directory: Path, sockets: list[Path]) -> str:
    return nginx_config(
        host="127.0.0.1",
        port=8080,
        upstreams=sockets,
        directory=directory,
        client_timeout_s=5.0,
        max_body_bytes=1 << 20,
    )


def test_the_upstream_lists_each_worker_socket_and_balances_by_calls_in_flight(tmp_path: Path) -> None:
    sockets = worker_socket_paths(tmp_path, 3)
    assert [p.name for p in sockets] == ["worker-1.sock", "worker-2.sock", "worker-3.sock"]
    config = _config(tmp_path, sockets)
    found = re.findall(r"upstream workers \{([^}]*)\}", config)
    assert len(found) == 1
    upstream = found[0]
    # a dead worker stays in the rotation (max_fails=0): its calls wait in its socket for the respawn
    assert re.findall(r"server unix:(\S+) max_fails=0;", upstream) == [str(p) for p in sockets]
    assert upstream.count("server ") == 3
    # nginx's rule: the balancing method before keepalive (else keepalive wraps round-robin)
    assert 0 <= upstream.index("least_conn;") < upstream.index(f"keepalive {UPSTREAM_KEEPALIVE};")
    Proxy(find_nginx(), config, tmp_path).check()  # the real nginx accepts it


def test_granian_is_pinned_exactly() -> None:
    """``SocketPerWorker`` uses granian internals: an upgrade must be a deliberate, tested change."""
    pin = re.findall(r'"granian==([^"]+)"', (REPO_ROOT / "pyproject.toml").read_text())
    assert pin == [importlib.metadata.version("granian")]


def test_each_worker_index_is_handed_its_own_socket_again_on_respawn(tmp_path: Path) -> None:
    """What granian's ``_spawn_worker(idx)`` passes to the worker process is that index's socket."""
    from granian.constants import Interfaces

    sockets = worker_socket_paths(tmp_path, 2)
    server = SocketPerWorker("plugin", uds=sockets[0], interface=Interfaces.WSGI, workers=2)
    server.worker_sockets = sockets
    server._init_shared_socket()
    try:
        assert all(path.is_socket() for path in sockets)
        for idx in (0, 1, 1, 0):  # a respawn asks for the same index again
            worker = server._spawn_worker(idx, server._spawn_wsgi_worker, lambda: None)
            args = worker.inner._args  # multiprocessing.Process: what the child is started with
            assert args[0] == idx + 1  # granian's worker id
            (_spec, holder), sock = args[3]  # ((socket spec, SocketHolder), Python socket)
            assert isinstance(sock, socket.socket) and sock.getsockname() == str(sockets[idx])
            assert holder.get_fd() == sock.fileno() and holder.is_uds()
    finally:
        server._drop_shared_socket()
    with socket.socket(socket.AF_UNIX) as client:  # the master's copies are closed at shutdown
        assert client.connect_ex(str(sockets[0])) != 0


def test_without_worker_sockets_granian_binds_its_own_shared_socket(tmp_path: Path) -> None:
    from granian.constants import Interfaces

    shared = tmp_path / "shared.sock"
    server = SocketPerWorker("plugin", uds=shared, interface=Interfaces.WSGI, workers=2)
    server._init_shared_socket()
    try:
        spawned = [server._spawn_worker(i, server._spawn_wsgi_worker, lambda: None) for i in (0, 1)]
        handed = [worker.inner._args[3] for worker in spawned]
        assert handed[0][1] is handed[1][1] and handed[0][1].getsockname() == str(shared)
    finally:
        server._drop_shared_socket()
