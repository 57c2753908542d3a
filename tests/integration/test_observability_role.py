# SPDX-License-Identifier: GPL-3.0-or-later
"""The observability role in one playbook: render-only with linkerd-viz's Prometheus and with an external
one, the host_ports entry point, bad variables refused, then verify against a stand-in Grafana on loopback
(tests/fixtures/grafana) and the Key Metrics report filled from the petstore-like base and Prometheus.
The playbook runs twice: the second run changes nothing.

The rendered Helm values are checked against the grafana chart's own values.yaml, and the Prometheus
policy against the real Linkerd CRDs of both lines, where ../shared/upstream has them (skipped otherwise).
"""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas
from conftest import run_playbook
from grafana_stand_in import StandInGrafana
from test_mesh_policy_render import UPSTREAM, check_against_upstream, docs

pytestmark = pytest.mark.slow
ROLE = "mcpmesh.platform.observability"
GRAFANA_CHART = "grafana-12.11.1"
# Keys the chart's templates read that its values.yaml leaves commented out (templates/service.yaml
# reads service.nodePort for a NodePort Service; deployment.yaml reads podAnnotations).
READ_BY_TEMPLATES = {("service", "nodePort"), ("podAnnotations",)}
# Maps whose content is another program's format: grafana.ini is Grafana's configuration file, any
# section and key (the chart writes it out as it is); only the top-level key must be the chart's.
FREE_FORM = {("grafana.ini",)}
# Linkerd's pins (linkerd/linkerd2 grafana/values.yaml at edge-26.8.3): name -> (gnetId, revision).
LINKERD_PINS = {"top-line": (15474, 4), "deployment": (15475, 6), "pod": (15477, 3), "namespace": (15478, 3),
                "kubernetes": (15479, 2), "service": (15480, 3), "route": (15481, 3), "authority": (15482, 3),
                "cronjob": (15483, 3), "daemonset": (15484, 3), "health": (15486, 3), "job": (15487, 3),
                "multicluster": (15488, 3), "prometheus": (15489, 2), "prometheus-benchmark": (15490, 2),
                "replicaset": (15491, 3), "replicationcontroller": (15492, 4), "statefulset": (15493, 3)}
SAMPLES = [3.0, 3.5, 4.0, 4.2, 5.0, 7.5, 39.0]
BASE = [
    {"workload": "petstore-mcp (MCP)", "source": "mcp_verify load", "success_rate": 1.0, "p50_ms": 4.2, "p99_ms": 39.0,
     "meshed_ratio": 1.0, "latency_samples_ms": SAMPLES},
    {"workload": "petstore (Linkerd)", "source": "linkerd viz stat", "success_rate": 1.0, "p50_ms": 3, "p99_ms": 12,
     "meshed_ratio": 1.0},
]
BAD = {"observability_namespace": "Not_A_Name", "observability_grafana_node_port": 8080,
       "observability_prometheus_url": "prometheus:9090\x1b[2J", "observability_dashboards": [{"name": "x", "gnet_id": 1}]}


def keep(name: str, value: str, folder: Path) -> dict:
    copy = {"content": value, "dest": str(folder / f"{name}.json"), "mode": "0600"}
    return {"name": f"Keep {name}.", "ansible.builtin.copy": copy, "check_mode": False, "changed_when": False}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("observability")
    out = tmp / "out"
    out.mkdir()
    with StandInGrafana({"ok": (200, "health-ok.json", 200, "ds-query-series.json")}) as grafana:
        tasks = [
            {"name": "Render with linkerd-viz's Prometheus.", "ansible.builtin.include_role": {"name": ROLE},
             "vars": {"observability_apply": False, "observability_artifacts_dir": str(tmp / "viz")}},
            {"name": "Give the kind and preflight roles' own values.", "ansible.builtin.set_fact": {
                "kind_extra_port_mappings": [{"containerPort": 31000, "hostPort": 8081}],
                "preflight_host_ports": [{"port": 80, "address": "0.0.0.0"}]}},
            {"name": "Add Grafana's host port.", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "host_ports"}},
            {"name": "Add it again.", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "host_ports"}},
            keep("ports", "{{ {'kind': kind_extra_port_mappings, 'preflight': preflight_host_ports} | to_json }}", out),
            {"name": "Render with an external Prometheus, no dashboards, no host port.",
             "ansible.builtin.include_role": {"name": ROLE},
             "vars": {"observability_apply": False, "observability_artifacts_dir": str(tmp / "external"),
                      "observability_prometheus_url": "http://prometheus.monitoring:9090", "observability_dashboards": [],
                      "observability_grafana_node_port": 0, "observability_grafana_host_port": 0,
                      "observability_mesh": False}},
            {"name": "Try bad variables.", "block": [
                {"name": "Render with bad variables.", "ansible.builtin.include_role": {"name": ROLE},
                 "vars": dict(BAD, observability_apply=False, observability_artifacts_dir=str(tmp / "bad"))}],
             "rescue": [keep("bad", "{{ ansible_failed_result.msg | to_json }}", out)]},
            {"name": "Write the base report, as the petstore role does.", "mcpmesh.platform.slo_report": {
                "measurements": BASE, "dest": str(tmp / "report"), "gate": "none"}, "register": "petstore_verify_slo"},
            {"name": "Verify against the stand-in Grafana.", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "verify"},
             "vars": {"observability_apply": True, "observability_grafana_url": f"{grafana.base}/ok",
                      "observability_verify_timeout": 0}},
            {"name": "Fill the report.", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "report"},
             "vars": {"observability_apply": True, "observability_report_samples": SAMPLES,
                      "observability_report_dir": str(tmp / "page")}},
            keep("verify", "{{ observability_verify_result | to_json }}", out),
            keep("report", "{{ {'page': observability_report_page, 'result': observability_report_result} | to_json }}", out),
        ]
        playbook = tmp / "pb.yml"
        playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
        first = run_playbook(playbook)
        saved = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
        second = run_playbook(playbook)
        requests = list(grafana.requests)
    return {"tmp": tmp, "first": first, "second": second, "saved": saved, "requests": requests}


def test_runs_and_changes_nothing_the_second_time(run):
    assert run["first"].rc == 0, run["first"]
    assert run["second"].rc == 0, run["second"]
    assert run["second"].localhost["changed"] == 0, run["second"]


def values(run, variant: str) -> dict:
    return yaml.safe_load((run["tmp"] / variant / "grafana-values.yml").read_text())


def test_values_wire_viz_prometheus_and_pin_linkerds_dashboards(run):
    v = values(run, "viz")
    [source] = v["datasources"]["datasources.yaml"]["datasources"]
    assert source == {"name": "prometheus", "uid": "prometheus", "type": "prometheus", "access": "proxy", "isDefault": True,
                      "editable": False, "url": "http://prometheus.linkerd-viz.svc.cluster.local:9090",
                      "jsonData": {"timeInterval": "10s"}}
    boards = v["dashboards"]["linkerd"]
    assert {name: (b["gnetId"], b["revision"]) for name, b in boards.items()} == LINKERD_PINS
    assert {b["datasource"] for b in boards.values()} == {"prometheus"}
    [provider] = v["dashboardProviders"]["dashboardproviders.yaml"]["providers"]
    assert provider["name"] == "linkerd" and provider["options"]["path"] == "/var/lib/grafana/dashboards/linkerd"
    assert v["service"] == {"type": "NodePort", "port": 80, "nodePort": 30300}
    assert v["serviceAccount"]["name"] == "grafana"
    assert v["podAnnotations"] == {"linkerd.io/inject": "enabled", "config.linkerd.io/skip-outbound-ports": "443"}
    assert v["grafana.ini"]["auth.anonymous"] == {"enabled": True, "org_role": "Viewer"}
    assert "adminPassword" not in v
    assert not list(Draft7Validator(_schemas.HELM_VALUES["grafana"]).iter_errors(v))


def test_the_values_schema_refuses_a_password_and_an_unpinned_dashboard():
    schema = Draft7Validator(_schemas.HELM_VALUES["grafana"])
    assert list(schema.iter_errors({"adminPassword": "x"}))
    assert list(schema.iter_errors({"dashboards": {"linkerd": {"top-line": {"gnetId": 15474}}}}))
    assert list(schema.iter_errors({"service": {"type": "ClusterIP", "nodePort": 30300}}))


def key_paths(value: dict, prefix: tuple = ()) -> set[tuple]:
    """Every key path of the values we set, down to the first map the chart leaves open ({} in values.yaml)."""
    out = set()
    for key, item in value.items():
        out.add(prefix + (key,))
        if isinstance(item, dict):
            out |= key_paths(item, prefix + (key,))
    return out


def test_values_use_only_keys_the_chart_has(run):
    upstream = UPSTREAM / GRAFANA_CHART / "values.yaml"
    if not upstream.is_file():
        pytest.skip(f"the grafana chart's values.yaml is not in {upstream.parent}; put charts/grafana/values.yaml of "
                    f"grafana-community/helm-charts at tag {GRAFANA_CHART} there to check the keys")
    chart = yaml.safe_load(upstream.read_text())
    unknown = []
    for path in sorted(key_paths(values(run, "viz"))):
        node = chart
        for depth, key in enumerate(path):
            if path[:depth + 1] in READ_BY_TEMPLATES or (isinstance(node, dict) and node == {} and depth > 0):
                break  # a key the templates read, or inside a map the chart leaves to the user
            if path[:depth] in FREE_FORM and depth > 0:
                break
            if not isinstance(node, dict) or key not in node:
                unknown.append(".".join(path))
                break
            node = node[key]
    assert not unknown, unknown


def test_prometheus_policy_admits_grafanas_identity(run):
    objects = docs(run["tmp"] / "viz" / "prometheus-policy.yml")
    authn, authz = objects
    assert authn["kind"] == "MeshTLSAuthentication" and authn["metadata"]["namespace"] == "linkerd-viz"
    assert authn["spec"]["identityRefs"] == [{"kind": "ServiceAccount", "name": "grafana", "namespace": "grafana"}]
    assert authz["spec"]["targetRef"] == {"group": "policy.linkerd.io", "kind": "Server", "name": "prometheus-admin"}
    assert authz["spec"]["requiredAuthenticationRefs"][0]["name"] == authn["metadata"]["name"]
    assert docs(run["tmp"] / "viz" / "namespace.yml")[0]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    assert check_against_upstream(objects) == 4


def test_external_prometheus_gets_no_policy_and_a_cluster_ip(run):
    v = values(run, "external")
    assert v["datasources"]["datasources.yaml"]["datasources"][0]["url"] == "http://prometheus.monitoring:9090"
    assert v["service"] == {"type": "ClusterIP", "port": 80}
    assert "dashboards" not in v or v["dashboards"] == {}
    assert v["podAnnotations"] == {}
    assert not (run["tmp"] / "external" / "prometheus-policy.yml").exists()
    assert "annotations" not in docs(run["tmp"] / "external" / "namespace.yml")[0]["metadata"]


def test_host_ports_adds_grafanas_mapping_once_beside_the_users(run):
    ports = run["saved"]["ports"]
    assert ports["kind"] == [{"containerPort": 31000, "hostPort": 8081},
                             {"containerPort": 30300, "hostPort": 3000, "listenAddress": "127.0.0.1", "protocol": "TCP"}]
    assert ports["preflight"] == [{"port": 80, "address": "0.0.0.0"}, {"port": 3000, "address": "127.0.0.1"}]


def test_bad_variables_are_each_named(run):
    msg = run["saved"]["bad"]
    assert "observability_namespace" in msg
    assert "\x1b" not in msg


def test_verify_reads_series_through_the_data_source(run):
    verify = run["saved"]["verify"]
    assert verify["problems"] == [] and verify["health"]["version"] == "13.2.0"
    assert verify["answers"]["series"]["series"] == 1
    body = next(r[3] for r in run["requests"] if r[2] == "/api/ds/query")
    exprs = {q["refId"]: q["expr"] for q in body["queries"]}
    assert exprs["series"] == 'sum by (deployment) (rate(response_total{namespace="petstore"}[5m]))'
    selector = 'direction="outbound", dst_namespace="petstore", dst_deployment="petstore", namespace="cosmonic-system"'
    assert exprs["success_rate"] == (f'sum(rate(response_total{{{selector}, classification="success"}}[5m])) '
                                     f'/ sum(rate(response_total{{{selector}}}[5m]))')
    assert exprs["p99_ms"] == f"histogram_quantile(0.99, sum by (le) (rate(response_latency_ms_bucket{{{selector}}}[5m])))"


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.svgs += tag == "svg"

    def handle_data(self, data):
        self.text.append(data)


def test_report_carries_the_base_rows_and_adds_prometheus(run):
    report = run["saved"]["report"]
    result = report["result"]
    assert report["page"] == str(run["tmp"] / "page" / "index.html")
    rows = {w["workload"]: w for w in result["report"]["workloads"]}
    assert list(rows) == ["petstore-mcp (MCP)", "petstore (Linkerd)", "petstore (Prometheus)"]
    prometheus = rows["petstore (Prometheus)"]["metrics"]
    assert [prometheus[m]["value"] for m in ("success_rate", "p50_ms", "p99_ms", "meshed_ratio")] == [0.9995, 3.1, 48.5, 1.0]
    assert result["verdicts"]["petstore (Prometheus)"]["worst"] == "good"
    assert rows["petstore-mcp (MCP)"]["latency"]["count"] == len(SAMPLES)  # the samples came back with their row
    page = Page()
    page.feed(Path(report["page"]).read_text())
    assert page.svgs == 1
    assert "petstore (Prometheus)" in " ".join(page.text)
