# SPDX-License-Identifier: GPL-3.0-or-later
"""The mesh_policy role, render-only: the Petstore graph of both Cosmonic lines and a graph that
uses every feature, each policy resource validated against the real Linkerd CRDs of both lines
(edge-25.10.7, the 2.19 line, and edge-26.8.3) and against the collection's own schemas."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas_policy
from conftest import ROOT, run_playbook

pytestmark = pytest.mark.slow

# Beside the checkout; MCPMESH_UPSTREAM_DIR points elsewhere (a git worktree sits one level deeper).
UPSTREAM = Path(os.environ.get("MCPMESH_UPSTREAM_DIR") or ROOT.parent / "shared" / "upstream")
LINES = ("linkerd-edge-25.10.7", "linkerd-edge-26.8.3")
CRD_FILES = {
    "Server": "servers.policy.linkerd.io.yaml",
    "HTTPRoute": "httproutes.policy.linkerd.io.yaml",
    "AuthorizationPolicy": "authorizationpolicies.policy.linkerd.io.yaml",
    "MeshTLSAuthentication": "meshtlsauthentications.policy.linkerd.io.yaml",
    "NetworkAuthentication": "networkauthentications.policy.linkerd.io.yaml",
    "HTTPLocalRateLimitPolicy": "httplocalratelimitpolicies.policy.linkerd.io.yaml",
}

FULL_GRAPH = [
    {"name": "api", "namespace": "shop", "selector": {"app": "api"}, "port": "http", "protocol": "HTTP/1",
     "allow": [{"namespace": "edge", "service_account": "gateway"}, {"namespace": "jobs"},
               {"networks": ["10.0.0.0/8"]}],
     "paths": ["/v1/mcp", "/api"], "probe_paths": ["/healthz"],
     "rate_limit": {"total": 50, "identity": 10, "overrides": [
         {"requests_per_second": 40, "service_accounts": [{"name": "gateway", "namespace": "edge"}]}]},
     "backend_service": "api", "backend_port": 80,
     "resilience": {"timeout": "30s", "retry_on": "502-504,429", "retry_limit": 1, "retry_timeout": "10s"},
     "verify": {"path": "/api/orders"}},
    {"name": "queue", "namespace": "shop", "selector": {"app": "nats"}, "port": 4222, "protocol": "opaque",
     "allow": [{"namespace": "shop", "service_account": "api"}]},
    {"name": "grpc", "namespace": "jobs", "selector": {"app": "worker"}, "port": 9090, "protocol": "gRPC",
     "allow": []},
]


def crd_schema(line: str, kind: str, api_version: str) -> dict:
    path = UPSTREAM / line / "crds" / CRD_FILES[kind]
    crd = yaml.safe_load(path.read_text())
    version = api_version.split("/")[1]
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            assert entry["served"], f"{kind} {api_version} is not served by {line}"
            return entry["schema"]["openAPIV3Schema"]
    raise AssertionError(f"{line} has no {kind} {api_version}")


def unknown_fields(schema: dict, value, path: str = "") -> list[str]:
    """Fields the structural schema does not declare (the API server would prune them silently)."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    out = []
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            return []
        for key, item in value.items():
            if key not in props:
                out.append(f"{path}.{key}")
            else:
                out.extend(unknown_fields(props[key], item, f"{path}.{key}"))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            out.extend(unknown_fields(schema["items"], item, f"{path}[{index}]"))
    return out


def check_against_upstream(objects: list[dict]) -> int:
    if not (UPSTREAM / LINES[0]).is_dir() or not (UPSTREAM / LINES[1]).is_dir():
        pytest.skip(f"the upstream Linkerd CRDs are not in {UPSTREAM}; set MCPMESH_UPSTREAM_DIR to the folder holding "
                    f"{LINES[0]}/crds and {LINES[1]}/crds")
    checked = 0
    for line in LINES:
        for obj in objects:
            schema = crd_schema(line, obj["kind"], obj["apiVersion"])
            errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft7Validator(schema).iter_errors(obj)]
            assert not errors, (line, obj["kind"], obj["metadata"]["name"], errors)
            extra = unknown_fields(schema["properties"]["spec"], obj["spec"], "spec")
            assert not extra, (line, obj["kind"], obj["metadata"]["name"], extra)
            checked += 1
    return checked


def check_against_ours(objects: list[dict]) -> None:
    for obj in objects:
        schema = _schemas_policy.CUSTOM_RESOURCES[(obj["apiVersion"], obj["kind"])]
        errors = [e.message for e in Draft7Validator(schema).iter_errors(obj)]
        assert not errors, (obj["kind"], obj["metadata"]["name"], errors)


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def run_tasks(tmp_path, tasks: list[dict], *args, **extra_vars):
    """Run these include_role tasks render-only, the artifacts under tmp_path/art."""
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    return run_playbook(playbook, *args, extra_vars={"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path / "art"),
                                                     **extra_vars})


def run_petstore(tmp_path, line: str, *args, extra: dict | None = None):
    task = {"name": "Render the Petstore policy.",
            "ansible.builtin.include_role": {"name": "mcpmesh.platform.petstore", "tasks_from": "policy"}}
    return run_tasks(tmp_path, [task], *args, petstore_policy_cosmonic_line=line, **(extra or {}))


def run_role(tmp_path, *args, **role_vars):
    tasks = [{"name": "Render the policy of the graph.",
              "ansible.builtin.include_role": {"name": "mcpmesh.platform.mesh_policy"}},
             {"name": "Report what the verification would do.",
              "ansible.builtin.include_role": {"name": "mcpmesh.platform.mesh_policy", "tasks_from": "verify"}}]
    return run_tasks(tmp_path, tasks, *args, **role_vars)


@pytest.mark.parametrize("line, envoy_networks", [
    ("0.3", ["0.0.0.0/0", "::/0"]),
    ("0.4", ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"]),
])
def test_petstore_graph_renders_valid_policy_for_both_cosmonic_lines(tmp_path, line, envoy_networks):
    res = run_petstore(tmp_path, line)
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    folder = tmp_path / "art" / "petstore" / "policy"
    assert sorted(p.name for p in folder.iterdir()) == ["faults.yml", "namespaces.yml", "policy.yml", "services.yml"]
    policy = docs(folder / "policy.yml")
    assert check_against_upstream(policy) == 2 * len(policy)
    check_against_ours(policy)
    names = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in policy}
    assert ("Server", "petstore", "petstore") in names
    assert ("Server", "cosmonic-system", "hostgroup-http") in names
    assert ("HTTPLocalRateLimitPolicy", "cosmonic-system", "hostgroup-http") in names
    assert ("AuthorizationPolicy", "petstore", "prometheus-scrape") in names
    nets = {o["metadata"]["name"]: o for o in policy if o["kind"] == "NetworkAuthentication"}
    assert [n["cidr"] for n in nets["envoy-http-networks"]["spec"]["networks"]] == envoy_networks
    backend = next(o for o in policy if o["kind"] == "MeshTLSAuthentication" and o["metadata"]["name"] == "petstore-identities")
    assert backend["spec"]["identityRefs"] == [{"kind": "Namespace", "name": "cosmonic-system"}]
    namespaces = docs(folder / "namespaces.yml")
    assert {n["metadata"]["name"]: n["metadata"]["annotations"] for n in namespaces} == {
        "cosmonic-system": {"config.linkerd.io/default-inbound-policy": "deny"},
        "petstore": {"config.linkerd.io/default-inbound-policy": "deny"}}
    (service,) = docs(folder / "services.yml")
    assert service["metadata"]["name"] == "petstore"
    assert service["metadata"]["annotations"]["timeout.linkerd.io/request"] == "10s"
    assert service["metadata"]["annotations"]["balancer.linkerd.io/failure-accrual"] == "consecutive"
    assert "Render-only: would probe hostgroup-http, petstore" in " ".join(res.stdout.split())
    again = run_petstore(tmp_path, line)
    assert again.rc == 0 and again.localhost["changed"] == 0, again


def test_known_service_accounts_narrow_the_petstore_graph(tmp_path):
    res = run_petstore(tmp_path, "0.4", extra={"petstore_policy_service_accounts": {"hostgroup": "hostgroup-default"}})
    assert res.rc == 0, res
    policy = docs(tmp_path / "art" / "petstore" / "policy" / "policy.yml")
    backend = next(o for o in policy if o["kind"] == "MeshTLSAuthentication" and o["metadata"]["name"] == "petstore-identities")
    assert backend["spec"]["identityRefs"] == [
        {"kind": "ServiceAccount", "name": "hostgroup-default", "namespace": "cosmonic-system"}]


@pytest.mark.parametrize("distribution", ["enterprise", "edge"])
def test_every_feature_renders_resources_both_lines_accept(tmp_path, distribution):
    res = run_role(tmp_path, mesh_policy_services=FULL_GRAPH, mesh_policy_distribution=distribution,
                   mesh_policy_mode="audit", mesh_policy_namespaces=["edge"], mesh_policy_verify_url="http://x/mcp",
                   mesh_policy_verify_tool="echo")
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    folder = tmp_path / "art" / "mesh_policy"
    policy = docs(folder / "policy.yml")
    check_against_upstream(policy)
    check_against_ours(policy)
    kinds = [o["kind"] for o in policy]
    assert kinds.count("HTTPRoute") == 2 and kinds.count("HTTPLocalRateLimitPolicy") == 1
    assert {o["spec"]["accessPolicy"] for o in policy if o["kind"] == "Server"} == {"audit"}
    assert {n["metadata"]["name"] for n in docs(folder / "namespaces.yml")} == {"edge", "shop", "jobs"}
    queue = next(o for o in policy if o["kind"] == "Server" and o["metadata"]["name"] == "queue")
    assert queue["spec"]["proxyProtocol"] == "opaque" and queue["spec"]["port"] == 4222
    assert "load http://x/mcp under and over the rate limit" in " ".join(res.stdout.split())


def test_check_mode_writes_nothing(tmp_path):
    res = run_role(tmp_path, "--check", mesh_policy_services=FULL_GRAPH)
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    assert not (tmp_path / "art" / "mesh_policy").exists()


@pytest.mark.parametrize("role_vars, message", [
    ({"mesh_policy_services": [dict(FULL_GRAPH[0], rate_limit={"total": 5, "identity": 10})]},
     "identity (10) must not exceed total (5)"),
    ({"mesh_policy_services": FULL_GRAPH, "mesh_policy_resilience": {"failure_accrual": "unified"}},
     "not served by the enterprise line"),
    ({"mesh_policy_services": [dict(FULL_GRAPH[1], port="NATS")]}, "must be a container port"),
    ({"mesh_policy_services": FULL_GRAPH, "mesh_policy_mode": "strict"}, "mesh_policy_mode"),
    ({"mesh_policy_services": [dict(FULL_GRAPH[1], colour="blue")]}, "colour"),
])
def test_a_wrong_graph_stops_before_anything_is_written(tmp_path, role_vars, message):
    res = run_role(tmp_path, **role_vars)
    assert res.rc != 0, res
    assert message in " ".join(res.stdout.split()), res
    assert not (tmp_path / "art" / "mesh_policy").exists()


def test_absent_reports_what_it_would_remove(tmp_path):
    res = run_role(tmp_path, mesh_policy_services=FULL_GRAPH, mesh_policy_state="absent")
    assert res.rc == 0, res
    out = " ".join(res.stdout.split())
    assert "Render-only: would delete 20 policy objects" in out, out
    assert "remove the resilience annotations from api and config.linkerd.io/default-inbound-policy from shop, jobs" in out


def test_the_upstream_check_catches_a_misspelt_field():
    if not (UPSTREAM / LINES[0]).is_dir():
        pytest.skip(f"the upstream Linkerd CRDs are not in {UPSTREAM}; set MCPMESH_UPSTREAM_DIR")
    schema = crd_schema(LINES[0], "Server", "policy.linkerd.io/v1beta3")
    server = {"podSelector": {"matchLabels": {"app": "a"}}, "port": "http", "accesPolicy": "deny"}
    assert unknown_fields(schema["properties"]["spec"], server, "spec") == ["spec.accesPolicy"]
    with pytest.raises(AssertionError, match="not served|has no"):
        crd_schema(LINES[0], "Server", "policy.linkerd.io/v9")


def test_the_probe_pods_render_as_valid_kubernetes_objects(tmp_path):
    role = ROOT / "roles" / "mesh_policy"
    out = tmp_path / "probe.yml"
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Load the role's defaults.", "ansible.builtin.include_vars": {"file": str(role / "defaults" / "main.yml")}},
        {"name": "Render the probe pods.", "ansible.builtin.template": {
            "src": str(role / "templates" / "probe.yml.j2"), "dest": str(out), "mode": "0644"}},
        {"name": "Validate them.", "mcpmesh.platform.validate_artifacts": {"manifests": [str(out)]}},
    ]}]))
    res = run_playbook(playbook)
    assert res.rc == 0, res
    objects = docs(out)
    assert [o["kind"] for o in objects] == ["Namespace", "ServiceAccount", "Pod", "Pod"]
    meshed, unmeshed = objects[2], objects[3]
    assert meshed["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    assert meshed["spec"]["serviceAccountName"] == "mesh-policy-intruder"
    assert unmeshed["metadata"]["annotations"] == {"linkerd.io/inject": "disabled"}
    image = meshed["spec"]["containers"][0]["image"]
    assert "@sha256:" in image and len(image.split("@sha256:")[1]) == 64
    assert meshed["spec"]["activeDeadlineSeconds"] > 0
