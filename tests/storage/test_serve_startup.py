"""Start-up of the server: migrations before the workers, and the workers' memory settings."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from plugin.ops.tuning import GC_YOUNG_THRESHOLD, freeze_startup_objects, return_large_blocks_to_the_os
from tests.paths import REPO_ROOT

CHECK = """
import sys
from plugin.settings import load_settings
from plugin.ops.server import migrate_before_workers
from plugin.storage.db import _at_head, get_engine
settings = load_settings({"state_dir": sys.argv[1]}, environ={})
migrate_before_workers(settings)
assert "alembic" not in sys.modules, "the parent (the future server master) loaded Alembic"
assert _at_head(get_engine(settings)), "the schema is not at head"
assert "alembic" not in sys.modules
"""


def test_schema_is_at_head_before_workers_start_and_alembic_stays_out(tmp_path: Path) -> None:
    for _ in range(2):  # a fresh database, then one already at head
        done = subprocess.run(
            [sys.executable, "-c", CHECK, str(tmp_path / "state")],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]


def test_worker_memory_settings_are_safe_to_apply() -> None:
    """glibc's mallopt where there is one, nothing elsewhere; gc.freeze keeps collecting new garbage."""
    return_large_blocks_to_the_os()
    threshold = gc.get_threshold()
    freeze_startup_objects()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made after the freeze is still collected
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
