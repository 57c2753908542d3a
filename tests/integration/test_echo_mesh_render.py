# SPDX-License-Identifier: GPL-3.0-or-later
"""Render-only: switching the echo check's mesh off (a render of the metallb role alone: nothing else reads
that variable). That site.yml renders echo meshed, and that verify.yml's plans name the echo mesh and the
Petstore proofs, is checked on the one site render of tests/integration/test_render_playbooks.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_playbook

pytestmark = pytest.mark.slow
ENV = {"COSMONIC_LICENSE_KEY": "fake-cosmonic-licence-echo", "BUOYANT_LICENSE": "fake-buoyant-licence-echo"}


def echo_objects(artifacts: Path) -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((artifacts / "metallb" / "echo.yml").read_text()) if d]
    return {d["kind"]: d for d in docs}


def test_echo_mesh_can_be_switched_off(tmp_path):
    """metallb_echo_linkerd_inject=false renders echo without any mesh setting."""
    playbook = tmp_path / "metallb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Render the metallb role.", "ansible.builtin.include_role": {"name": "mcpmesh.platform.metallb"}}]}]))
    extra_vars = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path), "metallb_echo_linkerd_inject": False}
    run = run_playbook(playbook, extra_vars=extra_vars, env=ENV)
    assert run.rc == 0, run
    objects = echo_objects(tmp_path)
    assert "annotations" not in objects["Namespace"]["metadata"]
    assert "annotations" not in objects["Deployment"]["spec"]["template"]["metadata"]
