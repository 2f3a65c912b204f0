"""/demo exists only in development mode (AUTH=none); its files are a fixed set with a strict CSP."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin import create_app
from tests.auth.issuer import PUBLIC_URL, Issuer, bearer


def test_dev_mode_serves_the_page_and_its_files_only(tmp_path: Path) -> None:
    client = create_app({"auth": "none", "state_dir": str(tmp_path)}).test_client()
    page = client.get("/demo")
    assert page.status_code == 200 and b'src="/demo/demo.js"' in page.data
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    for name in ("demo.js", "markdown.js", "demo.css"):
        assert client.get(f"/demo/{name}").status_code == 200
    for name in ("../demo.py", "demo.py", "%2e%2e/demo.py", "nothing.js"):
        assert client.get(f"/demo/{name}").status_code == 404


@pytest.mark.parametrize("path", ["/demo", "/demo/demo.js"])
def test_no_demo_with_jwt_auth(tmp_path: Path, path: str) -> None:
    issuer = Issuer(tmp_path)
    settings = {
        "auth": "jwt",
        "public_url": PUBLIC_URL,
        "trusted_issuers": {issuer.iss: issuer.jwks_url},
        "state_dir": str(tmp_path / "state"),
    }
    response = create_app(settings).test_client().get(path, headers=bearer(issuer.token(path)))
    assert response.status_code == 404
