"""Run `naltrexone-cds db upgrade` in several processes at once, as server workers would at start."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.paths import REPO_ROOT


def concurrent_db_upgrades(count: int, **env_vars: str) -> list[tuple[int, str]]:
    """(exit code, output) of ``count`` simultaneous upgrades with only ``env_vars`` of ours set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NALTREXONE_CDS_")}
    env.update(env_vars, PYTHONPATH=str(REPO_ROOT))
    code = "from plugin.ops.cli import main; main()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=60)
        results.append((process.returncode, output.decode()))
    return results
