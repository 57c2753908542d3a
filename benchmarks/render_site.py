#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long does the render-only site.yml take here?

Runs ``ansible-playbook site.yml -e mcpmesh_apply=false`` a few times into a
temporary artifacts folder and prints the wall times: the first run (renders
everything) and the following ones (nothing changes). Numbers only; not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs after the first (default 3)")
    args = parser.parse_args()
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(BIN / "ansible-playbook"), "site.yml", "-e", "mcpmesh_apply=false",
               "-e", f"mcpmesh_artifacts_dir={tmp}/artifacts"]
        times = []
        for _run in range(args.runs + 1):
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
                return proc.returncode
        files = sum(1 for p in Path(tmp, "artifacts").rglob("*") if p.is_file())
    print(f"render-only site.yml, {files} artifacts, {os.cpu_count()} cores")
    print(f"first run (renders everything): {times[0]:.2f} s")
    print(f"later runs (changed=0), median of {args.runs}: {statistics.median(times[1:]):.2f} s "
          f"(min {min(times[1:]):.2f}, max {max(times[1:]):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
