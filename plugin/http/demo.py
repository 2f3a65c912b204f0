"""``/demo``: a page that plays the EHR against this service - development mode (AUTH=none) only.

The page is plain HTML + JavaScript from ``demo_static/`` (no build step, no third-party code).  It calls
the service exactly as a CDS client does: discovery, prefetch built from the discovery templates and run
against the FHIR server the user names, the hook call, and the feedback post.  It is registered only in
development mode, so a production service answers 404 here.

Its own Content-Security-Policy allows scripts from this origin only (no inline script, no eval): even if
card text slipped past the page's escaping markdown renderer, nothing in it could run.  The FHIR server
is another origin the page must reach, hence ``connect-src`` http(s).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort

STATIC_DIR = Path(__file__).with_name("demo_static")
FILES = {
    "index.html": "text/html",
    "demo.js": "text/javascript",
    "markdown.js": "text/javascript",
    "demo.css": "text/css",
}
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint("demo", __name__)


def _serve(name: str) -> Response:
    if name not in FILES:  # a fixed set: no path from the URL ever reaches the file system
        abort(404)
    response = Response((STATIC_DIR / name).read_bytes(), mimetype=FILES[name])
    response.headers["Content-Security-Policy"] = DEMO_CSP  # set before the generic default-src 'none'
    return response


@bp.get("/demo")
def demo_page() -> Response:
    return _serve("index.html")


@bp.get("/demo/<name>")
def demo_file(name: str) -> Response:
    return _serve(name)


def init_app(app: Flask) -> None:
    """Serve the demo page in development mode only."""
    if app.config["SETTINGS"].dev_mode:
        app.register_blueprint(bp)
