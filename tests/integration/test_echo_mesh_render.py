# SPDX-License-Identifier: GPL-3.0-or-later
"""Render-only: the echo check carries its mesh settings in the artifacts, and the verification plans say
what they will prove (the echo mesh, the marker pet, the mTLS edges, the Key Metrics verdict).

``site.yml`` and ``playbooks/verify.yml`` with ``mcpmesh_apply=false``: no cluster, no CLI.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_playbook

pytestmark = pytest.mark.slow
ENV = {"COSMONIC_LICENSE_KEY": "fake-cosmonic-licence-echo", "BUOYANT_LICENSE": "fake-buoyant-licence-echo"}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, object]:
    artifacts = tmp_path_factory.mktemp("artifacts")
    run = run_playbook(ROOT / "site.yml", extra_vars={"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(artifacts)},
                       env=ENV)
    return artifacts, run


def echo_objects(artifacts: Path) -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((artifacts / "metallb" / "echo.yml").read_text()) if d]
    return {d["kind"]: d for d in docs}


def test_echo_artifacts_carry_the_mesh_settings(rendered):
    artifacts, run = rendered
    assert run.rc == 0, run
    objects = echo_objects(artifacts)
    assert objects["Namespace"]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    template = objects["Deployment"]["spec"]["template"]["metadata"]
    assert template["annotations"] == {"linkerd.io/inject": "enabled"}, template


def test_echo_mesh_can_be_switched_off(tmp_path):
    """metallb_echo_linkerd_inject=false renders echo without any mesh setting."""
    extra_vars = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path), "metallb_echo_linkerd_inject": False}
    run = run_playbook(ROOT / "site.yml", extra_vars=extra_vars, env=ENV)
    assert run.rc == 0, run
    objects = echo_objects(tmp_path)
    assert "annotations" not in objects["Namespace"]["metadata"]
    assert "annotations" not in objects["Deployment"]["spec"]["template"]["metadata"]


def test_verify_plans_name_the_echo_mesh_and_the_petstore_proofs(rendered):
    artifacts = rendered[0]
    run = run_playbook(ROOT / "playbooks" / "verify.yml",
                       extra_vars={"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(artifacts)}, env=ENV)
    assert run.rc == 0, run
    assert run.localhost["changed"] == 0, run
    out = flat(run.stdout)
    assert ("when Linkerd is installed, that every echo pod carries a linkerd-proxy and "
            "`linkerd viz stat deployment -n echo` shows its traffic") in out, run
    assert "write, read back and delete a marker pet through MCP and read it from the in-cluster backend petstore:8080" in out
    assert "the mTLS edges host -> backend and ingress -> host" in out and "Key Metrics verdict (gate critical)" in out
