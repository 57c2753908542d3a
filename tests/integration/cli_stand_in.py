# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in CLI for the module tests: it logs its arguments and answers from fixture files.

``write(bin_dir, "linkerd", [Reply(stdout=...), ...])`` puts an executable ``linkerd`` in
``bin_dir`` that gives the first reply on its first call, the second on the second, and the last
one on every call after that. ``calls(bin_dir)`` reads back the argument lines it was called with.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Reply:
    stdout: Path | None = None  # a file whose bytes go to stdout as they are
    stderr: Path | None = None
    rc: int = 0


def write(bin_dir: Path, name: str, replies: list[Reply]) -> Path:
    if not replies:
        raise ValueError("give at least one reply")
    log, counter = bin_dir / f"{name}.calls", bin_dir / f"{name}.count"
    lines = ["#!/bin/sh", f'printf "%s\\n" "$*" >> {shlex.quote(str(log))}',
             f'n=$(cat {shlex.quote(str(counter))} 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > {shlex.quote(str(counter))}']
    for index, reply in enumerate(replies, start=1):
        body = []
        if reply.stdout is not None:
            body.append(f"cat {shlex.quote(str(reply.stdout))}")
        if reply.stderr is not None:
            body.append(f"cat {shlex.quote(str(reply.stderr))} >&2")
        body.append(f"exit {reply.rc}")
        condition = f'[ "$n" -le {index} ]' if index < len(replies) else "true"
        lines.append(f"if {condition}; then " + "; ".join(body) + "; fi")
    path = bin_dir / name
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return path


def calls(bin_dir: Path, name: str) -> list[str]:
    log = bin_dir / f"{name}.calls"
    return log.read_text().splitlines() if log.exists() else []
