"""Polling for a condition that another process brings about."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], within_s: float, interval_s: float = 0.1) -> bool:
    """True as soon as ``condition()`` is true; False when it is still false after ``within_s``."""
    end = time.monotonic() + within_s
    while not condition():
        if time.monotonic() >= end:
            return False
        time.sleep(interval_s)
    return True
