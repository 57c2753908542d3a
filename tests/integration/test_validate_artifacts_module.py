# SPDX-License-Identifier: GPL-3.0-or-later
"""validate_artifacts through ansible-playbook: valid artifacts pass, broken ones fail with
the file and object named, and secrets in an artifact are caught without being echoed."""
from __future__ import annotations

import textwrap

import pytest

from conftest import run_module

pytestmark = pytest.mark.slow

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: echo\n  annotations: {linkerd.io/inject: enabled}\n"
DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: echo, namespace: echo}
    spec:
      replicas: 1
      selector: {matchLabels: {app: echo}}
      template:
        metadata: {labels: {app: echo}}
        spec:
          containers:
            - name: echo
              image: hashicorp/http-echo:1.0.0
              args: ["-listen=:8080", "-text=hello there"]
              ports: [{name: http, containerPort: 8080}]
    """)


def play(tmp_path, args: dict, check: bool = False):
    """The module run as Ansible runs it on its target (conftest.run_module); .stdout lists what it returned."""
    return run_module(tmp_path, "mcpmesh.platform.validate_artifacts", args, *(["--check"] if check else []))


def test_valid_core_objects_pass_in_check_mode_too(tmp_path):
    (tmp_path / "echo.yml").write_text(NAMESPACE + "---\n" + DEPLOYMENT)
    for check in (False, True):
        res = play(tmp_path, {"manifests": [str(tmp_path / "echo.yml")], "kubernetes_version": "v1.36.1"}, check)
        assert res.rc == 0, res
        assert res.localhost["changed"] == 0
        assert res.stdout.count("checked_by: kubernetes-validate") == 2, res


def test_broken_objects_fail_with_file_and_object_named(tmp_path):
    bad = DEPLOYMENT.replace("replicas: 1", "replicas: one")
    (tmp_path / "bad.yml").write_text(bad + "---\napiVersion: example.io/v1\nkind: Gadget\nmetadata: {name: g}\n")
    res = play(tmp_path, {"manifests": [str(tmp_path / "bad.yml")]})
    assert res.rc == 2, res
    assert "2 problem(s) in the rendered artifacts" in res.stdout, res
    assert "Deployment/echo/echo: spec.replicas: the string value is not of type 'integer'" in res.stdout, res
    assert "'one'" not in res.stdout, res  # values are never quoted: they may be secrets
    assert "no schema for custom resource Gadget (example.io/v1)" in res.stdout, res


def test_secret_in_an_artifact_is_caught_and_not_echoed(tmp_path):
    secret = "s3cr3t-licence-value-for-the-test"
    (tmp_path / "echo.yml").write_text(NAMESPACE.replace("echo\n", f"echo\n  labels: {{leak: {secret}}}\n", 1))
    res = play(tmp_path, {"manifests": [str(tmp_path / "echo.yml")], "forbidden": ["unrelated", secret]})
    assert res.rc == 2, res
    assert "holds secret value(s) number 2 of 'forbidden'" in res.stdout, res
    assert secret not in res.stdout + res.stderr


def test_missing_file_and_unsupported_version(tmp_path):
    res = play(tmp_path, {"manifests": [str(tmp_path / "absent.yml")]})
    assert res.rc == 2 and "cannot read artifact" in res.stdout and "render it before validating it" in res.stdout, res
    (tmp_path / "ns.yml").write_text(NAMESPACE)
    res = play(tmp_path, {"manifests": [str(tmp_path / "ns.yml")], "kubernetes_version": "1.20"})
    expected = "kubernetes-validate has no schemas for Kubernetes 1.20; set kubernetes_version to a release between 1.25 and 1.37"
    assert res.rc == 2 and expected in res.stdout, res
