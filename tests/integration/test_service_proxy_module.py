# SPDX-License-Identifier: GPL-3.0-or-later
"""The service_proxy module through ansible-playbook, against a stand-in `kubectl`.

The stand-in prints the outputs in tests/fixtures/service_proxy (written from kubectl's and the API
server's source, see SOURCE.md there) with kubectl's exit status, and logs its arguments.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_stand_in import Reply, calls, write
from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "service_proxy"
MODULE = "mcpmesh.platform.service_proxy"
PET = {"namespace": "petstore", "service": "petstore", "port": 8080, "path": "api/v3/pet/4711"}
URL = "/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/4711"
pytestmark = pytest.mark.slow


def run(tmp_path, args, *extra):
    res = run_module(tmp_path, MODULE, args, *extra, bin_dir=tmp_path / "bin")
    res.stdout = " ".join(res.stdout.split())
    return res


def test_get_found_returns_the_parsed_pet_and_never_changes(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "get-pet-found.stdout")])
    res = run(tmp_path, dict(PET, kubeconfig="/tmp/kc", context="kind-x"))
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0
    assert res.result["status"] == "ok" and res.result["url"] == URL
    assert res.result["json"] == {"id": 4711, "name": "mcpmesh-marker-1a2b3c", "photoUrls": [], "tags": [],
                                  "status": "available"}
    assert res.result["body"] == (FIXTURES / "get-pet-found.stdout").read_text()
    assert calls(bin_dir, "kubectl") == [f"--kubeconfig /tmp/kc --context kind-x --request-timeout=30s get --raw {URL}"]


def test_get_runs_in_check_mode_too(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "get-pet-found.stdout")])
    res = run(tmp_path, PET, "--check")
    assert res.rc == 0, res
    assert res.result["status"] == "ok" and len(calls(bin_dir, "kubectl")) == 1


def test_backend_404_is_not_found_not_a_failure(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stderr=FIXTURES / "get-pet-not-found.stderr", rc=1)])
    res = run(tmp_path, PET)
    assert res.rc == 0, res
    assert res.result["status"] == "not_found"
    assert res.result["json"] is None and res.result["body"] == ""


@pytest.mark.parametrize("fixture, says", [
    ("service-not-found.stderr", "the Service petstore does not exist in namespace petstore"),
    ("no-endpoints.stderr", "has no ready pod behind it"),
    ("pod-refused.stderr", "could not reach a pod of the Service petstore"),
    ("backend-500.stderr", "answered an error"),
    ("apiserver-refused.stderr", "kubectl cannot reach the API server"),
    ("forbidden.stderr", "services/proxy"),
])
def test_failures_say_what_is_wrong(tmp_path, bin_dir, fixture, says):
    write(bin_dir, "kubectl", [Reply(stderr=FIXTURES / fixture, rc=1)])
    res = run(tmp_path, PET)
    assert res.rc == 2, res
    assert f"GET {URL} failed: " in res.stdout and says in res.stdout, res
    assert res.result["rc"] == 1 and res.result["cmd"][-1] == URL
    assert "Traceback" not in res.stdout + res.stderr


def test_delete_is_a_change_and_check_mode_sends_nothing(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "delete-pet.stdout")])
    checked = run(tmp_path, dict(PET, method="DELETE"), "--check")
    assert checked.rc == 0, checked
    assert checked.localhost["changed"] == 1
    assert checked.result["status"] == "skipped" and calls(bin_dir, "kubectl") == []
    done = run(tmp_path, dict(PET, method="DELETE", timeout=5))
    assert done.rc == 0, done
    assert done.localhost["changed"] == 1
    assert done.result["status"] == "ok" and done.result["body"] == "Pet deleted" and done.result["json"] is None
    assert calls(bin_dir, "kubectl") == [f"--request-timeout=5s delete --raw {URL}"]


def test_delete_of_what_is_gone_is_no_change(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stderr=FIXTURES / "get-pet-not-found.stderr", rc=1)])
    res = run(tmp_path, dict(PET, method="DELETE"))
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0 and res.result["status"] == "not_found"


def test_a_huge_binary_body_is_bounded_and_cleaned(tmp_path, bin_dir):
    body = tmp_path / "body.bin"
    body.write_bytes((bytes(range(256)) + b"\x1b[2J") * 400)
    write(bin_dir, "kubectl", [Reply(stdout=body)])
    res = run(tmp_path, PET)
    assert res.rc == 0, res
    assert res.result["truncated"] is True and res.result["json"] is None
    assert len(res.result["body"]) < 70000 and "\x1b" not in res.result["body"] and "\x00" not in res.result["body"]


@pytest.mark.parametrize("args, message", [
    ({"path": "api/../../secrets"}, "'..' segment"),
    ({"port": "HTTP"}, "neither a number"),
    ({"service": "Petstore"}, "not a Service name"),
    ({"timeout": 0}, "give 1 to 3600 seconds"),
    ({"method": "POST"}, "value of method must be one of"),
    ({"pod": "petstore-1"}, "mutually exclusive"),
])
def test_bad_options_are_refused_before_running(tmp_path, bin_dir, args, message):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "get-pet-found.stdout")])
    res = run(tmp_path, dict(PET, **args))
    assert res.rc == 2, res
    assert message in res.stdout, res
    assert calls(bin_dir, "kubectl") == []


def test_a_kubectl_path_that_is_not_a_program_is_reported(tmp_path, bin_dir):
    res = run(tmp_path, dict(PET, kubectl_path=str(tmp_path / "no-such-kubectl")))
    assert res.rc == 2, res
    assert "kubectl_path is" in res.stdout and "which is not an executable file" in res.stdout


def test_a_pod_is_read_through_the_pod_proxy(tmp_path, bin_dir):
    write(bin_dir, "kubectl", [Reply(stdout=FIXTURES / "get-pet-found.stdout")])
    args = {k: v for k, v in PET.items() if k != "service"}
    res = run(tmp_path, dict(args, pod="petstore-6c9f8d7b5-x2k4p"))
    assert res.rc == 0, res
    url = "/api/v1/namespaces/petstore/pods/petstore-6c9f8d7b5-x2k4p:8080/proxy/api/v3/pet/4711"
    assert res.result["url"] == url and res.result["json"]["id"] == 4711
    assert calls(bin_dir, "kubectl") == [f"--request-timeout=30s get --raw {url}"]
