#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install this collection's Galaxy dependencies without Ansible Galaxy.

Ansible Galaxy is not reachable from our machines, but PyPI is, and the
community ``ansible`` package on PyPI bundles every collection we depend on.
This script downloads that one wheel (pinned, hash-checked), extracts only the
collections named in ``galaxy.yml``'s ``dependencies`` into
``DEST/ansible_collections/`` and links this checkout there as
``mcpmesh/platform`` so that ``mcpmesh.platform.*`` resolves from the checkout.

Users with Galaxy access can use ``ansible-galaxy collection install -r
requirements.yml`` instead; see the README.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# The last `ansible` release line that supports ansible-core 2.19 / Python 3.11.
ANSIBLE_WHEEL_VERSION = "12.3.0"
ANSIBLE_WHEEL_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
ROOT = Path(__file__).resolve().parent.parent


def dependencies() -> list[str]:
    import yaml  # available in the venv (PyYAML is an ansible-core dependency)

    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    return sorted(galaxy.get("dependencies") or {})


def installed_version(dest: Path, fqcn: str) -> str | None:
    ns, name = fqcn.split(".")
    manifest = dest / "ansible_collections" / ns / name / "MANIFEST.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text())["collection_info"]["version"]


def download_wheel(workdir: Path) -> Path:
    req = workdir / "req.txt"
    req.write_text(f"ansible=={ANSIBLE_WHEEL_VERSION} --hash=sha256:{ANSIBLE_WHEEL_SHA256}\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--require-hashes", "-r", str(req), "-d", str(workdir)],
        check=True,
    )
    return next(workdir.glob("ansible-*.whl"))


def link_self(dest: Path) -> None:
    ns_dir = dest / "ansible_collections" / "mcpmesh"
    ns_dir.mkdir(parents=True, exist_ok=True)
    link = ns_dir / "platform"
    target = os.path.relpath(ROOT, ns_dir)
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", default=str(ROOT / ".collections"))
    args = parser.parse_args()
    dest = Path(args.dest).resolve()
    wanted = [c for c in dependencies() if installed_version(dest, c) is None]
    if wanted:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = download_wheel(Path(tmp))
            with zipfile.ZipFile(wheel) as zf:
                names = zf.namelist()
                for fqcn in wanted:
                    prefix = "ansible_collections/{}/{}/".format(*fqcn.split("."))
                    members = [m for m in names if m.startswith(prefix)]
                    if not members:
                        print(f"{fqcn} is not bundled in ansible {ANSIBLE_WHEEL_VERSION}", file=sys.stderr)
                        return 1
                    zf.extractall(dest, members)
    for fqcn in dependencies():
        print(f"{fqcn} {installed_version(dest, fqcn)} in {dest}")
    link_self(dest)
    print(f"mcpmesh.platform -> {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
