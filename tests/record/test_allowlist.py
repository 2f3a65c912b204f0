"""The SSRF guard compares parsed URLs: scheme, host, port and path prefix on a segment boundary."""

from __future__ import annotations

import pytest

from plugin.errors import FhirServerNotAllowed
from plugin.record.allowlist import is_allowed, require_allowed

EHR = ("https://ehr.example.org/fhir",)


@pytest.mark.parametrize(
    ("url", "allowlist", "dev_mode", "allowed"),
    [
        ("https://ehr.example.org/fhir", EHR, False, True),
        ("https://ehr.example.org/fhir/", EHR, False, True),
        ("https://ehr.example.org/fhir/R4", EHR, False, True),
        ("https://EHR.Example.ORG./fhir", EHR, False, True),
        ("https://ehr.example.org:443/fhir", EHR, False, True),
        ("https://ehr.example.org/fhir", ("ehr.example.org/fhir",), False, True),  # https assumed
        ("https://ehr.example.org/fhir", ("https://ehr.example.org",), False, True),
        ("https://ehr.example.org/fhir-evil", EHR, False, False),
        ("https://ehr.example.org/fhi", EHR, False, False),
        ("https://ehr.example.org.evil.com/fhir", EHR, False, False),
        ("https://evil.com/ehr.example.org/fhir", EHR, False, False),
        ("https://ehr.example.org@evil.com/fhir", EHR, False, False),
        ("https://user:pw@ehr.example.org/fhir", EHR, False, False),
        ("https://evil.com#@ehr.example.org/fhir", EHR, False, False),
        ("http://ehr.example.org/fhir", EHR, False, False),  # https only unless the entry says http
        ("https://ehr.example.org:8443/fhir", EHR, False, False),
        ("https://ehr.example.org/fhir/../admin", EHR, False, False),
        ("https://ehr.example.org/fhir/%2e%2e/admin", EHR, False, False),
        ("https://ehr.example.org/fhir/a%2fb", EHR, False, False),
        ("ftp://ehr.example.org/fhir", EHR, False, False),
        ("not a url", EHR, False, False),
        ("http://intranet:8080/fhir/R4", ("http://intranet:8080/fhir",), False, True),
        ("http://intranet/fhir", ("http://intranet:8080/fhir",), False, False),
        ("https://ehr.example.org/fhir", (), False, False),
        ("http://127.0.0.1:8090/fhir", (), True, True),
        ("http://127.3.2.1:8090/fhir", (), True, True),
        ("http://[::1]:8090/fhir", (), True, True),
        ("http://localhost:8090/fhir", (), True, True),
        ("http://127.0.0.1:8090/fhir", (), False, False),  # loopback only in AUTH=none dev mode
        ("http://localhost:8090/fhir", EHR, False, False),
        ("http://127.0.0.1:8090/fhir", EHR, True, False),  # an explicit list is the list, dev mode too
        ("http://localhost:8090/fhir", EHR, True, False),
        ("http://127.0.0.1:8090/fhir", ("http://127.0.0.1:8090/fhir",), True, True),
        ("http://192.0.2.2:8090/fhir", (), True, False),  # dev mode does not open the network
        ("http://0.0.0.0:8090/fhir", (), True, False),  # reaches this host, but is not loopback
        ("http://[::]:8090/fhir", (), True, False),
        ("http://169.254.169.254/latest/meta-data", (), True, False),
    ],
)
def test_allow_list(url: str, allowlist: tuple[str, ...], dev_mode: bool, allowed: bool) -> None:
    assert is_allowed(url, allowlist, dev_mode=dev_mode) is allowed


@pytest.mark.parametrize(
    "url", ["https://ehr.example.org/fhir?x=1", "https://ehr.example.org/fhir#frag", "http://[::1/fhir", ""]
)
def test_malformed_base_url_is_refused(url: str) -> None:
    with pytest.raises(FhirServerNotAllowed) as caught:
        require_allowed(url, EHR, dev_mode=False)
    assert caught.value.status == 403


def test_refusal_is_a_403_naming_the_setting() -> None:
    with pytest.raises(FhirServerNotAllowed) as caught:
        require_allowed("https://other.example.org/fhir", EHR, dev_mode=False)
    assert caught.value.status == 403
    assert "FHIR_ALLOWLIST" in caught.value.message
