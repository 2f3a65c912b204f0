"""Worker memory for one hook call against a FHIR server whose every page holds 200,000 entries.

    .venv/bin/python -m bench.huge_pages [entries per page] [FHIR timeout s]

Starts the real server (``serve --dev``: one worker, loopback FHIR allowed) and a loopback FHIR server
whose every search answers a Bundle of ``entries`` small resources with a ``next`` link, warms the
worker with a prefetched call, then makes one call without prefetch and prints the worker's RSS
before and after, its peak, the call's time and what the card said.  The read budget
(``FHIR_MAX_BYTES`` / ``FHIR_MAX_ENTRIES``) is what keeps the peak bounded.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.servers import REPO, running

SCENARIO = REPO / "tests" / "scenarios" / "r1-active-oxycodone.json"
SERVICE = [
    sys.executable,
    "-c",
    "from plugin.ops.cli import main; main()",
    "serve",
    "--host",
    "127.0.0.1",
    "--dev",
]


class _Pages(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, entries: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.entries = entries
        self.pages: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.requests = 0

    def page(self, resource_type: str) -> bytes:
        with self.lock:
            self.requests += 1
            if resource_type not in self.pages:
                base = f"http://127.0.0.1:{self.server_address[1]}/fhir"
                entry = json.dumps(
                    {"resource": {"resourceType": resource_type, "id": "x", "status": "unknown"}}
                )
                head = json.dumps(
                    {
                        "resourceType": "Bundle",
                        "type": "searchset",
                        "link": [{"relation": "next", "url": f"{base}/{resource_type}?page=next"}],
                    }
                )[:-1]
                self.pages[resource_type] = (
                    f'{head}, "entry": [{",".join([entry] * self.entries)}]}}'.encode()
                )
            return self.pages[resource_type]


class _Handler(BaseHTTPRequestHandler):
    server: _Pages
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = self.server.page(self.path.split("?")[0].rstrip("/").rpartition("/")[2])
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


def _post(port: int, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/cds-services/naltrexone-order-sign",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    timeout = sys.argv[2] if len(sys.argv) > 2 else "2"
    scenario = json.loads(SCENARIO.read_text())["request"]
    pages = _Pages(entries)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    env = {"NALTREXONE_CDS_AUTH": "none", "NALTREXONE_CDS_FHIR_TIMEOUT": timeout, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        env["NALTREXONE_CDS_STATE_DIR"] = tmp
        with running("service", SERVICE, {**os.environ, **env}, Path(tmp), workers=1) as server:
            for _ in range(3):
                _post(server.port, scenario)  # warm: everything imported, card log written
            before = server.worker_rss_mb()
            body = {k: v for k, v in scenario.items() if k != "prefetch"}
            body["fhirServer"] = f"http://127.0.0.1:{pages.server_address[1]}/fhir"
            body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer"}
            started = time.monotonic()
            answer = _post(server.port, body)
            elapsed = time.monotonic() - started
            time.sleep(1.0)
            after = server.worker_rss_mb()
    pages.shutdown()
    cards = [c["summary"] for c in answer["cards"]]
    print(
        json.dumps(
            {
                "entries_per_page": entries,
                "fhir_timeout_s": float(timeout),
                "rss_before_mb": before["rss_mb"],
                "rss_after_mb": after["rss_mb"],
                "peak_rss_mb": after["peak_rss_mb"],
                "call_s": round(elapsed, 2),
                "pages_served": pages.requests,
                "cards": cards,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
