"""naltrexone-cds: a CDS Hooks 2.0 service guarding naltrexone starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from plugin.clinical.policy import load_policy
from plugin.clinical.terminology import default_terminology
from plugin.errors import register_error_handlers
from plugin.settings import load_settings

__all__ = ["create_app"]


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings (env, then ``settings`` on top), policy, value sets, routes.

    Raises ``SettingsError`` / ``PolicyError`` (one line each) for a configuration it cannot run with.
    The AUTH=none warning is the server's (``naltrexone-cds serve``): building an app serves nothing.
    """
    from plugin import auth
    from plugin.http import api, demo, feedback, health, security
    from plugin.ops import log as log_setup
    from plugin.ops import metrics

    resolved = load_settings(settings)
    app = Flask(__name__)
    app.config["SETTINGS"] = resolved
    app.config["POLICY"] = load_policy(resolved.policy_file or None)
    app.config["TERMINOLOGY"] = default_terminology()
    app.config["MAX_CONTENT_LENGTH"] = resolved.max_body_bytes
    log_setup.init_app(app)  # first: its before_request sets the request id the others log with
    metrics.init_app(app)  # next: hook latency includes the JWT check
    register_error_handlers(app)
    security.init_app(app)  # before auth: CORS preflights carry no token
    auth.init_app(app)
    app.register_blueprint(api.bp)
    feedback.init_app(app)
    demo.init_app(app)  # development mode only
    health.init_app(app)
    return app
