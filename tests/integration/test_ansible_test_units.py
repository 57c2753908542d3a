# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-test units`` from a plain collection tree, the way the ecosystem runs unit tests.

The tree is what ``git archive`` would give (tracked files, plus untracked files that are not
ignored, so a work in progress is tested as it would be committed) copied to
``<tmp>/ansible_collections/mcpmesh/platform`` with the dependencies beside it: no ``.collections``,
no ``make setup``. tests/conftest.py must find the collection from there by itself.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import BIN, COLLECTIONS, ansible_env
from test_sanity import copy_tree


@pytest.mark.slow
def test_ansible_test_units_in_a_plain_collection_tree(tmp_path):
    tree = tmp_path / "ansible_collections"
    coll = tree / "mcpmesh" / "platform"
    copy_tree(coll)
    assert not (coll / ".collections").exists()
    for dep in ("kubernetes/core", "community/crypto"):
        shutil.copytree(COLLECTIONS / "ansible_collections" / dep, tree / dep, symlinks=True)

    env = ansible_env()
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        [str(BIN / "ansible-test"), "units", "--python", "3.11", "--color", "no"],
        cwd=coll, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    assert " passed" in output and " failed" not in output, output[-4000:]
