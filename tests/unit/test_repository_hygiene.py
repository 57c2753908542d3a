# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository explains itself: no tracked file points at research notes users do not have.

Reasons the code depends on live in our own comments and docs/; fixture SOURCE notes name upstream
repositories, files and versions. Only tests may read the upstream data folder beside the checkout.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTES = re.compile(r"stack-facts|shared/reference|\.\./shared/seed|next-steps-facts|linkerd-policy-facts|"
                   r"petstore-mcp-server-observed|control-demos-analysis|ansible-toolchain\.md|mcp-wire\.md")


def tracked_files() -> list[Path]:
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / name for name in proc.stdout.decode().split("\0") if name]


def test_no_tracked_file_cites_the_research_notes():
    this = Path(__file__).resolve()
    found = []
    for path in tracked_files():
        if path.resolve() == this or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if NOTES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "say it in our own words (a comment or docs/), not by pointing at notes:\n" + "\n".join(found)
