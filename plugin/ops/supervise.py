"""``serve``'s process tree: one process takes the signals, the servers live in a session of their own.

Process managers do not all signal alike: Docker and Kubernetes send SIGTERM to PID 1 only, systemd
and a terminal's Ctrl-C signal the whole process group.  Sent to the group, SIGTERM would reach every
worker and nginx at once: nginx's SIGTERM is its *fast* shutdown (calls in flight are cut), and the
workers would stop taking requests nginx still holds.  So ``serve`` forks: the parent only forwards
SIGTERM/SIGINT/SIGHUP to the child and returns its exit code; the child (granian's master, the
workers, nginx) runs in a new session, where it orders the graceful stop itself - nginx first.

If the parent is killed outright (``kill -9``), every process below it is killed too (Linux
``PR_SET_PDEATHSIG``, set in the child and in each worker; nginx, via ``setpriv``, gets SIGQUIT: it
closes its port at once and exits), so nothing is left holding the port.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys

__all__ = ["die_with_parent", "pdeathsig_prefix", "supervise"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Linux: receive ``sig`` when the parent dies (kept across exec); nothing elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)


def pdeathsig_prefix(sig: str) -> list[str]:
    """``setpriv --pdeathsig SIG --`` when util-linux's setpriv is there: for a child we exec."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", sig, "--"] if setpriv and sys.platform.startswith("linux") else []


def supervise() -> int | None:
    """Fork.  In the child (new session, dies with the parent): None, go on serving.  In the parent:
    forward signals until the child exits; its exit code (128 + signal when a signal ended it)."""
    child = os.fork()
    if child == 0:
        os.setsid()
        die_with_parent()
        return None

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code
