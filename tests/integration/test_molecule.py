# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs every molecule scenario under molecule/.

Render-only scenarios run everywhere. Scenarios named ``*-cluster`` build a real
kind cluster: they run where a Docker engine, kind, helm and the linkerd CLI are
present, and are skipped with a message naming what is missing elsewhere.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env

SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def missing_for_real_cluster() -> list[str]:
    missing = []
    if shutil.which("docker") is None:
        missing.append("the docker CLI")
    elif subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        missing.append("a running Docker engine (docker info fails)")
    missing += [f"the {tool} CLI" for tool in ("kind", "helm", "linkerd") if shutil.which(tool) is None]
    return missing


def test_every_role_has_a_render_only_scenario():
    assert ROLES, "no roles found"
    without = [role for role in ROLES if role != "preflight" and role not in SCENARIOS]
    assert not without, f"roles without a render-only molecule scenario: {without}"
    assert "default" in SCENARIOS  # the preflight role, and what `molecule test` runs with no -s


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    if scenario.endswith("-cluster"):
        missing = missing_for_real_cluster()
        if missing:
            pytest.skip(f"real-cluster scenario {scenario} needs {', '.join(missing)}; "
                        "it runs in .github/workflows/kind-e2e.yml and wherever those exist")
    proc = subprocess.run(
        [str(BIN / "molecule"), "test", "-s", scenario],
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=1800, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    assert "failed=0" in output and "idempotence" in output.lower(), output[-4000:]
