"""``naltrexone-cds serve`` whose workers take ``SLOW_START_S`` seconds to build their app (tests only).

Each worker first creates a file in ``SLOW_START_MARKERS`` (named by its pid), so a test knows every
worker is still starting when it stops ``serve``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import plugin.ops.server as server
from plugin.ops.cli import main

_create_service = server._create_app


def _create_app_slowly() -> Any:
    (Path(os.environ["SLOW_START_MARKERS"]) / str(os.getpid())).touch()
    time.sleep(float(os.environ["SLOW_START_S"]))
    return _create_service()


if __name__ == "__main__":
    server._create_app = _create_app_slowly  # looked up when serve starts: workers inherit it (fork)
    main()
