"""Query threads per FHIR origin, so one bad server cannot starve the queries to another.

The threads are shared by every hook call of a process (starting ~10 threads per call cost ~10 ms
under the GIL), but not across origins: a server that stalls or trickles can hold at most
``ORIGIN_THREADS`` threads - until its calls' deadlines cut them loose (plugin.record.limits) - and
queries to every other server keep their own.  Origins are kept least-recently-used first; beyond
``MAX_ORIGINS`` the oldest pool is retired (its threads end once idle).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from plugin.record.allowlist import parse_base

# One call runs ~12 queries at once; 4 request threads per worker: 48, plus room for stragglers.
ORIGIN_THREADS = 48
MAX_ORIGINS = 16  # an allow-list names a few FHIR servers; loopback test servers come and go

T = TypeVar("T")
_pools: OrderedDict[tuple[str, str, int], ThreadPoolExecutor] = OrderedDict()
_lock = threading.Lock()


def origin_of(base_url: str) -> tuple[str, str, int]:
    base = parse_base(base_url)
    if base is None:
        raise ValueError("not an http(s) FHIR base URL")
    return (base.scheme, base.host, base.port)


def most_recent(
    kept: OrderedDict[tuple[str, str, int], T],
    origin: tuple[str, str, int],
    make: Callable[[], T],
    retire: Callable[[T], object],
) -> T:
    """``kept[origin]`` (made on first use), now the most recently used; beyond ``MAX_ORIGINS`` the least
    recently used are retired.  The caller holds the lock that guards ``kept``."""
    found = kept.pop(origin, None)
    if found is None:
        found = make()
    kept[origin] = found  # most recently used last
    while len(kept) > MAX_ORIGINS:
        _, retired = kept.popitem(last=False)
        retire(retired)
    return found


def _new_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=ORIGIN_THREADS, thread_name_prefix="fhir-fetch")


def executor_for(origin: tuple[str, str, int]) -> ThreadPoolExecutor:
    """The query threads of ``origin``, created on first use."""
    with _lock:
        return most_recent(_pools, origin, _new_pool, lambda pool: pool.shutdown(wait=False))


def submit(origin: tuple[str, str, int], fn: Any, *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``fn`` on a thread of ``origin``'s pool."""
    try:
        return executor_for(origin).submit(fn, *args, **kwargs)
    except RuntimeError:  # that pool was retired between lookup and submit: a fresh one takes it
        with _lock:
            _pools.pop(origin, None)
        return executor_for(origin).submit(fn, *args, **kwargs)


def query_threads() -> int:
    """Threads currently started across all origin pools (for tests and diagnostics)."""
    return sum(1 for t in threading.enumerate() if t.name.startswith("fhir-fetch"))


def _forget_pools_in_child() -> None:
    global _pools, _lock
    _pools, _lock = OrderedDict(), threading.Lock()  # the parent's threads do not exist in a child


os.register_at_fork(after_in_child=_forget_pools_in_child)
