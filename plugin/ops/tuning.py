"""A serving worker's memory tuning, applied once its app is built (``server.prepare_worker_app``)."""

from __future__ import annotations

import ctypes
import gc

MMAP_THRESHOLD_BYTES = 1024 * 1024
GC_YOUNG_THRESHOLD = 10_000
_M_MMAP_THRESHOLD = -3  # glibc <malloc.h>


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
