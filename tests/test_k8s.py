"""The Kubernetes manifests: they parse, every kustomization's files exist, and the
invariants the platform relies on hold (probes, one scheduler, hardened pods)."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

K8S = Path(__file__).resolve().parents[1] / "k8s"
IMAGE = "ghcr.io/stakehouse/stakehouse"
OVERLAYS = ("dev", "production")
WORKLOADS = {"api", "worker", "scheduler"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def base_resources() -> list[dict[str, Any]]:
    kustomization = documents(K8S / "base" / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in documents(K8S / "base" / name)]


def find(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def test_every_manifest_parses_into_kubernetes_objects() -> None:
    paths = sorted(K8S.rglob("*.yaml")) + sorted(K8S.rglob("*.yml"))

    assert len(paths) >= 10
    for path in paths:
        for doc in documents(path):
            assert isinstance(doc, dict), path
            assert {"apiVersion", "kind"} <= doc.keys(), path


@pytest.mark.parametrize("folder", ["base", *(f"overlays/{name}" for name in OVERLAYS)])
def test_every_file_a_kustomization_names_exists(folder: str) -> None:
    kustomization = documents(K8S / folder / "kustomization.yaml")[0]

    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"]
    for name in kustomization["resources"]:
        assert (K8S / folder / name).exists(), f"{folder}: {name} missing"
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            assert (K8S / folder / patch["path"]).exists(), f"{folder}: {patch['path']} missing"


def test_the_base_is_namespace_agnostic() -> None:
    assert "namespace" not in documents(K8S / "base" / "kustomization.yaml")[0]
    for resource in base_resources():
        assert "namespace" not in resource["metadata"], resource["metadata"]["name"]


def test_the_api_is_probed_on_livez_and_readyz() -> None:
    api = find(base_resources(), "Deployment", "api")
    container = pod_spec(api)["containers"][0]

    assert container["command"] == ["stakehouse", "serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"]


def test_one_scheduler_replaced_never_rolled() -> None:
    scheduler = find(base_resources(), "Deployment", "scheduler")

    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    for overlay in OVERLAYS:
        kustomization = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]
        counts = {r["name"]: r["count"] for r in kustomization.get("replicas", [])}
        assert counts.get("scheduler", 1) == 1, overlay


def test_workloads_run_the_one_image_hardened_with_secrets_from_files() -> None:
    resources = base_resources()
    workloads = [find(resources, "Deployment", name) for name in WORKLOADS]
    workloads.append(find(resources, "Job", "migrate"))

    for workload in workloads:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            assert container["image"] == IMAGE
            assert container["command"][0] == "stakehouse"
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            env = {item["name"]: item.get("value") for item in container["env"]}
            assert env["STAKEHOUSE_DATABASE_URL_FILE"].startswith("/run/secrets/")
            assert env["STAKEHOUSE_SECRET_KEY_FILE"].startswith("/run/secrets/")
            # Production refuses to start with the public dev webhook secret.
            assert env["STAKEHOUSE_PSP_WEBHOOK_SECRET_FILE"].startswith("/run/secrets/")
            assert env["STAKEHOUSE_MAIL_WEBHOOK_SECRET_FILE"].startswith("/run/secrets/")
            assert not any(
                name.endswith(("DATABASE_URL", "SECRET_KEY", "BROKER_URL")) for name in env
            ), "secrets are mounted as files, never put in the environment"


def _mounted_secrets(resource: dict[str, Any]) -> set[str]:
    return {
        volume["secret"]["secretName"]
        for volume in pod_spec(resource).get("volumes", [])
        if "secret" in volume
    }


def test_only_the_migrate_job_holds_the_owner_role() -> None:
    resources = base_resources()
    job = find(resources, "Job", "migrate")
    (container,) = pod_spec(job)["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}

    assert env["STAKEHOUSE_MIGRATION_DATABASE_URL_FILE"] == (
        "/run/secrets/stakehouse-migration/migration-database-url"
    )
    assert _mounted_secrets(job) == {"stakehouse-secrets", "stakehouse-migration-secrets"}
    for name in WORKLOADS:
        workload = find(resources, "Deployment", name)
        assert _mounted_secrets(workload) == {"stakehouse-secrets"}, name
        for container in pod_spec(workload)["containers"]:
            assert not any("MIGRATION" in item["name"] for item in container["env"]), name


def test_the_autoscalers_target_their_deployments() -> None:
    resources = base_resources()

    assert find(resources, "HorizontalPodAutoscaler", "api")["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    assert find(resources, "ScaledObject", "worker")["spec"]["scaleTargetRef"]["name"] == "worker"
    assert "NetworkPolicy" in {resource["kind"] for resource in resources}
    assert "PodDisruptionBudget" in {resource["kind"] for resource in resources}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_pins_the_image_tag(overlay: str) -> None:
    kustomization = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]

    assert [(image["name"], bool(image.get("newTag"))) for image in kustomization["images"]] == [
        (IMAGE, True)
    ]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_builds_with_kustomize(overlay: str) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert built.returncode == 0, built.stderr
    resources = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert find(resources, "Deployment", "scheduler")["spec"]["replicas"] == 1
    config = find(resources, "ConfigMap", "stakehouse-config")
    assert config["data"]["STAKEHOUSE_ENV"] == {"dev": "dev", "production": "production"}[overlay]
    for resource in resources:
        if resource["kind"] in ("Deployment", "Job"):
            for container in pod_spec(resource)["containers"]:
                assert container["image"].startswith(IMAGE + ":")


def test_every_actor_queue_scales_the_workers() -> None:
    from workers.actors import broker

    scaled = find(base_resources(), "ScaledObject", "worker")
    lists = {trigger["metadata"]["listName"] for trigger in scaled["spec"]["triggers"]}

    assert {f"stakehouse:{queue}" for queue in broker.get_declared_queues()} <= lists


def test_the_api_believes_forwarded_addresses_from_the_cluster_only() -> None:
    """Behind the ingress, the client address that throttling and sessions see comes from
    X-Forwarded-For, believed from private (pod) networks only, never from everyone."""
    resources = base_resources()
    config = find(resources, "ConfigMap", "stakehouse-config")["data"]
    api = pod_spec(find(resources, "Deployment", "api"))["containers"][0]

    networks = [
        ipaddress.ip_network(value.strip())
        for value in config["STAKEHOUSE_FORWARDED_ALLOW_IPS"].split(",")
    ]
    assert {"configMapRef": {"name": "stakehouse-config"}} in api["envFrom"]
    assert networks and all(network.is_private for network in networks)
