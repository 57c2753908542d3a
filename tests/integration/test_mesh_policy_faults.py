# SPDX-License-Identifier: GPL-3.0-or-later
"""The mesh_policy retries and timeouts check: its fault-injection objects rendered render-only by
the role (validated by render_artifacts against the Kubernetes schemas), and mesh_policy_check
judging the recorded client-proxy metrics in tests/fixtures/mesh_policy_faults."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import ROOT, run_module, run_playbook

pytestmark = pytest.mark.slow

FIXTURES = ROOT / "tests" / "fixtures" / "mesh_policy_faults"
GRAPH = [
    {"name": "api", "namespace": "shop", "selector": {"app": "api"}, "port": "http", "protocol": "HTTP/1",
     "allow": [{"namespace": "edge"}], "backend_service": "api", "backend_port": 80,
     "resilience": {"timeout": "4s", "retry_on": "500-504", "retry_limit": 3, "retry_timeout": "1s"}},
    {"name": "queue", "namespace": "shop", "selector": {"app": "nats"}, "port": 4222, "protocol": "opaque",
     "allow": []},
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One render-only run of the role's main and verify entry points (the second run must change nothing)."""
    tmp = tmp_path_factory.mktemp("faults")
    tasks = [{"name": "Render the policy.", "ansible.builtin.include_role": {"name": "mcpmesh.platform.mesh_policy"}},
             {"name": "Plan the verification.",
              "ansible.builtin.include_role": {"name": "mcpmesh.platform.mesh_policy", "tasks_from": "verify"}}]
    playbook = tmp / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}] * 2,
                                       sort_keys=False))
    res = run_playbook(playbook, extra_vars={"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp / "art"),
                                             "mesh_policy_services": GRAPH})
    return res, tmp / "art" / "mesh_policy"


def test_the_fault_objects_render_valid_and_idempotent(rendered):
    res, folder = rendered
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    objects = [d for d in yaml.safe_load_all((folder / "faults.yml").read_text()) if d]
    assert [o["kind"] for o in objects] == ["Namespace", "Pod", "Pod", "Pod", "Service", "Service"]
    assert {o["metadata"]["namespace"] for o in objects[1:]} == {"mesh-policy-faults"}
    fail_svc = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "policy-fault-fail")
    assert fail_svc["metadata"]["annotations"] == {"retry.linkerd.io/http": "500-504", "retry.linkerd.io/limit": "3",
                                                   "retry.linkerd.io/timeout": "1s", "timeout.linkerd.io/request": "4s"}
    fail = next(o for o in objects if o["metadata"]["name"] == "policy-fault-fail" and o["kind"] == "Pod")
    container = fail["spec"]["containers"][0]
    assert container["args"][-1] == "-status-code=500"
    assert container["image"].startswith("hashicorp/http-echo:1.0.0@sha256:")
    for pod in (o for o in objects if o["kind"] == "Pod"):
        image = pod["spec"]["containers"][0]["image"]
        assert "@sha256:" in image and len(image.split("@sha256:")[1]) == 64, image
        assert pod["spec"]["activeDeadlineSeconds"] == 780
    out = " ".join(res.stdout.split())
    assert "prove the retries and timeouts of svc/api with the fault pods of" in out, out
    # The play ran twice: the second render changed nothing.
    assert res.localhost["changed"] <= 4, res


def _judge(tmp_path, after: str, slow: str):
    probes = json.loads((FIXTURES / "probe-outputs.json").read_text())
    before = (FIXTURES / "proxy-metrics-before.txt").read_text()
    checks = [
        {"policy": "api", "check": "retries", "service": "policy-fault-fail", "namespace": "mesh-policy-faults",
         "fail_status": 503, "retry_limit": 2, "output": probes["fail_injected"], "before": before,
         "after": (FIXTURES / after).read_text()},
        {"policy": "api", "check": "timeout", "service": "policy-fault-slow", "namespace": "mesh-policy-faults",
         "timeout_s": 10, "first_cut_s": 3, "output": probes[slow], "before": before,
         "after": (FIXTURES / after).read_text()},
    ]
    return run_module(tmp_path, "mcpmesh.platform.mesh_policy_check", {"resilience_checks": checks})


def test_the_module_passes_retries_and_timeout_seen_in_the_metrics(tmp_path):
    res = _judge(tmp_path, "proxy-metrics-after.txt", "slow_cut")
    assert res.rc == 0, res
    assert [v["ok"] for v in res.result["verdicts"]] == [True, True]
    assert res.result["problems"] == []


def test_the_module_fails_naming_each_policy_not_in_force(tmp_path):
    res = _judge(tmp_path, "proxy-metrics-after-not-in-force.txt", "slow_not_cut")
    assert res.rc != 0, res
    msg = res.result["msg"]
    assert msg.startswith("2 policy problem(s): policy api: retries (meshed client -> svc/policy-fault-fail) failed"), msg
    assert "timeout (meshed client -> svc/policy-fault-slow) failed: no answer within 25.0019 s" in msg, msg
    assert "Traceback" not in res.stdout


def test_the_policy_playbook_renders_the_petstore_faults_render_only(tmp_path):
    """playbooks/verify_policy.yml (the kind e2e workflow's policy step) render-only: the Petstore
    backend's own timeout and retries on the fault Services, validated, nothing else touched."""
    res = run_playbook(ROOT / "playbooks" / "verify_policy.yml",
                       extra_vars={"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path)})
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    assert sorted(p.name for p in (tmp_path / "petstore" / "policy").iterdir()) == ["faults.yml"]
    objects = [d for d in yaml.safe_load_all((tmp_path / "petstore" / "policy" / "faults.yml").read_text()) if d]
    slow = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "policy-fault-slow")
    assert slow["metadata"]["annotations"]["timeout.linkerd.io/request"] == "10s"
    assert not any(k.startswith("balancer.") for k in slow["metadata"]["annotations"])
    assert "prove the retries and timeouts of svc/petstore" in " ".join(res.stdout.split())


def test_the_kind_e2e_workflow_proves_the_policy_between_verify_and_teardown():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "kind-e2e.yml").read_text())
    steps = workflow["jobs"]["site-cluster"]["steps"]
    runs = [(s["name"], s.get("run", "")) for s in steps]
    index = {name: i for i, (name, _run) in enumerate(runs)}
    scenario = runs[index["Run the site-cluster scenario (keep the cluster on failure for the dump)"]][1]
    policy = next(i for i, (name, _run) in enumerate(runs) if name.startswith("Prove the zero-trust and traffic policy"))
    teardown = next(i for i, (_name, run) in enumerate(runs) if "molecule side-effect -s site-cluster" in run)
    assert scenario.index("molecule converge") < scenario.index("molecule idempotence") < scenario.index("molecule verify")
    assert "side-effect" not in scenario and "molecule test" not in scenario
    assert index["Run the site-cluster scenario (keep the cluster on failure for the dump)"] < policy < teardown
    assert "ansible-playbook playbooks/verify_policy.yml" in runs[policy][1]
    assert "mcpmesh_kube_context=kind-molecule-site" in runs[policy][1]
    assert "secrets." not in json.dumps(steps[policy])
