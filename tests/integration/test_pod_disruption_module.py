# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod_disruption module through ansible-playbook, against a stand-in ``kubectl``.

The stand-in answers in the order a real disruption produces them (tests/fixtures/pod_disruption,
see SOURCE.md there): the pods before, the delete, then the pods while the replacement starts and
once it is Ready. It logs its arguments, so the tests see what was deleted and when nothing was.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_stand_in import Reply, calls, write
from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pod_disruption"
MODULE = "mcpmesh.platform.pod_disruption"
HOSTS = {"name": "wasmCloud host", "namespace": "cosmonic-system", "selector": "wasmcloud.com/name=hostgroup"}
VICTIM = "hostgroup-default-7d9c6b5f4-abcde"
LIST = "--kubeconfig /tmp/kc --request-timeout=30s get pods -n cosmonic-system -l wasmcloud.com/name=hostgroup -o json"
pytestmark = pytest.mark.slow


def reply(name, rc=0):
    path = FIXTURES / name
    return Reply(stderr=path, rc=rc) if name.endswith(".stderr") else Reply(stdout=path, rc=rc)


def run(tmp_path, args, *extra):
    res = run_module(tmp_path, MODULE, dict({"kubeconfig": "/tmp/kc", "poll_interval": 1}, **args), *extra,
                     bin_dir=tmp_path / "bin")
    res.stdout = " ".join(res.stdout.split())
    return res


def test_deletes_the_oldest_ready_pod_and_waits_for_its_replacement(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [reply("pods-two-ready.json"), reply("delete-pod.stdout"), reply("pods-deleting.json"),
                               reply("pods-replacement-starting.json"), reply("pods-recovered.json")])
    res = run(tmp_path, {"targets": [HOSTS], "wait_timeout": 30})
    assert res.rc == 0, res
    assert res.localhost["changed"] == 1
    (d,) = res.result["disruptions"]
    assert d["pod"] == VICTIM
    assert d["replacements"] == ["hostgroup-default-7d9c6b5f4-klmno"]
    assert d["ready_before"] == [VICTIM, "hostgroup-default-7d9c6b5f4-fghij"]
    assert d["deleted_at"] < d["ready_at"] and d["recovery_s"] >= 2  # two polls saw it not yet whole
    assert "deleted pod hostgroup-default-7d9c6b5f4-abcde; hostgroup-default-7d9c6b5f4-klmno Ready in" in res.result["summary"][0]
    log = calls(bin_dir, "kubectl")
    assert log[0] == LIST
    assert log[1] == f"--kubeconfig /tmp/kc --request-timeout=30s delete pod -n cosmonic-system {VICTIM} --wait=false"
    assert log[2:] == [LIST] * 3


def test_a_replacement_that_never_gets_ready_fails_within_the_deadline_naming_the_pods(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [reply("pods-two-ready.json"), reply("delete-pod.stdout"), reply("pods-deleting.json")])
    res = run(tmp_path, {"targets": [HOSTS], "wait_timeout": 2})
    assert res.rc != 0
    assert "wasmCloud host: after deleting pod hostgroup-default-7d9c6b5f4-abcde, 1 of the 2 pods were Ready again within 2 s" in res.stdout
    assert "hostgroup-default-7d9c6b5f4-klmno (Pending, not Ready)" in res.stdout
    assert "kubectl describe pods -n cosmonic-system -l wasmcloud.com/name=hostgroup" in res.stdout
    assert res.result["disruptions"][0]["pod"] == VICTIM and res.result["disruptions"][0]["ready_at"] is None


def test_one_ready_pod_is_refused_and_nothing_is_deleted(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [reply("pods-one-ready.json")])
    res = run(tmp_path, {"targets": [HOSTS, dict(HOSTS, name="never reached")]})
    assert res.rc != 0
    assert "has 1 Ready pod(s), fewer than the 2 a disruption needs" in res.stdout
    assert all(" delete " not in line for line in calls(bin_dir, "kubectl"))
    assert len(calls(bin_dir, "kubectl")) == 1


def test_check_mode_names_the_victim_and_deletes_nothing(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [reply("pods-two-ready.json")])
    res = run(tmp_path, {"targets": [HOSTS, dict(HOSTS, name="again")]}, "--check")
    assert res.rc == 0, res
    assert res.result["summary"] == [f"wasmCloud host: would delete pod {VICTIM} (of 2 Ready).",
                                     f"again: would delete pod {VICTIM} (of 2 Ready)."]
    assert calls(bin_dir, "kubectl") == [LIST, LIST]


def test_an_rbac_refusal_says_what_failed(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [reply("forbidden.stderr", rc=1)])
    res = run(tmp_path, {"targets": [HOSTS]})
    assert res.rc != 0
    assert "wasmCloud host: listing the pods of wasmcloud.com/name=hostgroup in cosmonic-system failed: " \
           "Error from server (Forbidden)" in res.stdout
