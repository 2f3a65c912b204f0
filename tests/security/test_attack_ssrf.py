"""Attack regression, SSRF: the service connects only to FHIR servers on the allow-list.

A listening loopback server counts the connections it gets: every refused ``fhirServer`` must leave
it at zero.  An explicit ``FHIR_ALLOWLIST`` is the allow-list in development mode too (loopback is
allowed there only while the list is empty).  Paging links and redirects cannot lead the token
elsewhere either.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from tests.auth.issuer import Issuer, bearer
from tests.security.attack_support import (
    FHIR_TOKEN,
    NOW,
    OXYCODONE_ORDER,
    SIGN,
    bundle,
    healthy_record,
    hook_body,
    post_hook,
    rules_of,
)
from tests.support.loopback import Reply, loopback_server

EHR = "https://ehr.example.org/fhir"


def _dev_client(tmp_path: Path, **settings: Any) -> Any:
    app = create_app({"auth": "none", "now": NOW, "state_dir": str(tmp_path / "state"), **settings})
    return app.test_client()


def _variants(port: int) -> list[str]:
    """Ways to write a loopback (or internal) target that an allow-list match must not be fooled by."""
    return [
        f"http://127.0.0.1:{port}/fhir",
        f"http://localhost:{port}/fhir",
        f"http://127.1:{port}/fhir",
        f"http://0x7f000001:{port}/fhir",
        f"http://2130706433:{port}/fhir",
        f"http://017700000001:{port}/fhir",
        f"http://0.0.0.0:{port}/fhir",
        f"http://[::ffff:127.0.0.1]:{port}/fhir",
        f"http://ehr.example.org@127.0.0.1:{port}/fhir",
        f"https://ehr.example.org@127.0.0.1:{port}/fhir",
        f"http://127.0.0.1:{port}#@ehr.example.org/fhir",
        f"http://127.0.0.1:{port}/fhir?@ehr.example.org/fhir",
        f"https://ehr.example.org.127.0.0.1.nip.io:{port}/fhir",
        f"http://127.0.0.1:{port}\\@ehr.example.org/fhir",
        f"https://ehr.example.org:{port}/fhir",
        "http://ehr.example.org/fhir",
        f"https://ehr.example.org/fhir-internal/{port}",
        f"https://ehr.example.org/fhir/../admin:{port}",
        f"https://ehr.example.org/fhir/%2e%2e/{port}",
        f" http://127.0.0.1:{port}/fhir",
        f"HTTP://127.0.0.1:{port}/fhir",
    ]


def test_dev_mode_with_an_explicit_list_refuses_unlisted_loopback(tmp_path: Path) -> None:
    with loopback_server(healthy_record()) as listed, loopback_server(healthy_record()) as unlisted:
        client = _dev_client(tmp_path, fhir_allowlist=f"http://127.0.0.1:{listed.port}/fhir")
        refused = post_hook(client, hook_body(unlisted.base_url))
        allowed = post_hook(client, hook_body(listed.base_url))
        time.sleep(0.05)
    assert refused.status_code == 403 and refused.get_json()["error"] == "fhir_server_not_allowed"
    assert unlisted.seen.connections == 0
    assert allowed.status_code == 200 and rules_of(allowed) == [("R1", "critical")]


def test_dev_mode_without_a_list_still_allows_loopback(tmp_path: Path) -> None:
    with loopback_server(healthy_record()) as server:
        response = post_hook(_dev_client(tmp_path), hook_body(server.base_url))
    assert rules_of(response) == [("R1", "critical")]


@pytest.mark.parametrize("mode", ["jwt", "none"])
def test_ssrf_variants_never_connect(tmp_path: Path, issuer: Issuer, mode: str) -> None:
    from tests.auth.issuer import PUBLIC_URL

    settings: dict[str, Any] = {"auth": mode, "fhir_allowlist": EHR}
    if mode == "jwt":
        settings |= {"public_url": PUBLIC_URL, "trusted_issuers": {issuer.iss: issuer.jwks_url}}
    client = _dev_client(tmp_path, **settings)
    with loopback_server(healthy_record()) as target:
        statuses = {}
        for url in _variants(target.port):
            headers = bearer(issuer.token(SIGN)) if mode == "jwt" else {}
            statuses[url] = post_hook(client, hook_body(url), headers).status_code
        time.sleep(0.1)
    assert target.seen.connections == 0
    assert set(statuses.values()) == {403}, statuses


def test_paging_links_off_the_base_are_not_followed(tmp_path: Path) -> None:
    with loopback_server(healthy_record()) as elsewhere:
        links = [
            f"{elsewhere.base_url}/MedicationRequest?page=2",
            "http://127.0.0.1:{port}/other-base/MedicationRequest?page=2",
            "http://127.0.0.1:{port}/fhir/../admin?page=2",
            "http://user:pw@127.0.0.1:{port}/fhir/MedicationRequest?page=2",
            "file:///etc/passwd",
        ]
        for link in links:
            where: dict[str, int] = {}

            def respond(_index: int, path: str, link: str = link, where: dict[str, int] = where) -> Reply:
                if path.startswith("/fhir/MedicationRequest"):
                    return Reply(200, bundle([OXYCODONE_ORDER], next_url=link.format(port=where["port"])))
                return Reply(200, bundle([]))

            with loopback_server(respond) as allowed:
                where["port"] = allowed.port
                client = _dev_client(tmp_path, fhir_allowlist=allowed.base_url)
                response = post_hook(client, hook_body(allowed.base_url))
            assert [p for p, _ in allowed.seen.requests if not p.startswith("/fhir/")] == [], link
            assert ("UNVERIFIED", "warning") in rules_of(response), link
        time.sleep(0.05)
    assert elsewhere.seen.connections == 0


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(tmp_path: Path, status: int) -> None:
    with loopback_server(healthy_record()) as elsewhere:
        redirect = Reply(status, b"", headers={"Location": f"{elsewhere.base_url}/MedicationRequest"})
        with loopback_server(redirect) as allowed:
            client = _dev_client(tmp_path, fhir_allowlist=allowed.base_url)
            response = post_hook(client, hook_body(allowed.base_url))
        time.sleep(0.05)
    assert elsewhere.seen.connections == 0
    assert ("UNVERIFIED", "warning") in rules_of(response)
    assert {auth for _, auth in allowed.seen.requests} == {f"Bearer {FHIR_TOKEN}"}
