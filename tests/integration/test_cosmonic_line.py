# SPDX-License-Identifier: GPL-3.0-or-later
"""The Cosmonic Control line decides the ports, the licence, the MCP server's image and interfaces.

* Render-only ``site.yml`` on both lines: 0.4.1 (the default: Traefik on NodePorts 30080/30443,
  no licence, petstore-mcp-server v0.3.0 with ``wasi:config/store@0.2.0-rc.1`` and ``SERVICE_URL``)
  and 0.3.0 (Envoy on 30950, a licence, v0.2.0 with no host interface, "public demo store").
* One source for ports and names: ``kind_host_port=8080`` reaches the kind config, preflight, the
  MCP probe URL and the access points; settings that disagree stop the run at once.
* ``linkerd_distribution: auto`` picks edge without a Buoyant licence and enterprise with one, and
  the linkerd role gets the concrete value.
* Placement: the cosmonic role's ``wait_placement`` entry point, run for real through
  ``kubernetes.core.k8s_info`` against a stand-in API server that serves recorded runtime-operator
  objects (``tests/fixtures/cosmonic``), fails within seconds on an interface mismatch, naming the
  interface and what the hosts provide; the verdict logic is also tested directly.
"""
from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from conftest import NO_LICENCES, ROOT, run_playbook
from mcp_peers import LocalHTTPServer

from ansible_collections.mcpmesh.platform.plugins.module_utils import _placement

FIXTURES = ROOT / "tests" / "fixtures" / "cosmonic"
UPSTREAM = ROOT.parent / "shared" / "upstream"
FAKE_COSMONIC = "fake-cosmonic-licence-91d2e7aa"
FAKE_BUOYANT = "fake-buoyant-licence-3c5f0b28"


def fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text())["items"]


def flat(text: str) -> str:
    return " ".join(text.split())


def load(path: Path):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return docs[0] if len(docs) == 1 else docs


# --------------------------------------------------------------------------------------------
# The verdict, directly.

def test_interface_mismatch_fails_at_once_naming_the_interface_and_the_offer():
    v = _placement.verdict(fixture("workloaddeployments.json"), fixture("workloads-interface-mismatch.json"),
                           release="petstore-mcp", imports=["wasi:config/store@0.2.0-rc.1"],
                           offered="wasi:config/runtime@0.2.0-draft", hosts=fixture("hosts.json"))
    assert v["state"] == "failed"
    assert v["missing"] == ["wasi:config/store@0.2.0-rc.1"]
    assert v["component"] == "petstore-mcp"
    assert "needs wasi:config/store@0.2.0-rc.1" in v["message"]
    assert "the hosts of this line provide wasi:config/runtime@0.2.0-draft" in v["message"]
    assert "host version 1.8.0" in v["message"]


def test_ready_workload_is_ready():
    v = _placement.verdict(fixture("workloaddeployments.json"), fixture("workloads-ready.json"), release="petstore-mcp")
    assert v["state"] == "ready", v


def test_no_host_yet_is_pending_with_the_operator_s_reason():
    v = _placement.verdict([], fixture("workloads-no-host.json"), release="petstore-mcp")
    assert v["state"] == "pending"
    assert "HostSelection False (Reconcile): no suitable host found" in v["message"]


def test_host_error_fails_with_the_host_s_reason():
    v = _placement.verdict([], fixture("workloads-host-error.json"), release="petstore-mcp")
    assert v["state"] == "failed"
    assert "trapped during instantiation" in v["message"]


def test_nothing_created_yet_is_pending():
    assert _placement.verdict([], [], release="petstore-mcp")["state"] == "pending"


def test_objects_of_another_release_do_not_count():
    v = _placement.verdict([], fixture("workloads-interface-mismatch.json"), release="other-app")
    assert v["state"] == "pending"


@pytest.mark.parametrize("message, expected", [
    ('requested interfaces that are not available on this host: {WitInterface { namespace: "wasi", package: "config", '
     'interfaces: {"store"}, version: Some(Version { major: 0, minor: 2, patch: 0, pre: Prerelease("rc.1") }), name: None, '
     'config: {} }, WitInterface { namespace: "wasi", package: "keyvalue", interfaces: {"atomics", "store"}, version: None, '
     'name: None, config: {} }}', ["wasi:config/store@0.2.0-rc.1", "wasi:keyvalue/atomics,store"]),
    ("requested interfaces that are not available on this host: [wasi:config/store@0.2.0-rc.1]",
     ["wasi:config/store@0.2.0-rc.1"]),
    ("no suitable host found", []),
])
def test_missing_interfaces_are_read_from_the_host_s_refusal(message, expected):
    assert _placement.missing_interfaces(message) == expected


def test_quoted_text_is_bounded_and_stripped():
    v = _placement.verdict([], [{"kind": "Workload", "metadata": {"name": "petstore-mcp-1"}, "status": {"conditions": [
        {"type": "Config", "status": "False", "reason": "Reconcile", "message": "\x1b[31mbad\x07" + "x" * 5000}]}}],
        release="petstore-mcp")
    assert v["state"] == "pending"
    assert "\x1b" not in v["message"] and "\x07" not in v["message"]
    assert len(v["message"]) <= 2 * _placement.LIMIT


@pytest.mark.parametrize("change, refused", [
    ({"annotations": {"linkerd.io/inject": "enabled", "config.linkerd.io/skip-outbound-ports": "4222"}},
     "Additional properties are not allowed"),
    ({"annotations": {"linkerd.io/inject": "disabled"}}, "'disabled' is not one of"),
    ({"targets": [{"kind": "DaemonSet", "name": "nats"}]}, "'DaemonSet' is not one of"),
    ({"annotations": {"linkerd.io/inject": "enabled", "config.linkerd.io/opaque-ports": "4222;6222"}}, "does not match"),
])
def test_mesh_plan_schema_allows_only_the_patches_the_role_makes(change, refused):
    import jsonschema  # the validator validate_artifacts uses

    from ansible_collections.mcpmesh.platform.plugins.module_utils._schemas import HELM_VALUES
    schema = HELM_VALUES["cosmonic-mesh"]
    good = {"namespace": "cosmonic-system", "workloads": [{
        "name": "nats", "selectors": ["app=nats"], "targets": [{"kind": "StatefulSet", "name": "nats", "owner": None}],
        "annotations": {"linkerd.io/inject": "enabled", "config.linkerd.io/opaque-ports": "4222,6222,7422"}}]}
    jsonschema.Draft7Validator(schema).validate(good)
    bad = {**good, "workloads": [{**good["workloads"][0], **change}]}
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(bad)]
    assert any(refused in e for e in errors), errors


# --------------------------------------------------------------------------------------------
# The role's wait_placement, through k8s_info, against a stand-in API server.

GROUP = "runtime.wasmcloud.dev/v1alpha1"
APPS = "apps/v1"
ADMISSION = "admissionregistration.k8s.io/v1"


def api_server(workloads: str = "workloads-ready.json", deployments: list[dict] | None = None):
    """A Kubernetes API server that knows the kinds the cosmonic role reads and serves the fixtures.

    Discovery (``/api``, ``/apis`` and each group's resource list) is what the Kubernetes Python
    client asks first; then the list and get paths answer from the recorded objects. It has no
    Linkerd: its MutatingWebhookConfigurations are all "not found".
    """
    def resource(name, kind, namespaced=True):
        return {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": ["get", "list"]}

    def listing(group, kind, items):
        return {"apiVersion": group, "kind": kind + "List", "metadata": {"resourceVersion": "1"}, "items": items}

    groups = {
        GROUP: [resource("workloads", "Workload"), resource("workloaddeployments", "WorkloadDeployment"),
                resource("hosts", "Host", namespaced=False)],
        APPS: [resource("deployments", "Deployment"), resource("statefulsets", "StatefulSet")],
        ADMISSION: [resource("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", namespaced=False)],
    }
    routes = {
        "/version": {"major": "1", "minor": "36", "gitVersion": "v1.36.1"},
        "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
        "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": []},
        "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
             "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in groups]},
        f"/apis/{GROUP}/namespaces/petstore/workloads": listing(GROUP, "Workload", fixture(workloads)),
        f"/apis/{GROUP}/namespaces/petstore/workloaddeployments": listing(
            GROUP, "WorkloadDeployment", fixture("workloaddeployments.json")),
        f"/apis/{GROUP}/hosts": listing(GROUP, "Host", fixture("hosts.json")),
        f"/apis/{APPS}/namespaces/cosmonic-system/deployments": listing(APPS, "Deployment", deployments or []),
        f"/apis/{APPS}/namespaces/cosmonic-system/statefulsets": listing(APPS, "StatefulSet", []),
    }
    routes.update({f"/apis/{gv}": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}
                   for gv, res in groups.items()})
    for deployment in deployments or []:
        routes[f"/apis/{APPS}/namespaces/cosmonic-system/deployments/{deployment['metadata']['name']}"] = deployment

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 (http.server's name)
            body = routes.get(self.path.split("?", 1)[0])
            if body is None:
                body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                        "message": f"{self.path} not found"}
            data = json.dumps(body).encode()
            self.send_response(body.get("code", 200) if body.get("kind") == "Status" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return LocalHTTPServer(Handler)


def run_against(tmp_path: Path, server, tasks_from: str, role_vars: dict):
    """Run one entry point of the cosmonic role against the stand-in API server; returns (result, seconds)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "stand-in",
        "clusters": [{"name": "stand-in", "cluster": {"server": server.base}}],
        "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "nobody"}}],
        "users": [{"name": "nobody", "user": {"token": "stand-in"}}]}))
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Run the cosmonic role against the stand-in API server.", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Run the entry point.",
                   "ansible.builtin.include_role": {"name": "mcpmesh.platform.cosmonic", "tasks_from": tasks_from},
                   "vars": {"cosmonic_apply": True, "cosmonic_kubeconfig": str(kubeconfig),
                            "cosmonic_kube_context": "stand-in", "cosmonic_artifacts_dir": str(tmp_path / "artifacts"),
                            **role_vars}}]}]))
    started = time.monotonic()
    result = run_playbook(playbook, env={"HOME": str(tmp_path), "COSMONIC_LICENSE_KEY": ""})
    return result, time.monotonic() - started


def run_wait_placement(tmp_path: Path, workloads: str, chart_version: str, timeout: int = 9):
    with api_server(workloads) as server:
        return run_against(tmp_path, server, "wait_placement", {
            "cosmonic_chart_version": chart_version, "cosmonic_workload_namespace": "petstore",
            "cosmonic_workload_release": "petstore-mcp", "cosmonic_workload_imports": ["wasi:config/store@0.2.0-rc.1"],
            "cosmonic_placement_timeout": timeout})


@pytest.mark.slow
def test_role_fails_within_seconds_on_an_interface_mismatch(tmp_path):
    result, took = run_wait_placement(tmp_path, "workloads-interface-mismatch.json", "0.3.0", timeout=120)
    assert result.rc != 0, result
    out = flat(result.stdout)
    assert "cannot be placed: the host refused component petstore-mcp, which needs wasi:config/store@0.2.0-rc.1" in out, result
    assert "the hosts of this line provide wasi:config/runtime@0.2.0-draft" in out, result
    assert took < 60, f"the mismatch took {took:.0f} s to report; a 120 s deadline must not be waited out"


@pytest.mark.slow
def test_role_passes_a_placed_workload(tmp_path):
    result = run_wait_placement(tmp_path, "workloads-ready.json", "0.4.1")[0]
    assert result.rc == 0, result
    assert "1 workload(s) of petstore-mcp placed and ready" in flat(result.stdout), result


@pytest.mark.slow
def test_role_reports_the_operator_s_reason_at_its_deadline(tmp_path):
    result = run_wait_placement(tmp_path, "workloads-no-host.json", "0.4.1", timeout=6)[0]
    assert result.rc != 0, result
    out = flat(result.stdout)
    assert "was not placed within 6 s" in out and "no suitable host found" in out, result


def available(name: str, labels: dict) -> dict:
    """A Deployment whose rollout is complete, as the API server reports one."""
    return {"apiVersion": APPS, "kind": "Deployment",
            "metadata": {"name": name, "namespace": "cosmonic-system", "labels": labels, "generation": 1},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels}},
            "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                       "updatedReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}}


@pytest.mark.slow
def test_mesh_without_linkerd_stops_before_anything_is_installed(tmp_path):
    with api_server() as server:
        result, took = run_against(tmp_path, server, "main", {"cosmonic_chart_version": "0.4.1"})
    assert result.rc != 0, result
    out = flat(result.stdout)
    assert "cosmonic_mesh=true needs Linkerd" in out and "linkerd-proxy-injector-webhook-config" in out, result
    assert "cosmonic_mesh=false" in out, result
    assert "Install or upgrade the cosmonic-control chart" not in result.stdout, result
    assert took < 60


@pytest.mark.slow
def test_workloads_not_found_by_their_labels_fail_within_seconds_listing_what_is_there(tmp_path):
    deployments = [available("cosmonic-ingress", {"app.kubernetes.io/name": "cosmonic-ingress"}),
                   available("hostgroup-default", {"wasmcloud.com/name": "hostgroup"})]
    with api_server(deployments=deployments) as server:
        result, took = run_against(tmp_path, server, "verify", {
            "cosmonic_discovery_timeout": 3, "cosmonic_mesh_nats": False, "cosmonic_edge_selectors": ["app=traefik"]})
    assert result.rc != 0, result
    out = flat(result.stdout)
    assert "No Deployment or StatefulSet in cosmonic-system matches the selectors of edge, envoy" in out, result
    assert '"cosmonic-ingress": {"app.kubernetes.io/name": "cosmonic-ingress"}' in out, result
    assert "cosmonic_edge_selectors / cosmonic_envoy_selectors" in out, result
    assert took < 60, f"took {took:.0f} s"


# --------------------------------------------------------------------------------------------
# Render-only site.yml on both lines.

def render_only(artifacts: Path, **extra) -> dict:
    return {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(artifacts), **extra}


def inventory(tmp_path: Path, **group_vars) -> Path:
    """An inventory that sets group_vars the way a user's would (below -e, above role defaults)."""
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}},
        "vars": group_vars}}))
    return path


@pytest.fixture(scope="module")
def line_04(tmp_path_factory):
    """The default line, with host port 8080 and linkerd_distribution=auto and no Buoyant licence."""
    tmp = tmp_path_factory.mktemp("line04")
    result = run_playbook(ROOT / "site.yml", "-i", str(inventory(tmp, linkerd_distribution="auto")),
                          extra_vars=render_only(tmp / "artifacts", kind_host_port=8080),
                          env=NO_LICENCES)
    return result, tmp / "artifacts"


@pytest.fixture(scope="module")
def line_03(tmp_path_factory):
    """The seed's 0.3.0, with both licences, linkerd_distribution=auto and another cluster name."""
    tmp = tmp_path_factory.mktemp("line03")
    result = run_playbook(ROOT / "site.yml", "-i", str(inventory(tmp, linkerd_distribution="auto")),
                          extra_vars=render_only(tmp / "artifacts", cosmonic_chart_version="0.3.0",
                                                 kind_cluster_name="demo"),
                          env={"BUOYANT_LICENSE": FAKE_BUOYANT, "COSMONIC_LICENSE_KEY": FAKE_COSMONIC})
    return result, tmp / "artifacts"


@pytest.mark.slow
def test_default_line_maps_traefik_s_nodeports_from_the_chosen_host_port(line_04):
    result, artifacts = line_04
    assert result.rc == 0, result
    kind = load(artifacts / "kind" / "cluster.yml")
    mappings = [(m["hostPort"], m["containerPort"]) for m in kind["nodes"][0]["extraPortMappings"]]
    assert mappings == [(8080, 30080), (443, 30443), (3000, 30300)]  # the last: Grafana (observability role)


@pytest.mark.slow
def test_default_line_runs_v030_with_the_store_interface_and_the_in_cluster_backend(line_04):
    result, artifacts = line_04
    assert result.rc == 0, result
    values = load(artifacts / "petstore" / "mcp-values.yml")
    component = values["components"][0]
    assert component["image"] == "ghcr.io/cosmonic-labs/petstore-mcp-server:v0.3.0"
    assert component["localResources"]["environment"]["config"] == {
        "SERVICE_URL": "http://petstore.petstore.svc.cluster.local:8080/api/v3"}
    assert values["hostInterfaces"] == [
        {"namespace": "wasi", "package": "config", "interfaces": ["store"], "version": "0.2.0-rc.1"}]
    assert values["ingress"]["host"] == "petstore-mcp.localhost.cosmonic.sh"
    control = load(artifacts / "cosmonic" / "control-values.yml")
    assert control == {"ingress": {"hosts": [{"host": "petstore-mcp.localhost.cosmonic.sh"}]}}


@pytest.mark.slow
def test_host_port_reaches_preflight_the_probe_and_the_access_points(line_04):
    result = line_04[0]
    assert result.rc == 0, result
    out = flat(result.stdout)
    assert "would also check that host port(s) 8080, 443, 3000 are free" in out, out[:20000]
    assert "through http://localhost:8080/v1/mcp" in out, result  # the petstore role's probe URL
    assert "MCP endpoint: http://localhost:8080/v1/mcp with header Host: petstore-mcp.localhost.cosmonic.sh" in out, result
    assert "URL: http://petstore-mcp.localhost.cosmonic.sh:8080/v1/mcp" in out, result
    assert "Perses: http://perses.localhost.cosmonic.sh:8080" in out, result


@pytest.mark.slow
def test_default_line_needs_no_licence_and_auto_picks_edge(line_04):
    result = line_04[0]
    assert result.rc == 0, result
    out = flat(result.stdout)
    assert "no licence needed" in out and "none for Cosmonic Control" in out, result
    assert "Linkerd: edge (auto: no Buoyant licence is set" in out, result
    assert "none for Linkerd edge" in out, result  # preflight got the concrete value


@pytest.mark.slow
def test_nats_is_meshed_with_opaque_ports_in_the_rendered_plan(line_04):
    result, artifacts = line_04
    assert result.rc == 0, result
    plan = load(artifacts / "cosmonic" / "mesh.yml")
    by_name = {w["name"]: w for w in plan["workloads"]}
    assert set(by_name) == {"edge", "envoy", "hostgroup", "nats"}
    assert by_name["nats"]["annotations"] == {"linkerd.io/inject": "enabled", "config.linkerd.io/opaque-ports": "4222,6222,7422"}
    assert "config.linkerd.io/opaque-ports" not in by_name["hostgroup"]["annotations"]
    assert by_name["edge"]["selectors"][0] == "app.kubernetes.io/name=traefik"


@pytest.mark.slow
def test_seed_line_runs_v020_honestly(line_03):
    result, artifacts = line_03
    assert result.rc == 0, result
    kind = load(artifacts / "kind" / "cluster.yml")
    assert [(m["hostPort"], m["containerPort"]) for m in kind["nodes"][0]["extraPortMappings"]] == [(80, 30950), (3000, 30300)]
    control = load(artifacts / "cosmonic" / "control-values.yml")
    assert control == {"envoy": {"service": {"type": "NodePort", "httpNodePort": 30950}}}
    values = load(artifacts / "petstore" / "mcp-values.yml")
    assert values["components"][0] == {"name": "petstore-mcp", "image": "ghcr.io/cosmonic-labs/petstore-mcp-server:v0.2.0"}
    assert "hostInterfaces" not in values
    assert values["ingress"]["host"] == "petstore-mcp.localhost.cosmonic.sh"
    out = flat(result.stdout)
    assert "calls the public demo store https://petstore3.swagger.io/api/v3" in out, result
    assert "the in-cluster path check is not applicable on this line" in out, result
    assert "Perses:" not in out, result


@pytest.mark.slow
def test_seed_line_needs_a_cosmonic_licence_and_auto_picks_enterprise(line_03):
    result, artifacts = line_03
    assert result.rc == 0, result
    out = flat(result.stdout)
    assert "licence required" in out and "a Cosmonic licence key" in out, result
    assert "Linkerd: enterprise (auto: a Buoyant licence is set)" in out, result
    for secret in (FAKE_COSMONIC, FAKE_BUOYANT):
        assert secret not in result.stdout + result.stderr
        for path in artifacts.rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(errors="replace"), path


@pytest.mark.slow
def test_seed_line_stops_without_its_licence(tmp_path):
    """The cosmonic role, applying 0.3.0 with no licence, stops before it touches a cluster."""
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "Install 0.3.0.", "ansible.builtin.include_role": {"name": "mcpmesh.platform.cosmonic"},
        "vars": {"cosmonic_apply": True, "cosmonic_chart_version": "0.3.0", "cosmonic_license_key": "",
                 "cosmonic_artifacts_dir": str(tmp_path / "art")}}]}]))
    result = run_playbook(playbook, env={"COSMONIC_LICENSE_KEY": ""})
    assert result.rc != 0, result
    assert "Cosmonic Control 0.3.0 (line 0.3) needs a licence key" in flat(result.stdout), result


@pytest.mark.slow
@pytest.mark.parametrize("extra, message", [
    ({"kind_node_port": 30950}, "kind_node_port=30950 but Cosmonic Control 0.4.1 (line 0.4) listens on NodePort 30080"),
    ({"kind_cluster_name": "other", "mcpmesh_cluster_name": "mcpmesh"}, "kind_cluster_name=other but mcpmesh_cluster_name=mcpmesh"),
    ({"kind_host_port": 8080, "mcpmesh_host_port": 9090}, "kind_host_port=8080 but mcpmesh_host_port=9090"),
    ({"cosmonic_http_node_port": 31000}, "the chart of line 0.4 fixes the traefik NodePort at 30080"),
])
def test_settings_that_disagree_stop_the_run_at_once(tmp_path, extra, message):
    started = time.monotonic()
    result = run_playbook(ROOT / "site.yml", extra_vars=render_only(tmp_path / "artifacts", **extra))
    assert result.rc != 0, result
    assert message in flat(result.stdout), result
    assert not (tmp_path / "artifacts").exists(), "the run went on after the settings disagreed"
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_kind_cluster_name_reaches_the_context_and_every_role(line_03):
    result, artifacts = line_03
    assert result.rc == 0, result
    assert load(artifacts / "kind" / "cluster.yml")["name"] == "demo"
    out = flat(result.stdout)
    assert "would create the kind cluster demo" in out and "use the context kind-demo" in out, result


@pytest.mark.slow
@pytest.mark.parametrize("line", ["line_04", "line_03"])
def test_http_trigger_values_use_only_keys_of_the_real_chart(request, line):
    """Every key the role renders at the top and in ingress is one the real http-trigger 0.1.2 has."""
    upstream = UPSTREAM / "http-trigger-0.1.2" / "values.yaml"
    if not upstream.exists():
        pytest.skip(f"{upstream} is absent (the upstream chart values live beside the checkout, on development machines)")
    result, artifacts = request.getfixturevalue(line)
    assert result.rc == 0, result
    real = yaml.safe_load(upstream.read_text())
    rendered = load(artifacts / "petstore" / "mcp-values.yml")
    assert set(rendered) <= set(real), set(rendered) - set(real)
    assert set(rendered["ingress"]) <= set(real["ingress"])
    assert isinstance(rendered["components"], list) and isinstance(rendered.get("hostInterfaces", []), list)
