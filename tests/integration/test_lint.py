# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-lint with the production profile over the whole collection."""
from __future__ import annotations

import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env


@pytest.mark.slow
def test_ansible_lint_production_profile():
    proc = subprocess.run(
        [str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=900, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    assert "Profile 'production' was required, and it passed." in output, output[-4000:]
