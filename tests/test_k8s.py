"""The Kubernetes manifests: they parse, every kustomization's files exist, every rendered
resource is valid against Kubernetes' schemas (and ours for KEDA's), and the invariants the
platform relies on hold (probes, one scheduler, hardened pods, a worker Deployment per queue
group, every brand routed with TLS). `.ci/run` also runs checkov on each overlay."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

K8S = Path(__file__).resolve().parents[1] / "k8s"
THEMES = K8S.parent / "themes"
IMAGE = "ghcr.io/stakehouse/stakehouse"
OVERLAYS = ("dev", "production")
KUBERNETES_VERSION = "1.32"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (kustomize) is not installed")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@functools.cache
def rendered(folder: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize k8s/<folder>`: the resources exactly as a cluster would get them."""
    assert KUBECTL is not None
    built = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return tuple(doc for doc in yaml.safe_load_all(built.stdout) if doc)


def base_resources() -> tuple[dict[str, Any], ...]:
    return rendered("base")


def find(resources: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def of_kind(resources: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def worker_groups() -> dict[str, tuple[str, ...]]:
    from workers.groups import QUEUE_GROUPS

    return dict(QUEUE_GROUPS)


def test_every_manifest_parses_into_kubernetes_objects() -> None:
    paths = sorted(K8S.rglob("*.yaml")) + sorted(K8S.rglob("*.yml"))

    assert len(paths) >= 10
    for path in paths:
        for doc in documents(path):
            assert isinstance(doc, dict), path
            assert {"apiVersion", "kind"} <= doc.keys(), path


@pytest.mark.parametrize(
    "folder",
    sorted(str(path.parent.relative_to(K8S)) for path in K8S.rglob("kustomization.yaml")),
)
def test_every_file_a_kustomization_names_exists(folder: str) -> None:
    kustomization = documents(K8S / folder / "kustomization.yaml")[0]

    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"]
    for name in kustomization["resources"]:
        assert (K8S / folder / name).exists(), f"{folder}: {name} missing"
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            assert (K8S / folder / patch["path"]).exists(), f"{folder}: {patch['path']} missing"


@needs_kubectl
@pytest.mark.parametrize(
    "folder", ["base", "monitoring", *(f"overlays/{name}" for name in OVERLAYS)]
)
def test_every_rendered_resource_is_valid_against_its_schema(folder: str) -> None:
    """Built-in kinds against Kubernetes' own OpenAPI schemas (strict: an unknown or
    misspelt field fails); KEDA's custom resources against the schemas in k8s/schemas."""
    import jsonschema
    import kubernetes_validate

    for resource in rendered(folder):
        name = f"{folder}: {resource['kind']}/{resource['metadata']['name']}"
        group, _, version = resource["apiVersion"].rpartition("/")
        schema_path = K8S / "schemas" / f"{group}-{version}-{resource['kind']}.json"
        if schema_path.exists():  # a custom resource (KEDA, the Prometheus Operator)
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
            jsonschema.validate(resource, schema)
        else:
            try:
                kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                raise AssertionError(f"{name}: {error.message}") from None


@needs_kubectl
def test_the_base_is_namespace_agnostic() -> None:
    assert "namespace" not in documents(K8S / "base" / "kustomization.yaml")[0]
    for resource in base_resources():
        assert "namespace" not in resource["metadata"], resource["metadata"]["name"]


@needs_kubectl
def test_the_api_is_probed_on_livez_and_readyz() -> None:
    api = find(base_resources(), "Deployment", "api")
    container = pod_spec(api)["containers"][0]

    assert container["command"] == ["stakehouse", "serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"]


@needs_kubectl
def test_one_scheduler_replaced_never_rolled_and_restarted_when_it_hangs() -> None:
    scheduler = find(base_resources(), "Deployment", "scheduler")
    (container,) = pod_spec(scheduler)["containers"]

    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    for overlay in OVERLAYS:
        kustomization = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]
        counts = {r["name"]: r["count"] for r in kustomization.get("replicas", [])}
        assert counts.get("scheduler", 1) == 1, overlay


@needs_kubectl
def test_every_queue_belongs_to_one_group_and_each_group_runs_its_own_workers() -> None:
    from workers.actors import broker

    groups = worker_groups()
    assigned = [queue for queues in groups.values() for queue in queues]
    assert sorted(assigned) == sorted(set(assigned)), "a queue is in two groups"
    assert broker.get_declared_queues() == set(assigned), "every actor's queue has a group"

    resources = base_resources()
    for group, queues in groups.items():
        name = f"worker-{group}"
        deployment = find(resources, "Deployment", name)
        (container,) = pod_spec(deployment)["containers"]
        command = container["command"]
        assert command[:4] == ["stakehouse", "worker", "--group", group], name
        assert command[command.index("--processes") + 1] == "1", "one process per pod"
        # Its metrics port is also its liveness probe.
        port = command[command.index("--metrics-port") + 1]
        assert {"name": "metrics", "containerPort": int(port)} in container["ports"]
        assert container["livenessProbe"]["httpGet"]["port"] == "metrics"

        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert selector["stakehouse.io/queue-group"] == group, "groups select their own pods"

        scaled = find(resources, "ScaledObject", name)
        assert scaled["spec"]["scaleTargetRef"]["name"] == name
        lists = {trigger["metadata"]["listName"] for trigger in scaled["spec"]["triggers"]}
        assert lists == {f"stakehouse:{queue}" for queue in queues}, name

        budget = find(resources, "PodDisruptionBudget", name)
        assert budget["spec"]["selector"]["matchLabels"] == selector
    assert {d["metadata"]["name"] for d in of_kind(resources, "Deployment")} == {
        "api",
        "scheduler",
        "relay",
        *(f"worker-{group}" for group in groups),
    }


@needs_kubectl
def test_workloads_run_the_one_image_hardened_with_secrets_from_files() -> None:
    resources = base_resources()
    workloads = of_kind(resources, "Deployment") + of_kind(resources, "Job")

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
            # Production refuses to start without the unsubscribe links' own key.
            assert env["STAKEHOUSE_UNSUBSCRIBE_SECRET_FILE"].startswith("/run/secrets/")
            assert not any(
                name.endswith(("DATABASE_URL", "SECRET_KEY", "BROKER_URL")) for name in env
            ), "secrets are mounted as files, never put in the environment"


def _mounted_secrets(resource: dict[str, Any]) -> set[str]:
    return {
        volume["secret"]["secretName"]
        for volume in pod_spec(resource).get("volumes", [])
        if "secret" in volume
    }


@needs_kubectl
def test_only_the_migrate_job_holds_the_owner_role() -> None:
    resources = base_resources()
    job = find(resources, "Job", "migrate")
    (container,) = pod_spec(job)["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}

    assert env["STAKEHOUSE_MIGRATION_DATABASE_URL_FILE"] == (
        "/run/secrets/stakehouse-migration/migration-database-url"
    )
    assert _mounted_secrets(job) == {"stakehouse-secrets", "stakehouse-migration-secrets"}
    for workload in of_kind(resources, "Deployment"):
        assert _mounted_secrets(workload) == {"stakehouse-secrets"}, workload["metadata"]["name"]
        for container in pod_spec(workload)["containers"]:
            assert not any("MIGRATION" in item["name"] for item in container["env"])


@needs_kubectl
def test_the_autoscalers_target_their_deployments() -> None:
    resources = base_resources()
    deployments = {d["metadata"]["name"] for d in of_kind(resources, "Deployment")}

    assert find(resources, "HorizontalPodAutoscaler", "api")["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    for scaled in of_kind(resources, "ScaledObject"):
        assert scaled["spec"]["scaleTargetRef"]["name"] in deployments
        for trigger in scaled["spec"]["triggers"]:
            find(resources, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    budgets = of_kind(resources, "PodDisruptionBudget")
    for deployment in of_kind(resources, "Deployment"):
        if deployment["metadata"]["name"] != "scheduler":  # one replica, Recreate
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert any(
                b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets
            ), deployment["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_pins_the_image_tag(overlay: str) -> None:
    kustomization = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]

    assert [(image["name"], bool(image.get("newTag"))) for image in kustomization["images"]] == [
        (IMAGE, True)
    ]


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_builds_with_kustomize(overlay: str) -> None:
    resources = rendered(f"overlays/{overlay}")

    assert find(resources, "Deployment", "scheduler")["spec"]["replicas"] == 1
    config = find(resources, "ConfigMap", "stakehouse-config")
    assert config["data"]["STAKEHOUSE_ENV"] == {"dev": "dev", "production": "production"}[overlay]
    for resource in resources:
        assert resource["metadata"].get("namespace", "") in (
            "",
            f"stakehouse{'-dev' if overlay == 'dev' else ''}",
        )
        if resource["kind"] in ("Deployment", "Job"):
            for container in pod_spec(resource)["containers"]:
                assert container["image"].startswith(IMAGE + ":")
    kustomization = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]
    counted = {item["name"] for item in kustomization.get("replicas", [])}
    deployments = {d["metadata"]["name"] for d in of_kind(resources, "Deployment")}
    assert counted <= deployments, "a replica count names a Deployment that does not exist"


def _brand_domains() -> dict[str, list[str]]:
    domains = {}
    for theme in sorted(THEMES.glob("*/theme.toml")):
        hosts = tomllib.loads(theme.read_text(encoding="utf-8")).get("domains", [])
        domains[theme.parent.name] = [h for h in hosts if not h.endswith(".localhost")]
    return domains


@needs_kubectl
def test_every_brand_host_is_routed_with_tls_and_the_back_office_apart() -> None:
    resources = base_resources()
    ingresses = of_kind(resources, "Ingress")
    routes: dict[str, dict[str, Any]] = {}
    for ingress in ingresses:
        tls_hosts = {host for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in tls_hosts, f"{rule['host']} is served without TLS"
            (path,) = rule["http"]["paths"]
            assert path["backend"]["service"] == {"name": "api", "port": {"name": "http"}}
            routes[rule["host"]] = ingress

    for brand, hosts in _brand_domains().items():
        assert hosts, f"{brand}: no production domain in theme.toml"
        for host in hosts:
            assert host in routes, f"{brand}: {host} is not routed"
            assert routes[host]["metadata"]["name"] == f"brand-{brand}"
    admin = [i for i in ingresses if i["metadata"]["labels"]["stakehouse.io/route"] == "admin"]
    assert len(admin) == 1
    admin_hosts = {rule["host"] for rule in admin[0]["spec"]["rules"]}
    brand_hosts = {host for hosts in _brand_domains().values() for host in hosts}
    assert admin_hosts and not admin_hosts & brand_hosts
    assert "whitelist-source-range" in " ".join(admin[0]["metadata"]["annotations"])


@needs_kubectl
def test_the_api_admits_traffic_only_from_the_ingress_controller_and_prometheus() -> None:
    policy = find(base_resources(), "NetworkPolicy", "api-ingress")

    for rule in policy["spec"]["ingress"]:
        sources = rule.get("from")
        assert sources, "a rule without `from` admits every pod and address"
        namespaces = {
            s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for s in sources
        }
        assert namespaces <= {"ingress-nginx", "monitoring"}


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


def _exported_metric_names() -> set[str]:
    """Every series name the platform's processes export (API, workers, scheduler)."""
    from prometheus_client import REGISTRY

    import web.app  # noqa: F401
    import workers.actors
    import workers.scheduler  # noqa: F401

    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("stakehouse_")
        for suffix in suffixes.get(family.type, ("",))
    }


def _monitoring_expressions() -> list[tuple[str, str]]:
    rules = documents(K8S / "monitoring" / "prometheus-rules.yaml")[0]
    found = [
        (rule["alert"], rule["expr"])
        for group in rules["spec"]["groups"]
        for rule in group["rules"]
    ]
    dashboard = json.loads((K8S / "monitoring" / "stakehouse-dashboard.json").read_text("utf-8"))
    found += [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
    return found


def test_alerts_and_dashboard_query_only_metrics_the_platform_exports() -> None:
    exported = _exported_metric_names()
    expressions = _monitoring_expressions()

    assert len(expressions) >= 15
    for name, expr in expressions:
        used = set(re.findall(r"\bstakehouse_[a-z_]+", expr))
        assert used, f"{name}: queries no Stakehouse metric"
        assert used <= exported, f"{name}: {sorted(used - exported)} is not exported"
        depth = 0
        for char in expr:
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(char, 0)
            assert depth >= 0, f"{name}: unbalanced brackets"
        assert depth == 0, f"{name}: unbalanced brackets"


def test_the_dashboard_is_a_grafana_dashboard_with_unique_panels() -> None:
    dashboard = json.loads((K8S / "monitoring" / "stakehouse-dashboard.json").read_text("utf-8"))

    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"] and panel["gridPos"]["w"] <= 24


@needs_kubectl
def test_the_relay_runs_apart_from_the_api_with_a_standby() -> None:
    resources = base_resources()
    relay = find(resources, "Deployment", "relay")
    (container,) = pod_spec(relay)["containers"]
    config = find(resources, "ConfigMap", "stakehouse-config")["data"]

    assert container["command"][:2] == ["stakehouse", "relay"]
    assert relay["spec"]["replicas"] == 2, "one relays under the lease, one stands by"
    assert container["livenessProbe"]["httpGet"]["port"] == "metrics"
    assert config["STAKEHOUSE_RELAY_IN_API"] == "false"
