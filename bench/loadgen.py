"""A closed-loop HTTP/1.1 load generator on raw asyncio sockets (no packaged tool fits; see README).

Each of ``concurrency`` clients sends the next pre-built request as soon as its previous answer has
arrived, reusing its connection while the server keeps it open (gthread) and reconnecting when the
server closes it (sync workers close after every response).  Requests are built before the clock
starts, so the client spends its time on sockets only; its own CPU time is measured and reported so
that a client-bound run can be recognised.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    latencies_s: list[float]
    elapsed_s: float
    errors: int
    client_cpu_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    @property
    def client_cpu_share(self) -> float:
        """Client CPU seconds per wall second (1.0 = one core busy with the load generator)."""
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s else 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile_ms(50), 3),
            "p90_ms": round(self.percentile_ms(90), 3),
            "p99_ms": round(self.percentile_ms(99), 3),
            "mean_ms": round(statistics.fmean(self.latencies_s) * 1000, 3) if self.latencies_s else 0.0,
            "client_cpu_share": round(self.client_cpu_share, 3),
        }


class FreshRequests:
    """POSTs of JSON bodies in rotation, each with a new ``hookInstance`` (so no cache can answer for us).

    ``bodies`` are distinct requests (different patients, say); each holds ``placeholder`` once.
    """

    def __init__(self, path: str, bodies: bytes | list[bytes], placeholder: str) -> None:
        self.path = path
        self._variants: list[tuple[bytes, bytes, bytes]] = []
        for body in [bodies] if isinstance(bodies, bytes) else bodies:
            before, found, after = body.partition(placeholder.encode())
            if not found:
                raise ValueError("placeholder hookInstance not in the body")
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
            )
            self._variants.append((head.encode(), before, after))
        self._turn = 0

    def _next_variant(self) -> tuple[bytes, bytes, bytes]:
        self._turn = (self._turn + 1) % len(self._variants)
        return self._variants[self._turn]

    def body(self) -> bytes:
        _head, before, after = self._next_variant()
        return before + str(uuid.uuid4()).encode() + after

    def next(self) -> bytes:
        head, before, after = self._next_variant()
        return head + before + str(uuid.uuid4()).encode() + after


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, server keeps the connection open) of one response; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, lines[0].startswith("HTTP/1.1")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            keep = value.strip().lower() != "close"
    if length:
        await reader.readexactly(length)
    return status, keep


async def _client(
    host: str,
    port: int,
    requests: FreshRequests,
    stop_at: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < stop_at:
        payload = requests.next()
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            writer.write(payload)
            status, keep = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors.append(1)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        latencies.append(time.perf_counter() - started)
        if status != 200:
            errors.append(status)
        if not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _drive(
    host: str, port: int, requests: FreshRequests, concurrency: int, seconds: float
) -> LoadResult:
    latencies: list[float] = []
    errors: list[int] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_client(host, port, requests, stop_at, latencies, errors) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return LoadResult(latencies, elapsed, len(errors), cpu)


def run_load(
    port: int, requests: FreshRequests, concurrency: int, seconds: float, warmup_s: float = 1.0
) -> LoadResult:
    """Warm up, then drive ``port`` for ``seconds`` with ``concurrency`` closed-loop clients."""
    if warmup_s:
        asyncio.run(_drive("127.0.0.1", port, requests, concurrency, warmup_s))
    return asyncio.run(_drive("127.0.0.1", port, requests, concurrency, seconds))
