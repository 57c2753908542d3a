# SPDX-License-Identifier: GPL-3.0-or-later
"""The Petstore graph takes Envoy's and the hosts' pod selector, ServiceAccounts and HTTP port from
the live Deployments (roles/petstore/tasks/policy_discover.yml), read from a stand-in Kubernetes API
serving tests/fixtures/mesh_policy/cosmonic-deployments.json. One playbook of two plays (found;
explicit settings win over what is found), then one run where nothing matches."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import ROOT, run_playbook
from fake_kube_api import FakeApiServer

pytestmark = pytest.mark.slow

DEPLOYMENTS = json.loads((ROOT / "tests" / "fixtures" / "mesh_policy" / "cosmonic-deployments.json").read_text())["items"]


def play(out, extra: dict) -> dict:
    return {"name": "Discover the Cosmonic workloads and build the Petstore graph.", "hosts": "localhost",
            "gather_facts": False, "vars": extra, "tasks": [
                {"name": "Load the graph.", "ansible.builtin.include_vars": {
                    "file": str(ROOT / "roles" / "petstore" / "vars" / "policy.yml")}},
                {"name": "Read the live workloads.", "ansible.builtin.include_role": {
                    "name": "mcpmesh.platform.petstore", "tasks_from": "policy_discover", "public": True}},
                {"name": "Keep the graph.", "ansible.builtin.copy": {
                    "content": "{{ __petstore_policy_graph | to_json }}", "dest": str(out), "mode": "0600"}}]}


def by_name(path) -> dict:
    return {item["name"]: item for item in json.loads(path.read_text())}


@pytest.fixture
def api():
    with FakeApiServer() as running:
        running.objects[("cosmonic-system", "deployments")] = DEPLOYMENTS
        yield running


def test_the_graph_uses_what_the_deployments_say_and_explicit_settings_win(tmp_path, api):
    kubeconfig = str(api.kubeconfig(tmp_path / "kubeconfig"))
    found, explicit = tmp_path / "found.json", tmp_path / "explicit.json"
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([
        play(found, {}),
        play(explicit, {"petstore_policy_service_accounts": {"envoy": "edge"},
                        "petstore_policy_hostgroup_selector": {"app": "hosts"}, "petstore_policy_envoy_port": 8001}),
    ], sort_keys=False))
    res = run_playbook(playbook, extra_vars={"mcpmesh_kubeconfig": kubeconfig, "petstore_policy_cosmonic_line": "0.4"})
    assert res.rc == 0, res
    out = " ".join(res.stdout.split())
    assert "envoy: Deployments envoy" in out and "ServiceAccounts hostgroup, port http" in out, out
    graph = by_name(found)
    assert graph["hostgroup-http"]["selector"] == {"wasmcloud.com/hostgroup": "default"}
    assert graph["hostgroup-http"]["port"] == "http"
    assert graph["hostgroup-http"]["allow"] == [{"namespace": "cosmonic-system", "service_account": "envoy"}]
    assert graph["petstore"]["allow"] == [{"namespace": "cosmonic-system", "service_account": "hostgroup"}]
    assert graph["envoy-http"]["selector"] == {"app.kubernetes.io/name": "envoy",
                                               "app.kubernetes.io/instance": "cosmonic-control"}
    graph = by_name(explicit)
    assert graph["hostgroup-http"]["selector"] == {"app": "hosts"}
    assert graph["hostgroup-http"]["allow"] == [{"namespace": "cosmonic-system", "service_account": "edge"}]
    assert graph["envoy-http"]["port"] == 8001
    assert graph["petstore"]["allow"] == [{"namespace": "cosmonic-system", "service_account": "hostgroup"}]


def test_workloads_not_found_stop_the_run_naming_what_is_there(tmp_path, api):
    api.objects[("cosmonic-system", "deployments")] = DEPLOYMENTS[2:]
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([play(tmp_path / "graph.json", {})], sort_keys=False))
    res = run_playbook(playbook, extra_vars={"mcpmesh_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig"))})
    assert res.rc != 0, res
    out = " ".join(res.stdout.split())
    assert "no Deployment matches the envoy selectors ['app.kubernetes.io/name=envoy'" in out, out
    assert "operator {'app.kubernetes.io/name': 'operator', 'app.kubernetes.io/instance': 'cosmonic-control'}" in out
    assert "set petstore_policy_envoy_selector, petstore_policy_envoy_port and petstore_policy_service_accounts.envoy" in out
    assert "Traceback" not in res.stdout
