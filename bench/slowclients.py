"""The slow-client curve: N connections trickle a request one byte a second; is a valid call still fast?

Two kinds, as an attacker (or a bad network) would send them: ``header`` sends its request line and
headers a byte at a time; ``body`` sends whole headers, then the body a byte at a time.  For each N the
valid calls (fresh connections, one after another) are timed while all N are held open.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.loadgen import FreshRequests

COUNTS = (8, 16, 32, 64, 128, 256)
VALID_CALLS = 3
CALL_TIMEOUT_S = 5.0
TRICKLE_INTERVAL_S = 1.0


async def _trickle(port: int, path: str, kind: str, stop: asyncio.Event, opened: list[int]) -> None:
    body = b"{" + b" " * 4000 + b"}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    opened.append(1)
    pending = head + body if kind == "header" else body
    try:
        if kind == "body":
            writer.write(head)
        while pending and not stop.is_set():
            writer.write(pending[:1])
            pending = pending[1:]
            await writer.drain()
            try:
                await asyncio.wait_for(stop.wait(), TRICKLE_INTERVAL_S)
            except TimeoutError:
                pass
    except OSError:
        pass
    finally:
        writer.close()


async def _valid_call(port: int, requests: FreshRequests) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(requests.next())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:60].decode(errors="replace"))
        lines = head.lower().split(b"\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in lines if line.startswith(b"content-length"))
        await reader.readexactly(length)
    finally:
        writer.close()
    return time.perf_counter() - started


async def _point(port: int, requests: FreshRequests, kind: str, count: int) -> dict[str, Any]:
    stop = asyncio.Event()
    opened: list[int] = []
    path = requests.path
    tricklers = [asyncio.create_task(_trickle(port, path, kind, stop, opened)) for _ in range(count)]
    await asyncio.sleep(1.5)  # all connected, each has sent a byte or two
    latencies: list[float | None] = []
    for _ in range(VALID_CALLS):
        try:
            latencies.append(await asyncio.wait_for(_valid_call(port, requests), CALL_TIMEOUT_S))
        except (TimeoutError, OSError, RuntimeError, asyncio.IncompleteReadError):
            latencies.append(None)
    stop.set()
    await asyncio.gather(*tricklers, return_exceptions=True)
    answered = [x for x in latencies if x is not None]
    return {
        "kind": kind,
        "slow_connections": count,
        "opened": len(opened),
        "answered": f"{len(answered)}/{VALID_CALLS}",
        "worst_ms": round(max(answered) * 1000, 1) if len(answered) == VALID_CALLS else None,
    }


def slow_client_curve(port: int, requests: FreshRequests) -> list[dict[str, Any]]:
    return [asyncio.run(_point(port, requests, kind, n)) for kind in ("header", "body") for n in COUNTS]
