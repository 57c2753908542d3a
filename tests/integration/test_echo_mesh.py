# SPDX-License-Identifier: GPL-3.0-or-later
"""The metallb role's verification of the echo check, meshed like petstore (the seed's Step 4,
``linkerd viz stat deployment -n echo``), against a stand-in cluster.

The API server is ``fake_kube_api.FakeApiServer`` (the objects each test gives it); the echo
LoadBalancer's address is 127.0.0.1, where a small HTTP server answers "hello there"; the stand-in
``linkerd`` prints tests/fixtures/petstore/stat-echo.json (see SOURCE.md there).
"""
from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import run_playbook
from fake_kube_api import FakeApiServer, deployment, pod
from mcp_peers import LocalHTTPServer

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "petstore"
INJECTOR = {"metadata": {"name": "linkerd-proxy-injector-webhook-config"}, "webhooks": []}


class Echo(LocalHTTPServer):
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                body = b"hello there\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def echo():
    with Echo() as running:
        yield running


@pytest.fixture
def api():
    with FakeApiServer() as running:
        running.objects[("metallb-system", "ipaddresspools")] = [
            {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
             "metadata": {"name": "mcpmesh-pool", "namespace": "metallb-system"}, "spec": {"addresses": ["127.0.0.1/32"]}}]
        running.objects[("echo", "deployments")] = [deployment("echo", "echo", {"app": "echo"})]
        running.objects[("echo", "services")] = [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "echo", "namespace": "echo"},
             "spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}}]
        yield running


def run_echo_verify(tmp_path: Path, api: FakeApiServer, echo: Echo, **extra):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "linkerd").exists():
        (bin_dir / "linkerd").symlink_to(FIXTURES / "bin" / "linkerd")
    log = tmp_path / "cli-calls.log"
    playbook = tmp_path / "verify.yml"
    playbook.write_text(
        "- name: Run the metallb role's verification.\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Verify MetalLB and the echo check.\n"
        "      ansible.builtin.include_role:\n"
        "        name: mcpmesh.platform.metallb\n"
        "        tasks_from: verify\n")
    extra_vars = {"metallb_apply": True, "metallb_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
                  "metallb_echo_port": echo.port, "metallb_echo_timeout": 5, **extra}
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "STANDIN_LOG": str(log),
           "STANDIN_FIXTURES": str(FIXTURES), "STANDIN_STAT": "stat-echo.json", "STANDIN_EDGES": json.dumps({})}
    res = run_playbook(playbook, extra_vars=extra_vars, env=env, timeout=300)
    res.flat = " ".join(res.stdout.split())
    res.linkerd_calls = log.read_text().splitlines() if log.exists() else []
    return res


def test_meshed_echo_is_checked_like_petstore(tmp_path, api, echo):
    api.objects[("", "mutatingwebhookconfigurations")] = [INJECTOR]
    api.objects[("echo", "pods")] = [pod("echo-5d8f-abcde", "echo", meshed=True)]
    res = run_echo_verify(tmp_path, api, echo)
    assert res.rc == 0, res
    assert "MetalLB works" in res.flat and "hello there" in res.flat, res
    assert "echo: 1/1 running pods carry a linkerd-proxy" in res.flat, res
    assert any(" viz stat deployment -n echo " in f" {c} " for c in res.linkerd_calls), res.linkerd_calls


def test_an_unmeshed_echo_pod_fails_when_linkerd_is_there(tmp_path, api, echo):
    api.objects[("", "mutatingwebhookconfigurations")] = [INJECTOR]
    api.objects[("echo", "pods")] = [pod("echo-5d8f-abcde", "echo", meshed=False)]
    res = run_echo_verify(tmp_path, api, echo)
    assert res.rc != 0, res
    assert "0/1 running pods in namespace echo carry a linkerd-proxy" in res.flat, res
    assert "echo-5d8f-abcde" in res.flat, res


def test_without_linkerd_the_echo_mesh_is_not_checked_and_says_so(tmp_path, api, echo):
    api.objects[("echo", "pods")] = [pod("echo-5d8f-abcde", "echo", meshed=False)]
    res = run_echo_verify(tmp_path, api, echo)
    assert res.rc == 0, res
    assert "Echo mesh not checked: Linkerd is not installed (yet)" in res.flat, res
    assert res.linkerd_calls == []


def test_echo_mesh_always_fails_without_linkerd(tmp_path, api, echo):
    res = run_echo_verify(tmp_path, api, echo, metallb_echo_mesh="always")
    assert res.rc != 0, res
    assert "metallb_echo_mesh=always, but Linkerd's proxy injector" in res.flat, res


def run_restart_annotated(tmp_path: Path, api: FakeApiServer):
    playbook = tmp_path / "restart.yml"
    playbook.write_text(
        "- name: Restart what asked for injection before Linkerd.\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Restart the un-meshed Deployments of annotated namespaces.\n"
        "      ansible.builtin.include_role:\n"
        "        name: mcpmesh.platform.linkerd\n"
        "        tasks_from: restart_annotated\n")
    extra_vars = {"linkerd_apply": True, "linkerd_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
                  "linkerd_restart_timeout": 10}
    res = run_playbook(playbook, extra_vars=extra_vars, timeout=300)
    res.flat = " ".join(res.stdout.split())
    return res


def namespace(name: str, inject: str | None) -> dict:
    return {"metadata": {"name": name, **({"annotations": {"linkerd.io/inject": inject}} if inject else {})}}


def test_linkerd_installed_after_metallb_restarts_echo(tmp_path):
    """MetalLB first: echo runs without a proxy; after installing, the linkerd role restarts it, and only the
    Deployments of namespaces annotated for injection. The stand-in's pods stay un-meshed, so the check of
    the new pods fails, naming echo: the restart happened and was checked."""
    with FakeApiServer() as api:
        api.objects[("", "namespaces")] = [namespace("echo", "enabled"), namespace("default", None),
                                           namespace("linkerd", "disabled")]
        api.objects[("echo", "deployments")] = [deployment("echo", "echo", {"app": "echo"})]
        api.objects[("echo", "pods")] = [{**pod("echo-5d8f-abcde", "echo", meshed=False),
                                          "metadata": {"name": "echo-5d8f-abcde", "namespace": "echo",
                                                       "labels": {"app": "echo"}}}]
        res = run_restart_annotated(tmp_path, api)
        assert res.rc != 0, res
        assert "these Deployments in echo still run pods without a linkerd-proxy: echo" in res.flat, res
        patched = [path for path, _body in api.patches]
        assert patched == ["/apis/apps/v1/namespaces/echo/deployments/echo"], api.patches
        restarted_at = api.patches[0][1]["spec"]["template"]["metadata"]["annotations"]
        assert "kubectl.kubernetes.io/restartedAt" in restarted_at, api.patches
        assert not any("/namespaces/default/" in r for r in api.requests), api.requests


def test_a_meshed_cluster_restarts_nothing(tmp_path):
    with FakeApiServer() as api:
        api.objects[("", "namespaces")] = [namespace("echo", "enabled")]
        api.objects[("echo", "deployments")] = [deployment("echo", "echo", {"app": "echo"})]
        api.objects[("echo", "pods")] = [{**pod("echo-5d8f-abcde", "echo", meshed=True),
                                          "metadata": {"name": "echo-5d8f-abcde", "namespace": "echo",
                                                       "labels": {"app": "echo"}}}]
        res = run_restart_annotated(tmp_path, api)
        assert res.rc == 0, res
        assert res.localhost["changed"] == 0, res
        assert api.patches == []
