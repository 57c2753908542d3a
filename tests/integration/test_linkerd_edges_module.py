# SPDX-License-Identifier: GPL-3.0-or-later
"""The linkerd_edges module through ansible-playbook, against a stand-in `linkerd`.

The stand-in prints the outputs in tests/fixtures/linkerd_edges (written from linkerd2's
viz/cmd/edges.go, see SOURCE.md there), one per call, with the exit status the CLI gives.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_stand_in import Reply, calls, write
from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linkerd_edges"
MODULE = "mcpmesh.platform.linkerd_edges"
HOST_TO_BACKEND = {"src": "hostgroup-*", "src_namespace": "cosmonic-system", "dst": "petstore"}
pytestmark = pytest.mark.slow


def out(name: str, rc: int = 0) -> Reply:
    return Reply(stdout=FIXTURES / name, rc=rc)


def err(name: str, rc: int = 1) -> Reply:
    return Reply(stderr=FIXTURES / name, rc=rc)


def run(tmp_path, args, *extra):
    res = run_module(tmp_path, MODULE, args, *extra, bin_dir=tmp_path / "bin")
    res.stdout = " ".join(res.stdout.split())  # the callback's line wrapping undone
    return res


def test_edge_present_with_identities_passes_in_check_mode(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [out("edges-petstore-secured.json")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "kubeconfig": "/tmp/kc",
                         "context": "kind-x", "wait_timeout": 0}, "--check")
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0
    result = res.result
    assert result["success"] is True and result["problems"] == [] and result["missing"] == []
    assert result["attempts"] == 1
    host = result["edges"][0]
    assert (host["src"], host["client_id"], host["server_id"], host["secured"]) == (
        "hostgroup-default", "hostgroup-default.cosmonic-system", "default.petstore", True)
    assert calls(bin_dir, "linkerd") == ["--kubeconfig /tmp/kc --context kind-x viz edges deployment -n petstore -o json"]


def test_edge_missing_fails_naming_it(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [out("edges-petstore-missing.json")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 0})
    assert res.rc == 2, res
    assert "edge cosmonic-system/hostgroup-* -> petstore/petstore is missing" in res.stdout
    assert res.result["missing"][0]["src"] == "hostgroup-*"
    assert res.result["success"] is False


def test_no_identity_fails_unless_identity_is_not_required(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [out("edges-petstore-no-identity.json")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 0})
    assert res.rc == 2, res
    assert "is not mTLS: Not Provided By Remote" in res.stdout
    assert res.result["edges"][0]["secured"] is False
    relaxed = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 0,
                             "require_identity": False})
    assert relaxed.rc == 0, relaxed


def test_findings_only_returned_without_fail_on_problems(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [out("edges-petstore-no-identity.json")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 0,
                         "fail_on_problems": False})
    assert res.rc == 0, res
    assert res.result["success"] is False and len(res.result["problems"]) == 1


def test_retried_until_the_edge_appears(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [err("viz-missing.stderr"), out("edges-petstore-missing.json"),
                               out("edges-petstore-secured.json")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 30,
                         "poll_interval": 1})
    assert res.rc == 0, res
    assert res.result["attempts"] == 3
    assert len(calls(bin_dir, "linkerd")) == 3


def test_retried_until_the_deadline_then_fails_with_the_last_reading(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [err("prometheus-down.stderr")])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 3,
                         "poll_interval": 1})
    assert res.rc == 2, res
    assert res.result["attempts"] >= 2
    assert len(calls(bin_dir, "linkerd")) == res.result["attempts"]
    assert "Edges API response error: Query failed" in res.stdout
    assert "linkerd viz check" in res.stdout


@pytest.mark.parametrize("fixture", ["garbage.bin", "edges-table.txt"])
def test_garbage_fails_at_once_without_a_traceback(tmp_path, bin_dir, fixture):
    write(bin_dir, "linkerd", [out(fixture)])
    res = run(tmp_path, {"namespace": "petstore", "expected": [HOST_TO_BACKEND], "wait_timeout": 30})
    assert res.rc == 2, res
    assert "printed something that is not its JSON edges" in res.stdout
    assert len(calls(bin_dir, "linkerd")) == 1
    assert "Traceback" not in res.stdout + res.stderr
    assert "\x1b" not in res.result["msg"] + res.result["stdout"] and "\x00" not in res.result["stdout"]


def test_nothing_expected_needs_every_edge_mtls(tmp_path, bin_dir):
    write(bin_dir, "linkerd", [out("edges-cosmonic-secured.json")])
    res = run(tmp_path, {"namespace": "cosmonic-system", "wait_timeout": 0})
    assert res.rc == 0, res
    assert len(res.result["edges"]) == 3
    write(bin_dir, "linkerd", [out("edges-empty.json")])
    res = run(tmp_path, {"namespace": "cosmonic-system", "wait_timeout": 0})
    assert res.rc == 2, res
    assert "no edge at all" in res.stdout


@pytest.mark.parametrize("args, message", [
    ({"resource": "deploy/petstore"}, "refuses a name"),
    ({"resource": "service"}, "does not take resource type"),
    ({"poll_interval": 86401}, "poll_interval: it is 86401 s, more than a day"),
    ({"expected": [{"src": "a"}]}, "missing required arguments: dst"),
])
def test_bad_options_are_refused_before_running(tmp_path, bin_dir, args, message):
    write(bin_dir, "linkerd", [out("edges-petstore-secured.json")])
    res = run(tmp_path, dict({"namespace": "petstore"}, **args))
    assert res.rc == 2, res
    assert message in res.stdout, res
    assert calls(bin_dir, "linkerd") == []


def test_missing_cli_is_reported(tmp_path, bin_dir):
    res = run(tmp_path, {"namespace": "petstore", "wait_timeout": 0})
    assert res.rc == 2, res
    assert "The linkerd CLI is not on PATH" in res.stdout and "linkerd_path" in res.stdout
