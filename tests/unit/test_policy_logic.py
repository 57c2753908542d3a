# SPDX-License-Identifier: GPL-3.0-or-later
"""The service graph, its Linkerd objects and the verification judges (module_utils/_policy.py)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _policy as pol

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mesh_policy"

BACKEND = {
    "name": "petstore", "namespace": "petstore", "selector": {"app": "petstore"}, "port": "http",
    "protocol": "HTTP/1", "allow": [{"namespace": "cosmonic-system", "service_account": "hostgroup"}],
    "probe_paths": ["/api/v3/pet/findByStatus"], "backend_service": "petstore", "backend_port": 8080,
    "resilience": {}, "verify": {"path": "/api/v3/store/inventory"},
}
HOSTS = {
    "name": "hostgroup-http", "namespace": "cosmonic-system", "selector": {"app.kubernetes.io/instance": "hostgroup"},
    "port": "http", "protocol": "HTTP/1", "allow": [{"namespace": "cosmonic-system"}], "rate_limit": {},
    "verify": {"path": "/v1/mcp"},
}
ENVOY = {
    "name": "envoy-http", "namespace": "cosmonic-system", "selector": {"app.kubernetes.io/name": "envoy"},
    "port": 8080, "allow": [{"networks": ["0.0.0.0/0", "::/0"]}], "verify": {"deny": False},
}
GRAPH = [ENVOY, HOSTS, BACKEND]
SETTINGS = {"mode": "enforce", "distribution": "enterprise"}


def with_(base: dict, **changes) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def by_kind(plan: dict, kind: str) -> dict[str, dict]:
    return {f"{o['metadata']['namespace']}/{o['metadata']['name']}": o for o in plan["policy"] if o["kind"] == kind}


# ---------------------------------------------------------------- the graph


def test_the_petstore_like_graph_has_no_problem():
    assert pol.graph_problems(GRAPH, SETTINGS) == []


@pytest.mark.parametrize("services, settings, fragment", [
    ([], SETTINGS, "non-empty list"),
    (GRAPH, {"mode": "strict"}, "mode must be one of enforce, audit, off"),
    (GRAPH, {"distribution": "bel"}, "distribution must be enterprise or edge"),
    (GRAPH, {"probe_networks": ["everywhere"]}, "is not a CIDR"),
    ([with_(BACKEND, name="Petstore")], SETTINGS, ".name must be a DNS label"),
    ([with_(BACKEND, name="x" * 53)], SETTINGS, "at most 52 characters"),
    ([BACKEND, BACKEND], SETTINGS, "petstore/petstore is listed twice"),
    ([with_(BACKEND, selector={})], SETTINGS, ".selector must be the pods' labels"),
    ([with_(BACKEND, selector={"app": 1})], SETTINGS, ".selector must be the pods' labels"),
    ([with_(BACKEND, port=0)], SETTINGS, ".port must be a container port"),
    ([with_(BACKEND, port="HTTP")], SETTINGS, ".port must be a container port"),
    ([with_(BACKEND, port=True)], SETTINGS, ".port must be a container port"),
    ([with_(BACKEND, protocol="http")], SETTINGS, ".protocol must be one of"),
    ([with_(BACKEND, colour="blue")], SETTINGS, "unknown keys: colour"),
    ([with_(BACKEND, allow=[{"service_account": "hostgroup"}])], SETTINGS, "namespace must be the client's namespace"),
    ([with_(BACKEND, allow=[{"namespace": "a", "networks": ["10.0.0.0/8"]}])], SETTINGS, "separate items"),
    ([with_(BACKEND, allow=[{"networks": []}])], SETTINGS, "non-empty list of CIDRs"),
    ([with_(BACKEND, allow=[{"namespace": "a", "sa": "b"}])], SETTINGS, "unknown keys: sa"),
    ([with_(BACKEND, paths=["api"])], SETTINGS, "paths must be a list of paths starting with /"),
    ([with_(BACKEND, protocol="opaque", paths=["/api"])], SETTINGS, "carry no HTTP routes"),
    ([with_(BACKEND, probe_paths=["/api/v3/pet/findByStatus?status=available"])], SETTINGS, "without the query"),
    ([with_(BACKEND, verify={"path": "/api/v3/pet/findByStatus?status=sold"})], SETTINGS,
     "is a kubelet probe path"),
    ([with_(BACKEND, verify={"path": "api"})], SETTINGS, "verify.path must start with /"),
    ([with_(HOSTS, protocol="opaque")], SETTINGS, "applies no rate limit to opaque Servers"),
    ([with_(HOSTS, rate_limit={"total": 10, "identity": 20})], SETTINGS, "identity (20) must not exceed total (10)"),
    ([with_(HOSTS, rate_limit={"total": 0})], SETTINGS, "rate_limit.total must be a whole number"),
    ([with_(HOSTS, rate_limit={"total": None, "identity": None})], SETTINGS, "needs total or identity"),
    ([with_(HOSTS, rate_limit={"overrides": [{"requests_per_second": 500, "service_accounts": [{"name": "a"}]}]})],
     SETTINGS, "(500) must not exceed total (200)"),
    ([with_(HOSTS, rate_limit={"overrides": [{"requests_per_second": 5, "service_accounts": []}]})],
     SETTINGS, "service_accounts must list"),
    ([with_(BACKEND, backend_service=None)], SETTINGS, "resilience needs backend_service"),
    ([with_(BACKEND, backend_port="8080")], SETTINGS, "backend_port must be the Service's port number"),
    ([with_(BACKEND, resilience={"timeout": "10"})], SETTINGS, "resilience.timeout must be a duration"),
    ([with_(BACKEND, resilience={"timeout": "2s", "retry_timeout": "3s"})], SETTINGS, "no retry could ever start"),
    ([with_(BACKEND, resilience={"retry_on": "5xx,teapot"})], SETTINGS, "'teapot' is not 5xx"),
    ([with_(BACKEND, resilience={"retry_limit": -1})], SETTINGS, "retry_limit must be a whole number"),
    ([with_(BACKEND, resilience={"failure_accrual": "unified"})], SETTINGS, "not served by the enterprise line"),
    ([with_(BACKEND, resilience={"max_failures": 0})], SETTINGS, "max_failures must be a whole number above 0"),
    ([with_(BACKEND, resilience={"min_penalty": "10s", "max_penalty": "5s"})], SETTINGS, "at least min_penalty"),
    ([with_(BACKEND, resilience={"jitter_ratio": 101})], SETTINGS, "jitter_ratio must be a number from 0 to 100"),
])
def test_graph_problems_name_the_item_and_the_fix(services, settings, fragment):
    problems = pol.graph_problems(services, settings)
    assert any(fragment in p for p in problems), problems


def test_unified_failure_accrual_is_accepted_on_edge_only():
    graph = [with_(BACKEND, resilience={"failure_accrual": "unified"})]
    assert pol.graph_problems(graph, {"distribution": "edge"}) == []
    assert pol.graph_problems(graph, {"distribution": "enterprise"})


# ---------------------------------------------------------------- the plan


@pytest.mark.parametrize("mode, value", [("enforce", "deny"), ("audit", "audit"), ("off", "all-unauthenticated")])
def test_the_mode_sets_the_namespace_default_and_every_servers_access_policy(mode, value):
    plan = pol.build_plan(GRAPH, {"mode": mode})
    assert plan["default_policy"] == value
    assert [n["metadata"]["annotations"] for n in plan["namespaces"]] == [
        {"config.linkerd.io/default-inbound-policy": value}] * 2
    assert {s["spec"]["accessPolicy"] for s in by_kind(plan, "Server").values()} == {value}


def test_each_edge_becomes_a_server_an_authentication_and_its_policy():
    plan = pol.build_plan(GRAPH, SETTINGS)
    assert plan["namespace_names"] == ["cosmonic-system", "petstore"]
    servers = by_kind(plan, "Server")
    assert servers["petstore/petstore"]["spec"] == {
        "podSelector": {"matchLabels": {"app": "petstore"}}, "port": "http", "accessPolicy": "deny",
        "proxyProtocol": "HTTP/1"}
    assert "proxyProtocol" not in servers["cosmonic-system/envoy-http"]["spec"]  # unknown = detect
    mtls = by_kind(plan, "MeshTLSAuthentication")
    assert mtls["petstore/petstore-identities"]["spec"] == {
        "identityRefs": [{"kind": "ServiceAccount", "name": "hostgroup", "namespace": "cosmonic-system"}]}
    assert mtls["cosmonic-system/hostgroup-http-identities"]["spec"] == {
        "identityRefs": [{"kind": "Namespace", "name": "cosmonic-system"}]}
    nets = by_kind(plan, "NetworkAuthentication")
    assert list(nets) == ["cosmonic-system/envoy-http-networks"]
    everyone = {"networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}
    assert nets["cosmonic-system/envoy-http-networks"]["spec"] == everyone
    policies = by_kind(plan, "AuthorizationPolicy")
    assert policies["petstore/petstore-identities"]["spec"] == {
        "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "petstore"},
        "requiredAuthenticationRefs": [
            {"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "petstore-identities"}]}
    # Linkerd 2.19 deletes the NetworkAuthentication named like a deleted MeshTLSAuthentication: never share names.
    assert not {n.split("/")[1] for n in mtls} & {n.split("/")[1] for n in nets}


def test_objects_come_in_apply_order_and_use_versions_both_lines_serve():
    plan = pol.build_plan(GRAPH, SETTINGS)
    kinds = [o["kind"] for o in plan["policy"]]
    assert kinds == sorted(kinds, key=["Server", "HTTPRoute", "MeshTLSAuthentication", "NetworkAuthentication",
                                       "AuthorizationPolicy", "HTTPLocalRateLimitPolicy"].index)
    assert {(o["kind"], o["apiVersion"]) for o in plan["policy"]} <= set(pol.API.items())
    for obj in plan["policy"]:
        assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "mcpmesh.platform.mesh_policy"}


def test_viz_scrape_is_allowed_in_every_namespace_unless_switched_off():
    plan = pol.build_plan(GRAPH, SETTINGS)
    scrape = by_kind(plan, "AuthorizationPolicy")["petstore/prometheus-scrape"]
    assert scrape["spec"]["targetRef"]["name"] == "linkerd-admin"
    assert by_kind(plan, "MeshTLSAuthentication")["petstore/prometheus-scrape"]["spec"]["identityRefs"] == [
        {"kind": "ServiceAccount", "name": "prometheus", "namespace": "linkerd-viz"}]
    admin = by_kind(plan, "Server")["petstore/linkerd-admin"]["spec"]
    assert admin["port"] == "linkerd-admin" and admin["podSelector"]["matchExpressions"][0]["operator"] == "Exists"
    assert not by_kind(plan, "HTTPRoute")  # no route on the admin Server: /live and /ready stay automatic
    off = pol.build_plan(GRAPH, dict(SETTINGS, viz={"enabled": False}))
    assert "petstore/prometheus-scrape" not in by_kind(off, "AuthorizationPolicy")


def test_paths_make_route_level_policy_with_an_explicit_probe_route():
    graph = [with_(BACKEND, paths=["/api/v3/store", "/api/v3/pet"])]
    plan = pol.build_plan(graph, dict(SETTINGS, probe_networks=["172.18.0.0/16"], viz={"enabled": False}))
    routes = by_kind(plan, "HTTPRoute")
    assert routes["petstore/petstore"]["spec"]["rules"][0]["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/api/v3/store"}}, {"path": {"type": "PathPrefix", "value": "/api/v3/pet"}}]
    assert routes["petstore/petstore-probes"]["spec"]["rules"][0]["matches"] == [
        {"path": {"type": "Exact", "value": "/api/v3/pet/findByStatus"}, "method": "GET"}]
    policies = by_kind(plan, "AuthorizationPolicy")
    assert policies["petstore/petstore-identities"]["spec"]["targetRef"] == {
        "group": "policy.linkerd.io", "kind": "HTTPRoute", "name": "petstore"}
    assert policies["petstore/petstore-probes-networks"]["spec"]["targetRef"]["name"] == "petstore-probes"
    assert by_kind(plan, "NetworkAuthentication")["petstore/petstore-probes-networks"]["spec"] == {
        "networks": [{"cidr": "172.18.0.0/16"}]}


def test_rate_limit_defaults_overrides_and_the_limit_one_client_gets():
    graph = [with_(HOSTS, rate_limit={"identity": 50, "overrides": [
        {"requests_per_second": 150, "service_accounts": [{"name": "envoy", "namespace": "cosmonic-system"}]}]})]
    plan = pol.build_plan(graph, dict(SETTINGS, rate_limit={"total": 120}))
    spec = by_kind(plan, "HTTPLocalRateLimitPolicy")["cosmonic-system/hostgroup-http"]["spec"]
    assert spec == {"targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "hostgroup-http"},
                    "total": {"requestsPerSecond": 120}, "identity": {"requestsPerSecond": 50},
                    "overrides": [{"requestsPerSecond": 150, "clientRefs": [
                        {"kind": "ServiceAccount", "name": "envoy", "namespace": "cosmonic-system"}]}]}
    rate = plan["rate_limits"][0]
    assert rate["limit_rps"] == 50
    assert pol.effective_limit(rate, "envoy", "cosmonic-system") == 120  # its override, capped by the total
    assert pol.effective_limit({"total": 30}) == 30
    assert pol.build_plan([with_(HOSTS, rate_limit=None)], SETTINGS)["rate_limits"] == []


def test_resilience_annotations_on_the_backend_service():
    plan = pol.build_plan(GRAPH, SETTINGS)
    assert plan["services"] == [{"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "petstore", "namespace": "petstore", "annotations": {
            "timeout.linkerd.io/request": "10s",
            "retry.linkerd.io/http": "gateway-error",
            "retry.linkerd.io/limit": "2",
            "retry.linkerd.io/timeout": "3s",
            "balancer.linkerd.io/failure-accrual": "consecutive",
            "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "5",
            "balancer.linkerd.io/failure-accrual-consecutive-min-penalty": "1s",
            "balancer.linkerd.io/failure-accrual-consecutive-max-penalty": "30s",
            "balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio": "0.5"}}}]
    assert plan["resilience"][0]["port"] == 8080
    none = pol.resilience_annotations({"timeout": "5s", "retry_on": "5xx", "retry_limit": 0, "failure_accrual": None})
    assert none == {"timeout.linkerd.io/request": "5s"}
    assert set(pol.RESILIENCE_KEYS) == set(plan["services"][0]["metadata"]["annotations"])


@pytest.mark.parametrize("text, seconds", [("10s", 10.0), ("1m30s", 90.0), ("500ms", 0.5), ("1.5h", 5400.0),
                                           ("10", None), ("", None), (10, None)])
def test_durations(text, seconds):
    assert pol.duration_seconds(text) == seconds


# ---------------------------------------------------------------- the cluster side


def pod(name, labels, *, ip="10.244.0.9", meshed=True, ports=(("http", 8080),), phase="Running", annotations=None,
        namespace="petstore"):
    containers = [{"name": "app", "ports": [{"name": n, "containerPort": p} for n, p in ports]}]
    if meshed:
        containers.append({"name": "linkerd-proxy", "ports": [{"name": "linkerd-admin", "containerPort": 4191}]})
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations or {}},
            "spec": {"containers": containers}, "status": {"phase": phase, "podIP": ip}}


def test_coverage_gives_one_target_per_server_with_the_port_resolved():
    plan = pol.build_plan([BACKEND], SETTINGS)
    targets, problems = pol.coverage(plan["servers"], [pod("petstore-1", {"app": "petstore"})])
    assert problems == []
    assert targets == [{"policy": "petstore", "namespace": "petstore", "pod": "petstore-1", "ip": "10.244.0.9",
                        "port": 8080, "protocol": "HTTP/1", "path": "/api/v3/store/inventory", "verify": True,
                        "url": "http://10.244.0.9:8080/api/v3/store/inventory"}]
    ipv6, none = pol.coverage(plan["servers"], [pod("petstore-1", {"app": "petstore"}, ip="fd00::5")])
    assert ipv6[0]["url"] == "http://[fd00::5]:8080/api/v3/store/inventory" and none == []


@pytest.mark.parametrize("pods, fragment", [
    ([], "selects no running pod"),
    ([pod("petstore-1", {"app": "other"})], "selects no running pod"),
    ([pod("petstore-1", {"app": "petstore"}, phase="Pending")], "selects no running pod"),
    ([pod("petstore-1", {"app": "petstore"}, meshed=False)], "have no linkerd-proxy"),
    ([pod("petstore-1", {"app": "petstore"}, ports=(("web", 8080),))], "is not a named TCP container port"),
    ([pod("petstore-1", {"app": "petstore"}, namespace="elsewhere")], "selects no running pod"),
])
def test_coverage_problems(pods, fragment):
    plan = pol.build_plan([BACKEND], SETTINGS)
    targets, problems = pol.coverage(plan["servers"], pods)
    assert len(targets) <= 1 and len(problems) == 1 and fragment in problems[0], problems


def deployment(name, labels, template_annotations=None):
    return {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": labels},
                                                 "template": {"metadata": {"annotations": template_annotations or {}}}}}


def test_stale_deployments_are_those_with_meshed_pods_admitted_under_another_default():
    key = pol.DEFAULT_POLICY_ANNOTATION
    pods = [pod("a-1", {"app": "a"}, annotations={key: "all-unauthenticated"}),
            pod("b-1", {"app": "b"}, annotations={key: "deny"}),
            pod("c-1", {"app": "c"}, meshed=False),
            pod("d-1", {"app": "d"}),
            pod("e-1", {"app": "e"}, annotations={key: "audit"})]
    deps = [deployment("a", {"app": "a"}), deployment("b", {"app": "b"}), deployment("c", {"app": "c"}),
            deployment("d", {"app": "d"}), deployment("e", {"app": "e"}, {key: "audit"})]
    assert pol.stale_deployments(deps, pods, "deny") == [{"name": "a", "pods": ["a-1"]}, {"name": "d", "pods": ["d-1"]}]
    assert pol.stale_deployments(deps, pods, None) == [{"name": "a", "pods": ["a-1"]}, {"name": "b", "pods": ["b-1"]}]


# ---------------------------------------------------------------- judges, against recorded outputs


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("output, client, protocol, ok, fragment", [
    ("403 rc=0", "meshed", "HTTP/1", True, "403"),
    ("403 rc=0", "unmeshed", "unknown", True, "403"),
    ("000 rc=56", "unmeshed", "opaque", True, "connection reset"),
    ("000 rc=52", "unmeshed", "opaque", True, "empty reply"),
    ("000 rc=7", "unmeshed", "TLS", True, "connection refused"),
    ("502 rc=0", "meshed", "opaque", True, "client's proxy answered 502"),
    ("502 rc=0", "meshed", "HTTP/1", False, "answered 502"),
    ("200 rc=0", "unmeshed", "HTTP/1", False, "was let in"),
    ("404 rc=0", "meshed", "HTTP/1", False, "was let in"),
    ("000 rc=28", "meshed", "HTTP/1", False, "timed out"),
    ("000 rc=7", "unmeshed", "HTTP/1", False, "not the refusal Linkerd gives"),
    ("sh: curl: not found", "meshed", "HTTP/1", False, "printed no result line"),
])
def test_judge_denial(output, client, protocol, ok, fragment):
    verdict = pol.judge_denial({"policy": "petstore", "client": client, "target": "http://10.244.0.9:8080/x",
                                "protocol": protocol, "output": output})
    assert verdict["ok"] is ok and fragment in verdict["reason"], verdict


def test_judge_denial_reads_the_recorded_probe_outputs():
    # Each recorded file is what the role's probe printed (curl's %{http_code}, then rc=<exit>).
    cases = json.loads(recorded("probe-outputs.json"))
    assert len(cases) >= 4
    for case in cases:
        verdict = pol.judge_denial(case["observation"])
        assert verdict["ok"] is case["ok"], (case, verdict)


def load(counts: dict, wall_s: float) -> dict:
    return {"requests": sum(counts.values()), "status_counts": counts, "wall_s": wall_s}


@pytest.mark.parametrize("expect, counts, wall_s, ok, fragment", [
    ("over", {"200": 180, "429": 220}, 1.0, True, "220 of 400 requests got 429"),
    ("over", {"200": 390, "429": 10}, 1.0, False, "at least 200 should have been limited"),
    ("over", {"200": 400}, 1.0, False, "at least 200 should have been limited"),
    ("over", {"200": 400}, 4.0, False, "too slow to exceed"),
    ("under", {"200": 50}, 1.0, True, "no 429 in 50 requests"),
    ("under", {"200": 48, "429": 2}, 1.0, False, "2 of 50 requests got 429"),
    ("under", {"200": 45, "403": 5}, 1.0, False, "the allowed path failed"),
    ("under", {}, 1.0, False, "cannot judge"),
])
def test_judge_rate_limit(expect, counts, wall_s, ok, fragment):
    verdict = pol.judge_rate_limit({"policy": "hostgroup-http", "limit_rps": 100, "expect": expect,
                                    "load": load(counts, wall_s)})
    assert verdict["ok"] is ok and fragment in verdict["reason"], verdict


def test_judge_rate_limit_counts_every_pod_behind_the_server():
    two = {"policy": "p", "limit_rps": 100, "replicas": 2, "expect": "over", "load": load({"200": 380, "429": 220}, 1.0)}
    assert pol.judge_rate_limit(two)["ok"] is True  # at most 2 x 100 x (1 + 1) = 400 may pass
    assert pol.judge_rate_limit(dict(two, replicas=1))["ok"] is False  # 380 passed, at most 200 may
    four = pol.judge_rate_limit(dict(two, replicas=4))
    assert not four["ok"] and "too slow to exceed 400 rps" in four["reason"], four


def test_judge_rate_limit_needs_status_counts_and_a_duration():
    no_counts = pol.judge_rate_limit({"policy": "p", "limit_rps": 10, "expect": "over", "load": {"requests": 5}})
    assert not no_counts["ok"] and "status_counts" in no_counts["reason"]
    no_time = pol.judge_rate_limit({"policy": "p", "limit_rps": 10, "expect": "over",
                                    "load": {"status_counts": {"200": 5}}})
    assert not no_time["ok"] and "cannot judge" in no_time["reason"]
    nan = pol.judge_rate_limit({"policy": "p", "limit_rps": 10, "expect": "over",
                                "load": {"status_counts": {"200": 5}, "wall_s": float("nan")}})
    assert not nan["ok"]
    assert pol.load_seconds({"timings": {"load_ms": 1500}}) == 1.5


def test_judge_rate_limit_on_the_recorded_loads():
    cases = json.loads(recorded("load-results.json"))
    for case in cases:
        verdict = pol.judge_rate_limit(case["observation"])
        assert verdict["ok"] is case["ok"], (case["note"], verdict)


RES = dict(pol.DEFAULT_RESILIENCE)


def test_judge_client_policy_finds_the_served_settings():
    verdicts = pol.judge_client_policy({"policy": "petstore", "service": "petstore",
                                        "output": recorded("diagnostics-policy-petstore.json"), "settings": RES})
    assert [(v["check"], v["ok"]) for v in verdicts] == [("request timeout", True), ("retries", True),
                                                         ("failure accrual", True)], verdicts


def test_judge_client_policy_says_what_is_missing():
    verdicts = pol.judge_client_policy({"policy": "petstore", "service": "petstore",
                                        "output": recorded("diagnostics-policy-default.json"), "settings": RES})
    assert [v["ok"] for v in verdicts] == [False, False, False]
    assert "ServiceProfile" in verdicts[2]["reason"]
    other = pol.judge_client_policy({"policy": "petstore", "service": "petstore",
                                     "output": recorded("diagnostics-policy-petstore.json"),
                                     "settings": dict(RES, timeout="30s", retry_limit=3)})
    assert [v["ok"] for v in other] == [False, False, True]
    assert other[0]["observed"] == [10.0]


@pytest.mark.parametrize("output, fragment", [
    ("", "printed nothing"),
    ("Error: failed to connect to the policy controller\x1b[0m", "printed no JSON"),
])
def test_judge_client_policy_on_a_failed_cli(output, fragment):
    (verdict,) = pol.judge_client_policy({"policy": "p", "service": "s", "output": output, "settings": RES})
    assert not verdict["ok"] and fragment in verdict["reason"] and "\x1b" not in verdict["reason"]


def test_summarize_names_the_policy_and_the_observation():
    verdicts = [pol.judge_denial({"policy": "petstore", "client": "meshed", "target": "http://x/", "protocol": "HTTP/1",
                                  "output": "200 rc=0"}),
                pol.judge_denial({"policy": "petstore", "client": "unmeshed", "target": "http://x/",
                                  "protocol": "HTTP/1", "output": "403 rc=0"})]
    (line,) = pol.summarize(verdicts)
    assert line.startswith("policy petstore: deny (meshed client -> http://x/) failed: answered 200")
    assert '"status": 200' in line


def test_shorten_strips_control_characters_and_bounds_the_text():
    assert pol.shorten("\x1b[31mred\x1b[0m\x07 and\nmore") == "red and more"
    assert len(pol.shorten("x" * 1000, 50)) == 53
