# SPDX-License-Identifier: GPL-3.0-or-later
"""The petstore role's disruption rounds (tasks/verify_disruption.yml), against stand-ins.

A stand-in API server serves the wasmCloud host Deployment (2 replicas, its pods' selector), and a stand-in
``kubectl`` replays a disruption from tests/fixtures/pod_disruption (see SOURCE.md there). The MCP endpoint
is a closed port, so the load beside the disruption cannot run: the round must still delete the pod, wait
for its replacement, record both windows, and fail saying the load did not run, never pass.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_stand_in import Reply, calls, write
from conftest import BIN, free_port, run_playbook
from fake_kube_api import FakeApiServer, deployment

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pod_disruption"
pytestmark = pytest.mark.slow

PLAYBOOK = """\
- name: Run the petstore role's disruption rounds.
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Disrupt.
      ansible.builtin.include_role:
        name: mcpmesh.platform.petstore
        tasks_from: verify_disruption
"""


def test_a_round_whose_load_cannot_run_fails_after_the_replacement_is_ready(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "pods-two-ready.json"), Reply(stdout=FIXTURES / "delete-pod.stdout"),
                               Reply(stdout=FIXTURES / "pods-deleting.json"), Reply(stdout=FIXTURES / "pods-recovered.json")])
    with FakeApiServer() as api:
        host = deployment("hostgroup-default", "cosmonic-system", {"wasmcloud.com/name": "hostgroup"})
        host["spec"]["replicas"] = 2
        api.objects[("cosmonic-system", "deployments")] = [host]
        playbook = tmp_path / "pb.yml"
        playbook.write_text(PLAYBOOK)
        res = run_playbook(playbook, extra_vars={
            "petstore_apply": True,
            "petstore_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
            "petstore_verify_url": f"http://127.0.0.1:{free_port()}/v1/mcp",
            "petstore_verify_timeout": 2,
            "petstore_verify_disruption_load_requests": 10,
            "petstore_verify_disruption_timeout": 30,
            "__petstore_verify_workloads": {"host": "hostgroup-default", "ingress": "envoy"},
        }, env={"PATH": f"{bin_dir}:{BIN}:/usr/bin:/bin"})
    out = " ".join(res.stdout.split())
    assert res.rc != 0, res
    log = calls(bin_dir, "kubectl")
    # The host's pods by the Deployment's own selector; the oldest Ready one deleted; polled until whole again.
    assert "get pods -n cosmonic-system -l wasmcloud.com/name=hostgroup -o json" in log[0]
    assert "delete pod -n cosmonic-system hostgroup-default-7d9c6b5f4-abcde --wait=false" in log[1]
    assert len(log) == 4, log
    assert "wasmCloud host hostgroup-default: pod hostgroup-default-7d9c6b5f4-abcde deleted, replaced in" in out, res
    assert "backend petstore: 1 replica (the default; set petstore_backend_replicas to 2 or more): not disrupted" in out, res
    assert "wasmCloud host hostgroup-default: the load did not run: MCP verification of" in out, res
    assert "Set petstore_verify_disruption=false to leave the disruption out." in out, res
    assert "Every load stayed at or above the threshold." not in out, res
