# SPDX-License-Identifier: GPL-3.0-or-later
"""mcpmesh.platform.mesh_policy_check through ansible-playbook: the plan, the manifest check and
the judgement of the verification's recorded outputs (tests/fixtures/mesh_policy/SOURCE.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import run_module

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mesh_policy"
GRAPH = [
    {"name": "petstore", "namespace": "petstore", "selector": {"app": "petstore"}, "port": "http",
     "protocol": "HTTP/1", "allow": [{"namespace": "cosmonic-system"}], "backend_service": "petstore",
     "backend_port": 8080, "resilience": {}, "verify": {"path": "/api/v3/store/inventory"}},
    {"name": "hostgroup-http", "namespace": "cosmonic-system", "selector": {"app": "hosts"}, "port": 8000,
     "protocol": "HTTP/1", "allow": [{"namespace": "cosmonic-system", "service_account": "envoy"}], "rate_limit": {}},
]
SETTINGS = {"mode": "enforce", "distribution": "enterprise", "rate_limit": {"total": 200, "identity": 100}}


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def pod(name, labels, namespace, port_name="http", ip="10.244.0.9"):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "app", "ports": [{"name": port_name, "containerPort": 8080}]},
                                    {"name": "linkerd-proxy"}]},
            "status": {"phase": "Running", "podIP": ip}}


def test_plan_targets_and_restarts(tmp_path):
    pods = [pod("petstore-1", {"app": "petstore"}, "petstore"), pod("hosts-1", {"app": "hosts"}, "cosmonic-system")]
    deployment = {"metadata": {"name": "petstore"}, "spec": {"selector": {"matchLabels": {"app": "petstore"}}}}
    res = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", {
        "services": GRAPH, "settings": SETTINGS, "pods": pods,
        "restart": {"deployments": [deployment], "pods": pods[:1], "expected": "deny"}}, "--check")
    assert res.rc == 0, res
    out = res.result
    assert out["changed"] is False and out["problems"] == []
    assert out["plan"]["default_policy"] == "deny"
    urls = ["http://10.244.0.9:8080/api/v3/store/inventory", "http://10.244.0.9:8000/"]
    assert [t["url"] for t in out["targets"]] == urls
    assert out["plan"]["rate_limits"][0]["limit_rps"] == 100
    assert out["restart"] == [{"name": "petstore", "pods": ["petstore-1"]}]


def test_a_server_without_its_port_stops_the_apply(tmp_path):
    pods = [pod("petstore-1", {"app": "petstore"}, "petstore", port_name="web")]
    res = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", {"services": GRAPH[:1], "pods": pods})
    assert res.rc != 0, res
    assert "Server petstore/petstore: port 'http' is not a named TCP container port of petstore-1" in res.result["msg"]


def test_a_wrong_graph_fails_with_every_problem(tmp_path):
    bad = [dict(GRAPH[0], port="HTTP", protocol="h2"), dict(GRAPH[1], rate_limit={"total": 1, "identity": 2})]
    res = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", {"services": bad})
    assert res.rc != 0, res
    msg = res.result["msg"]
    assert "services[0] (petstore).port must be a container port" in msg
    assert "services[0] (petstore).protocol must be one of" in msg
    assert "services[1] (hostgroup-http).rate_limit.identity (2) must not exceed total (1)" in msg
    assert "docs/policy.md" in msg


def test_manifests_are_checked_against_the_policy_schemas(tmp_path):
    good = tmp_path / "good.yml"
    plan = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", {"services": GRAPH, "settings": SETTINGS}).result
    good.write_text(yaml.safe_dump_all(plan["plan"]["policy"]))
    bad_objects = [dict(o) for o in plan["plan"]["policy"]]
    policy = next(o for o in bad_objects if o["kind"] == "AuthorizationPolicy")
    policy["spec"] = dict(policy["spec"], targetRef={"kind": "Server", "name": "petstore"})  # no group: core
    limit = next(o for o in bad_objects if o["kind"] == "HTTPLocalRateLimitPolicy")
    limit["spec"] = dict(limit["spec"], total={"requestsPerSecond": 0})
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump_all(bad_objects))
    args = {"manifests": [str(good), str(bad)], "fail_on_problems": False}
    res = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", args)
    assert res.rc == 0, res
    assert res.result["validated"] == 2 * len(bad_objects)
    problems = res.result["problems"]
    assert len(problems) == 2, problems
    assert f"bad.yml: AuthorizationPolicy/{policy['metadata']['namespace']}/{policy['metadata']['name']}: " \
           "spec.targetRef: 'group' is a required property" in problems[0].replace(str(tmp_path) + "/", "")
    assert "spec.total.requestsPerSecond: 0 is less than the minimum of 1" in problems[1]


def test_the_recorded_observations_are_judged_and_failures_name_the_policy(tmp_path):
    probes = [c["observation"] for c in fixture("probe-outputs.json")]
    loads = [c["observation"] for c in fixture("load-results.json")]
    policies = [{"policy": "petstore", "service": "petstore", "settings": {
        "timeout": "10s", "retry_on": "gateway-error", "retry_limit": 2, "failure_accrual": "consecutive",
        "max_failures": 5}, "output": (FIXTURES / name).read_text()}
        for name in ("diagnostics-policy-petstore.json", "diagnostics-policy-default.json")]
    res = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check",
                     {"denials": probes, "rate_limits": loads, "client_policies": policies})
    assert res.rc != 0, res
    verdicts = res.result["verdicts"]
    expected = [c["ok"] for c in fixture("probe-outputs.json")] + [c["ok"] for c in fixture("load-results.json")] + \
        [True, True, True, False, False, False]
    assert [v["ok"] for v in verdicts] == expected
    msg = res.result["msg"]
    assert msg.startswith(f"{expected.count(False)} policy problem(s): ")
    assert "policy hostgroup-http: deny (meshed client -> http://10.244.0.15:8000/v1/mcp) failed: answered 406" in msg
    assert "policy hostgroup-http: rate limit (over) failed: only 0 of 400 requests got 429" in msg
    assert "policy petstore: failure accrual failed" in msg
    ok_only = run_module(tmp_path, "mcpmesh.platform.mesh_policy_check",
                         {"denials": [p for p, c in zip(probes, fixture("probe-outputs.json")) if c["ok"]]})
    assert ok_only.rc == 0 and ok_only.result["problems"] == [], ok_only
