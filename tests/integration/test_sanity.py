# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-test sanity, offline.

ansible-test needs the collection at a real path ``.../ansible_collections/mcpmesh/platform``
with its dependencies beside it, so the checkout is copied into a temporary tree. Its
get-pip download is replaced by tests/sanity/get_pip_offline.py (see that file).
See tests/README.md for which sanity tests run and why.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, COLLECTIONS, ROOT, ansible_env

# The pip version ansible-test 2.19 bootstraps its sanity venvs with (get_venv_packages()).
PIP_BOOTSTRAP = "24_2"
SKIP_COPY = {".git", ".venv", ".collections", ".mcpmesh", ".ansible", ".pytest_cache", "node_modules", "output",
             "__pycache__"}


def copy_tree(dest: Path) -> None:
    """Copy what git would track (tracked plus untracked-but-not-ignored) into dest."""
    listing = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                             capture_output=True, check=False)
    if listing.returncode == 0:
        files = [f for f in listing.stdout.decode().split("\0") if f]
    else:
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and not SKIP_COPY.intersection(p.relative_to(ROOT).parts)]
    for rel in files:
        src = ROOT / rel
        if not src.is_file() or SKIP_COPY.intersection(Path(rel).parts):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


@pytest.mark.slow
def test_ansible_test_sanity(tmp_path):
    tree = tmp_path / "ansible_collections"
    coll = tree / "mcpmesh" / "platform"
    copy_tree(coll)
    for dep in ("kubernetes/core", "community/crypto"):
        shutil.copytree(COLLECTIONS / "ansible_collections" / dep, tree / dep, symlinks=True)
    # ansible-test lists files through git when the collection is a git work tree.
    subprocess.run(["git", "init", "-q"], cwd=coll, check=True)
    subprocess.run(["git", "add", "-A"], cwd=coll, check=True)

    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "tests" / "sanity" / "get_pip_offline.py", cache / f"get_pip_{PIP_BOOTSTRAP}.py")

    env = ansible_env()
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        [str(BIN / "ansible-test"), "sanity", "--venv", "--python", "3.11", "--color", "no"],
        cwd=coll, env=env, capture_output=True, text=True, timeout=1500, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-10000:]
    assert "Running sanity test \"validate-modules\"" in output, output[-4000:]
