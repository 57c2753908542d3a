# SPDX-License-Identifier: GPL-3.0-or-later
"""What users get: the built collection tarball and the changelog.

* ``ansible-galaxy collection build`` leaves out the development set-up (``ansible.cfg``,
  ``inventory/``, ``Makefile``, ``tools/``, ...), which means nothing in an installed collection,
  and keeps what users run.
* ``antsibull-changelog lint`` accepts the fragments, and no fragment announces a new module or
  role: antsibull-changelog lists those itself from ``version_added``.
"""
from __future__ import annotations

import subprocess
import tarfile

import pytest
import yaml

from conftest import BIN, ROOT, ansible_env

DEV_ONLY = ("ansible.cfg", "inventory/", "Makefile", "tools/", "benchmarks/", ".github/", ".venv/",
            ".collections/", "pytest.ini", "requirements-test.txt")
SHIPPED = ("galaxy.yml", "meta/runtime.yml", "site.yml", "plugins/modules/mcp_verify.py", "roles/linkerd/tasks/main.yml",
           "playbooks/teardown.yml", "README.md")


@pytest.mark.slow
def test_built_tarball_leaves_out_the_development_set_up(tmp_path):
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path)],
                          cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = tmp_path.glob("mcpmesh-platform-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    leaked = [n for n in names if any(n == d.rstrip("/") or n.startswith(d) for d in DEV_ONLY)]
    assert not leaked, leaked
    shipped = set(names)
    assert set(SHIPPED) - {"galaxy.yml"} <= shipped, set(SHIPPED) - shipped


def test_version_is_a_development_version_between_releases():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    released = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text()).get("releases") or {}
    assert galaxy["version"] not in released, "galaxy.yml names a released version; bump it to the next -dev0"
    assert "-dev" in galaxy["version"], galaxy["version"]


def test_no_fragment_announces_a_new_module_or_role():
    for fragment in sorted((ROOT / "changelogs" / "fragments").glob("*.y*ml")):
        data = yaml.safe_load(fragment.read_text()) or {}
        for section, entries in data.items():
            if section == "release_summary":
                continue
            for entry in entries:
                assert " - new module" not in entry and " - new role" not in entry, (fragment.name, entry)


@pytest.mark.slow
def test_antsibull_changelog_lint_accepts_the_fragments():
    proc = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
