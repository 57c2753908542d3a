# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/_policy_discovery.py: Envoy's and the hosts' pod selector, ServiceAccounts
and HTTP port read from Deployments (tests/fixtures/mesh_policy/cosmonic-deployments.json)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from ansible_collections.mcpmesh.platform.plugins.module_utils import _policy_discovery as discovery

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mesh_policy" / "cosmonic-deployments.json"
DEPLOYMENTS = json.loads(FIXTURE.read_text())["items"]
ENVOY = {"name": "envoy", "selectors": ["app.kubernetes.io/name=envoy", "app=envoy"], "variable": "petstore_policy_envoy_*"}
HOSTS = {"name": "hostgroup", "selectors": ["wasmcloud.com/name=hostgroup", "app.kubernetes.io/instance=hostgroup"],
         "variable": "petstore_policy_hostgroup_*"}


def test_each_workload_is_found_with_its_pods_identity_and_http_port():
    found, problems = discovery.discover(DEPLOYMENTS, [ENVOY, HOSTS])
    assert problems == []
    assert found["envoy"] == {"deployments": ["envoy"], "port": "http", "service_accounts": ["envoy"],
                              "selector": {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/instance": "cosmonic-control"},
                              "ports": [("admin", 9901), ("http", 8001)]}
    # The pods' own selector, not the Deployment's labels; the proxy's admin port is not the workload's.
    assert found["hostgroup"]["selector"] == {"wasmcloud.com/hostgroup": "default"}
    assert found["hostgroup"]["ports"] == [("http", 8080)]
    assert found["hostgroup"]["service_accounts"] == ["hostgroup"]


def test_the_first_selector_that_matches_wins_and_a_key_alone_matches_any_value():
    found = discovery.discover(DEPLOYMENTS, [{"name": "x", "selectors": ["app=nothing", "app.kubernetes.io/instance"]}])[0]
    assert found["x"]["deployments"] == ["envoy", "hostgroup-default", "operator"]


def test_no_service_account_means_default():
    assert discovery.service_account(DEPLOYMENTS[2]) == "default"


def test_several_deployments_share_what_they_have_in_common():
    second = copy.deepcopy(DEPLOYMENTS[1])
    second["metadata"]["name"] = "hostgroup-gpu"
    second["spec"]["selector"]["matchLabels"] = {"wasmcloud.com/hostgroup": "gpu"}
    second["spec"]["template"]["spec"]["serviceAccountName"] = "hostgroup-gpu"
    found, problems = discovery.discover([DEPLOYMENTS[1], second], [HOSTS])
    assert found["hostgroup"]["service_accounts"] == ["hostgroup", "hostgroup-gpu"]
    assert found["hostgroup"]["selector"] == {}
    assert problems == ["the hostgroup Deployments ['hostgroup-default', 'hostgroup-gpu'] (selector "
                        "wasmcloud.com/name=hostgroup) share no pod label to select them by; set petstore_policy_hostgroup_*"]


def test_nothing_found_names_what_is_there_and_what_to_set():
    found, (problem,) = discovery.discover(DEPLOYMENTS, [{"name": "envoy", "selectors": ["app=envoy"],
                                                          "variable": "petstore_policy_envoy_selector"}])
    assert found == {}
    assert problem.startswith("no Deployment matches the envoy selectors ['app=envoy']; Deployments and their labels: envoy")
    assert "operator {'app.kubernetes.io/name': 'operator'" in problem
    assert problem.endswith("set petstore_policy_envoy_selector")


def test_an_ambiguous_port_is_a_problem_unless_it_is_given():
    envoy = copy.deepcopy(DEPLOYMENTS[0])
    envoy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "listener"
    found, (problem,) = discovery.discover([envoy], [ENVOY])
    assert found["envoy"]["port"] is None
    assert "the HTTP port of envoy is ambiguous (container ports [('envoy', [('listener', 8001), ('admin', 9901)])])" in problem
    found, problems = discovery.discover([envoy], [dict(ENVOY, port="listener")])
    assert problems == [] and found["envoy"]["port"] == "listener"


def test_the_only_port_is_taken_by_name_or_number():
    operator = DEPLOYMENTS[2]
    assert discovery.http_port(operator) == "metrics"
    unnamed = copy.deepcopy(operator)
    del unnamed["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"]
    assert discovery.http_port(unnamed) == 8443
