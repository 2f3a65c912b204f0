"""``naltrexone-cds seed-fhir``: load the demo scenarios into a FHIR R4 server to try the service.

A scenario file (``tests/scenarios/*.json``) holds a whole hook request with its prefetch.  Seeding
turns the prefetched resources - plus the Patient, id = ``context.patientId`` - into one
transaction Bundle of ``PUT Type/id`` entries and prints, per scenario, the patient id and a
``curl`` line that calls the service *without* prefetch, so the service has to fetch the data itself.

The scenarios reuse ids (most patients are ``pat-1``), so each scenario's ids - and every reference
to them - are put under the scenario's name: ``r2-short-acting-5-days-pat-1``.  Ids are chosen
here rather than by the server, so seeding twice overwrites instead of duplicating; ``--id-prefix``
adds a personal prefix for shared public servers.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click
import requests

from plugin.http.services import SERVICES

# Scenarios ship with the source checkout, not with the installed package: default to the repo's.
DEFAULT_SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "tests" / "scenarios"
DEFAULT_SERVICE_URL = "http://127.0.0.1:8080"
SEED_TIMEOUT_S = 30.0
MAX_ID_LENGTH = 64  # FHIR id: [A-Za-z0-9\-.]{1,64}
REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[^/]+)?$")


def load_scenarios(directory: Path, names: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """(name, scenario) for ``names`` (file stems, or ``all``) in ``directory``, in name order."""
    wanted = list(names) or ["all"]
    if "all" in wanted:
        paths = sorted(directory.glob("*.json"))
    else:
        paths = [directory / (n if n.endswith(".json") else f"{n}.json") for n in wanted]
    scenarios = []
    for path in paths:
        if not path.is_file():
            valid = sorted(p.stem for p in directory.glob("*.json"))
            match = difflib.get_close_matches(path.stem, valid, n=1)
            hint = f" (did you mean {match[0]}?)" if match else ""
            raise click.BadParameter(
                f"no scenario {path.stem!r} in {directory}{hint}; valid: all, {', '.join(valid)}",
                param_hint="'--scenario'",
            )
        body = json.loads(path.read_text())
        if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
            raise click.ClickException(f"{path} is not a scenario (no 'request' object)")
        scenarios.append((path.stem, body))
    if not scenarios:
        raise click.ClickException(f"no scenarios found in {directory}")
    return scenarios


def _prefetched_resources(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every prefetched resource, in place, each given a stable id when it has none."""
    out: list[dict[str, Any]] = []
    for key, value in sorted((request.get("prefetch") or {}).items()):
        if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
            continue
        if value.get("resourceType") == "Bundle":
            entries = [e.get("resource") for e in value.get("entry") or [] if isinstance(e, dict)]
            resources = [
                r for r in entries if isinstance(r, dict) and r.get("resourceType") != "OperationOutcome"
            ]
        else:
            resources = [value]
        for index, resource in enumerate(resources):
            resource.setdefault("id", f"{key}-{index}")
            out.append(resource)
    return out


def _rename_references(value: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rename_references(v, renames) for k, v in value.items()}
        ref = value.get("reference")
        match = REFERENCE.match(ref) if isinstance(ref, str) else None
        if match and f"{match.group(1)}/{match.group(2)}" in renames:
            out["reference"] = renames[f"{match.group(1)}/{match.group(2)}"] + (match.group(3) or "")
        return out
    if isinstance(value, list):
        return [_rename_references(v, renames) for v in value]
    return value


def namespaced(request: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """A copy of the request with ``prefix`` before the patient id and every prefetched resource id."""
    body: dict[str, Any] = json.loads(json.dumps(request))
    resources = _prefetched_resources(body)
    if not prefix:
        return body
    patient_id = str(body["context"]["patientId"]).split("/")[-1]
    renames = {f"Patient/{patient_id}": f"Patient/{prefix}{patient_id}"}
    for resource in resources:
        renames[f"{resource['resourceType']}/{resource['id']}"] = (
            f"{resource['resourceType']}/{prefix}{resource['id']}"
        )
        resource["id"] = f"{prefix}{resource['id']}"
    body = _rename_references(body, renames)
    body["context"]["patientId"] = f"{prefix}{patient_id}"
    return body


def scenario_prefix(name: str, id_prefix: str = "") -> str:
    """``<id_prefix><scenario name>-``, the name shortened with a hash when ids would run long."""
    tag = re.sub(r"[^A-Za-z0-9\-.]", "-", name)
    if len(tag) > 28:
        tag = f"{tag[:19]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return f"{id_prefix}{tag}-"


def transaction_bundle(request: Mapping[str, Any]) -> dict[str, Any]:
    """One transaction: PUT the Patient, then every prefetched resource under its own id."""
    patient_id = str(request["context"]["patientId"]).split("/")[-1]
    resources = _prefetched_resources(json.loads(json.dumps(request)))
    if not any(r["resourceType"] == "Patient" and r["id"] == patient_id for r in resources):
        resources.insert(0, {"resourceType": "Patient", "id": patient_id, "active": True})
    entries, seen = [], set()
    for resource in resources:
        if len(str(resource["id"])) > MAX_ID_LENGTH:
            raise click.ClickException(f"id {resource['id']!r} is longer than {MAX_ID_LENGTH} characters")
        url = f"{resource['resourceType']}/{resource['id']}"
        if url not in seen:
            seen.add(url)
            entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def service_call(request: Mapping[str, Any], fhir_base: str, token: str) -> dict[str, Any]:
    """The hook request without prefetch, pointing the service at the FHIR server instead."""
    body = {k: v for k, v in request.items() if k not in ("prefetch", "fhirServer", "fhirAuthorization")}
    body["fhirServer"] = fhir_base.rstrip("/")
    body["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "naltrexone-cds-seed",
    }
    return body


def service_id_for(hook: str) -> str:
    for service in SERVICES.values():
        if service.hook == hook:
            return service.id
    raise click.ClickException(f"no service answers hook {hook!r}")


def curl_line(service_url: str, service_id: str, body: Mapping[str, Any], token_from_env: bool) -> str:
    """A shell line calling the service; with ``token_from_env`` the token is read from $FHIR_TOKEN."""
    url = f"{service_url.rstrip('/')}/cds-services/{service_id}"
    data = shlex.quote(json.dumps(body, separators=(",", ":")))
    if token_from_env:
        marker = json.dumps(body["fhirAuthorization"]["access_token"])
        data = data.replace(marker, '"\'"$FHIR_TOKEN"\'"')
    return f"curl -sS -X POST {shlex.quote(url)} -H 'Content-Type: application/json' --data {data}"


def post_transaction(fhir_base: str, bundle: dict[str, Any], token: str | None) -> None:
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.post(fhir_base.rstrip("/"), json=bundle, headers=headers, timeout=SEED_TIMEOUT_S)
    except requests.RequestException as exc:
        raise click.ClickException(f"could not reach {fhir_base}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise click.ClickException(f"FHIR server answered HTTP {response.status_code}: {response.text[:500]}")
    failed = [
        e.get("response", {}).get("status", "?")
        for e in response.json().get("entry", [])
        if not str(e.get("response", {}).get("status", "")).startswith("2")
    ]
    if failed:
        raise click.ClickException(f"FHIR server rejected {len(failed)} entries: {failed[:5]}")


@click.command("seed-fhir")
@click.argument("fhir_base_url")
@click.option(
    "--scenario",
    "names",
    multiple=True,
    default=("all",),
    show_default=True,
    help="Scenario name (repeatable).",
)
@click.option(
    "--scenarios-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_SCENARIOS_DIR,
    envvar="NALTREXONE_CDS_SCENARIOS_DIR",
    help="Where the scenario files are (default: tests/scenarios of this source checkout).",
)
@click.option(
    "--token", envvar="FHIR_TOKEN", default=None, help="Bearer token for the FHIR server [$FHIR_TOKEN]."
)
@click.option("--id-prefix", default="", help="Put before every id (after the scenario name), e.g. 'jdoe-'.")
@click.option(
    "--service-url", default=DEFAULT_SERVICE_URL, show_default=True, help="Service URL for the curl lines."
)
def seed_fhir(
    fhir_base_url: str,
    names: tuple[str, ...],
    scenarios_dir: Path,
    token: str | None,
    id_prefix: str,
    service_url: str,
) -> None:
    """Load demo patients into the FHIR R4 server FHIR_BASE_URL and print a curl line for each."""
    if not re.fullmatch(r"[A-Za-z0-9\-.]*", id_prefix):
        raise click.ClickException("--id-prefix may hold only letters, digits, '-' and '.'")
    for name, scenario in load_scenarios(scenarios_dir, names):
        request = namespaced(scenario["request"], scenario_prefix(name, id_prefix))
        bundle = transaction_bundle(request)
        post_transaction(fhir_base_url, bundle, token)
        call = service_call(request, fhir_base_url, token or "demo-token")
        click.echo(f"# {name}: patient {request['context']['patientId']} ({len(bundle['entry'])} resources)")
        if scenario.get("now"):
            click.echo(
                f"#   rules assume today = {scenario['now']} (start the service with NALTREXONE_CDS_NOW)"
            )
        click.echo(curl_line(service_url, service_id_for(str(request.get("hook"))), call, bool(token)))
