# SPDX-License-Identifier: GPL-3.0-or-later
"""Render ``site.yml`` render-only with the defaults and store the artifacts in tests/golden/site.json.

One JSON object, artifact path -> its text, so linters do not take the stored copies for the
collection's own YAML.

Run it (``.venv/bin/python tests/golden/update.py``) when a change is meant to alter what the
roles render; tests/integration/test_render_golden.py compares every later render against it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "site.json"
BIN = Path(sys.executable).parent
# Licences as users pass them; neither may reach an artifact (other tests check that), and the
# stored copy must not depend on whether one is set in the caller's environment.
ENV = {"BUOYANT_LICENSE": "", "COSMONIC_LICENSE_KEY": ""}


def render(dest: Path) -> Path:
    """Render site.yml render-only into dest; fail loudly when the run fails."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
               ANSIBLE_NOCOLOR="1", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **ENV)
    extra = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(dest)}
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(ROOT / "site.yml"), "-e", json.dumps(extra)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"render-only site.yml failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return dest


def files_under(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        stored = files_under(render(Path(tmp) / "artifacts"))
    GOLDEN.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    print(f"stored {len(stored)} artifacts in {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
