"""The buffering proxy ``serve`` puts in front of the workers: nginx, run as a child process.

Why: a Python worker thread that starts reading a request whose client trickles its headers or body
(one byte a second, say) is held until that client finishes - 8 such connections stalled every hook
call of the old gunicorn server, and granian, which reads headers in Rust, still hands the body to a
Python thread to read.  nginx reads each request completely (headers and body, bounded in size and
time) before it passes it on, so the workers only ever see whole requests, over private Unix sockets:
one per worker (``plugin.ops.sockets``), each an upstream server of its own.  nginx sends each call to
the worker with the fewest calls in flight (``least_conn``) and keeps connections to every worker open.

Timeouts (``NALTREXONE_CDS_CLIENT_TIMEOUT``): the whole header block must arrive within it, the body may
pause no longer than it between two reads, and an idle keep-alive connection is closed after
``KEEPALIVE_S``.  Bodies above ``NALTREXONE_CDS_MAX_BODY_BYTES`` are refused by nginx (413) before any
worker sees them.  nginx's own errors are answered as JSON like the app's, and its error log is relayed
through our logging (scrubbed like every other line).
"""

from __future__ import annotations

import grp
import http.client
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from plugin.ops.supervise import pdeathsig_prefix

__all__ = ["NginxNotFound", "Proxy", "find_nginx", "nginx_config"]

KEEPALIVE_S = 5  # EHR gateways reuse connections; idle ones are closed after this
UPSTREAM_KEEPALIVE = 32  # connections nginx keeps open to the workers
BODY_MEMORY_BYTES = 1024 * 1024  # bodies above this wait in a file of the private directory
STARTUP_TIMEOUT_S = 120.0  # the workers import and build the app before the first answer
NGINX_SEARCH_PATH = "/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin"
_log = logging.getLogger("naltrexone_cds.proxy")

# Statuses nginx itself may answer (the app answers everything else); same shape as plugin.errors.
_ERRORS = {
    400: ("bad_request", "malformed HTTP request"),
    408: ("request_timeout", "the request did not arrive in time"),
    413: ("payload_too_large", "request body above the configured limit"),
    494: ("bad_request", "request headers too large"),
    502: ("service_unavailable", "the service is restarting; try again"),
    504: ("service_unavailable", "the service did not answer in time"),
}


class NginxNotFound(RuntimeError):
    """Raised when PROXY=nginx and no nginx binary can be found."""


def find_nginx() -> str:
    found = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), NGINX_SEARCH_PATH]))
    if not found:
        raise NginxNotFound(
            "nginx not found: install it (Debian: apt-get install nginx), or set "
            "NALTREXONE_CDS_PROXY=none when a buffering proxy already stands in front of the service"
        )
    return found


def _error_pages() -> str:
    pages = []
    for status, (error, message) in _ERRORS.items():
        shown = 400 if status == 494 else status
        pages.append(f"error_page {status} = @e{status};")
        pages.append(
            f"location @e{status} {{ default_type application/json; "
            f'return {shown} \'{{"error": "{error}", "message": "{message}"}}\'; }}'
        )
    return "\n    ".join(pages)


def _user_line() -> str:
    """As root, nginx's worker would switch to ``nobody`` and lose the private socket: keep our user."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


def _upstream(sockets: Sequence[Path]) -> str:
    """One server per worker socket.  ``max_fails=0``: a worker that died is never taken out of the
    rotation (nginx's default, for 10 s after one error): granian respawns it on the same socket, and
    what nginx sends there meanwhile waits in that socket's backlog, as with a single shared socket.
    ``least_conn`` comes before ``keepalive`` (nginx's rule for a balancing method)."""
    servers = " ".join(f"server unix:{path} max_fails=0;" for path in sockets)
    return f"upstream workers {{ least_conn; {servers} keepalive {UPSTREAM_KEEPALIVE}; }}"


def nginx_config(
    *,
    host: str,
    port: int,
    upstreams: Sequence[Path],
    directory: Path,
    client_timeout_s: float,
    max_body_bytes: int,
) -> str:
    """The nginx.conf of one ``serve``: listen on host:port, buffer, pass to the workers' sockets."""
    timeout = f"{max(1, round(client_timeout_s * 1000))}ms"
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"""# written by naltrexone-cds serve; regenerated at every start
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log stderr error;
{_user_line()}
events {{ worker_connections 8192; }}
http {{
  access_log off;
  server_tokens off;
  client_header_timeout {timeout};
  client_body_timeout {timeout};
  send_timeout {timeout};
  keepalive_timeout {KEEPALIVE_S}s;
  client_max_body_size {max_body_bytes};
  client_body_buffer_size {min(BODY_MEMORY_BYTES, max_body_bytes)};
  client_body_temp_path {directory}/body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  {_upstream(upstreams)}
  server {{
    listen {listen} backlog=1024;
    location / {{
      proxy_pass http://workers;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_request_buffering on;
      proxy_buffering on;
      proxy_buffer_size 64k;
      proxy_buffers 16 64k;
      proxy_read_timeout 120s;
      proxy_intercept_errors off;
    }}
    {_error_pages()}
  }}
}}
"""


def upstream_healthy(socket_path: Path, timeout_s: float = 1.0) -> bool:
    """True when the worker answers ``GET /healthz`` with 200 on its Unix socket."""
    connection = http.client.HTTPConnection("workers", timeout=timeout_s)
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout_s)
        sock.connect(str(socket_path))
        connection.sock = sock
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class Proxy:
    """nginx as a child: it starts listening once every worker answers, and stops before the workers."""

    def __init__(self, binary: str, config: str, directory: Path) -> None:
        self.directory = directory
        self.config_path = directory / "nginx.conf"
        self.config_path.write_text(config)
        self.command = [binary, "-p", str(directory), "-e", "stderr", "-c", str(self.config_path)]
        self.prefix = pdeathsig_prefix("QUIT")  # master killed outright: nginx stops listening, exits
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.lock = threading.Lock()

    def check(self) -> None:
        """Let nginx test its configuration; raise with its message when it refuses it."""
        checked = subprocess.run([*self.command, "-t", "-q"], capture_output=True, timeout=30, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration: {checked.stderr.decode()[-2000:]}")

    def start_when_ready(self, upstreams: Sequence[Path], on_failure: Callable[[], None]) -> None:
        """In the background: wait until the worker on each socket answers, then start nginx (no 502,
        and no call waiting for a worker still building its app, at start-up)."""
        threading.Thread(target=self._start, args=(list(upstreams), on_failure), daemon=True).start()

    def _start(self, upstreams: list[Path], on_failure: Callable[[], None]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for upstream in upstreams:  # one after another, all within the one start-up deadline
            while not upstream_healthy(upstream):
                if self.stopping:
                    return
                if time.monotonic() > deadline:
                    _log.error(
                        "a worker did not answer within %.0f s: stopping the service", STARTUP_TIMEOUT_S
                    )
                    on_failure()
                    return
                time.sleep(0.05)
        with self.lock:
            if self.stopping:
                return
            self.process = subprocess.Popen(
                [*self.prefix, *self.command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        self._relay(self.process, on_failure)

    def _relay(self, process: subprocess.Popen[bytes], on_failure: Callable[[], None]) -> None:
        """nginx's error log, line by line, into ours (scrubbed there); notice if nginx dies."""
        assert process.stderr is not None
        for raw in process.stderr:
            _log.warning("nginx: %s", raw.decode(errors="replace").rstrip())
        code = process.wait()
        if not self.stopping:
            _log.error("nginx exited unexpectedly (code %s): stopping the service", code)
            on_failure()

    def stop(self, timeout_s: float) -> None:
        """SIGQUIT: stop listening, finish the requests in flight, exit (SIGKILL after ``timeout_s``)."""
        with self.lock:
            self.stopping = True
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
