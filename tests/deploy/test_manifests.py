"""deploy/: the Kubernetes manifests and the Compose file, validated offline against their schemas.

Kubernetes: ``kubernetes-validate`` (its schemas ship inside the wheel; strict mode rejects unknown
fields).  Compose: the Compose Specification's JSON Schema, vendored in tests/deploy/schemas.  Then
what the schemas cannot say: probes, non-root, read-only root, migrations as a one-shot job, secrets
only by reference.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.paths import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
# The oldest release we promise (the preStop sleep handler is on by default from 1.30) and the newest
# the validator knows.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
COMPOSE_SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"
KINDS = {
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Job",
    "PodDisruptionBudget",
    "Service",
}


def manifests() -> dict[str, dict[str, Any]]:
    """Every resource under deploy/k8s by kind (one of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in found, f"two {document['kind']}s"
            found[document["kind"]] = document
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_is_valid_kubernetes(version: str) -> None:
    resources = manifests()
    assert set(resources) == KINDS
    for resource in resources.values():
        kubernetes_validate.validate(resource, version, strict=True)  # raises ValidationError


def test_the_validator_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(manifests()["Deployment"])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_deployment_probes_limits_and_hardening() -> None:
    resources = manifests()
    pod = resources["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}  # metrics files, nothing else
    env = {e["name"]: e for e in container["env"]}
    config = resources["ConfigMap"]["data"]
    assert config["NALTREXONE_CDS_AUTO_MIGRATE"] == "false"
    for name in ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_REDIS_URL"):
        assert "secretKeyRef" in env[name]["valueFrom"]  # by reference; no Secret is committed
    assert container["envFrom"] == [{"configMapRef": {"name": resources["ConfigMap"]["metadata"]["name"]}}]
    rolling = resources["Deployment"]["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0


def test_service_hpa_pdb_and_job_point_at_the_deployment() -> None:
    resources = manifests()
    deployment = resources["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert resources["Service"]["spec"]["selector"].items() <= labels.items()
    assert resources["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert resources["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    (migrate,) = resources["Job"]["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["naltrexone-cds", "db", "upgrade"]
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True


def test_compose_file_is_valid_against_the_compose_schema() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)  # the schema says draft-07
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    broken = compose()
    broken["services"]["nginx"]["restart_policy"] = "always"  # not a Compose key
    assert list(validator.iter_errors(broken))


def test_compose_topology_migrations_and_secrets() -> None:
    services = compose()["services"]
    assert set(services) == {"nginx", "service-1", "service-2", "postgres", "redis", "migrate"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("service-1", "service-2"):
        service = services[name]
        assert service["environment"]["NALTREXONE_CDS_AUTO_MIGRATE"] == "false"
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["env_file"] == ["cds.env"]
        assert service["read_only"] is True and service["user"] != "root"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
    for env_file in ("cds.env", "postgres.env"):
        assert (DEPLOY / f"{env_file}.example").is_file()
    text = (DEPLOY / "compose.yaml").read_text().lower()
    assert "password" not in text and "change-me" not in text  # secrets only in the env files
    mounted = {volume.split(":")[0] for volume in services["nginx"]["volumes"]}
    assert {"./nginx/nginx.conf", "./nginx/cds-proxy.conf"} <= mounted
    assert all((DEPLOY / path).is_file() for path in mounted)
