"""``naltrexone-cds serve`` with two routes that never return, for the hung-worker watchdog's tests only.

``python -m tests.support.hanging_serve serve --dev ...`` runs the real CLI; each worker's app has, on
top of the service, ``POST /test/spin`` (a pure-Python endless loop: the watchdog thread sees it) and
``POST /test/regex`` (a catastrophic regular expression: C code that never lets go of the GIL, so only
faulthandler's backstop can end it).  No service code path hangs like this - that would be a bug.
"""

from __future__ import annotations

import re
from typing import Any

import plugin.ops.server as server
from plugin.ops.cli import main

_create_service = server._create_app
# Nested quantifiers over a subject that finally fails to match: 2^n ways to try, all in C.
CATASTROPHIC = re.compile(r"(a+)+$")


def _spin() -> Any:
    while True:
        pass


def _regex() -> Any:
    return {"matched": bool(CATASTROPHIC.match("a" * 64 + "!"))}


def _create_app_with_hangs() -> Any:
    app = _create_service()
    app.add_url_rule("/test/spin", "test_spin", _spin, methods=["POST"])
    app.add_url_rule("/test/regex", "test_regex", _regex, methods=["POST"])
    return app


if __name__ == "__main__":
    server._create_app = _create_app_with_hangs  # looked up when serve starts: workers inherit it (fork)
    main()
