"""Fixtures for the storage tests: settings for a fresh SQLite file, engines closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin.settings import Settings, load_settings
from plugin.storage.db import dispose_engines


@pytest.fixture
def sqlite_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for name in ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_STATE_DIR", "NALTREXONE_CDS_AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    yield load_settings({"state_dir": str(tmp_path / "state")})
    dispose_engines()
