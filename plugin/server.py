"""Production serving: gunicorn with the app factory."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from plugin.settings import load_settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from plugin import create_app

        return create_app()


def run(host: str, port: int, dev: bool) -> None:
    if dev:
        os.environ.setdefault("NALTREXONE_CDS_AUTH", "none")
    settings = load_settings()
    workers = 1 if dev else (settings.workers or (os.cpu_count() or 1) * 2 + 1)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": settings.threads or 1,
            "graceful_timeout": 20,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        }
    ).run()
