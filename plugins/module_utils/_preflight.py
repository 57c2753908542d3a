# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic for the preflight checks: version parsing and the report."""
from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
# What a min_version may be: MAJOR.MINOR[.PATCH], with a "v" or a channel prefix ("edge-").
_MIN_VERSION = re.compile(r"^(?:[a-z]+-)?v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?$")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first MAJOR.MINOR[.PATCH] in text: ``kind v0.32.0 go1.24`` -> (0, 32, 0).

    Linkerd's channel prefixes are skipped the same way: ``edge-26.8.3`` -> (26, 8, 3),
    ``enterprise-2.19.4`` -> (2, 19, 4).
    """
    if not text:
        return None
    match = _VERSION.search(text)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def parse_min_version(text) -> tuple[int, int, int] | None:
    """A ``min_version`` as given by the user; None unless it is exactly a version."""
    match = _MIN_VERSION.match(text.strip()) if isinstance(text, str) else None
    return (int(match[1]), int(match[2]), int(match[3] or 0)) if match else None


def input_problems(tools: list[dict], ports: list[dict]) -> list[str]:
    """What is wrong with the module's own options (not the host): versions that are not versions,
    port numbers outside 1..65535. Each line names the option."""
    problems = []
    for index, tool in enumerate(tools):
        wanted = tool.get("min_version")
        if wanted not in (None, "") and parse_min_version(wanted) is None:
            problems.append(f"tools[{index}] ({_text.quote(tool.get('name'), 60)}): min_version {_text.quote(wanted, 60)} "
                            "is not a version; write MAJOR.MINOR or MAJOR.MINOR.PATCH, for example 0.27.0")
    for index, spec in enumerate(ports):
        port = spec.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            problems.append(f"ports[{index}]: port {_text.quote(port, 40)} is not a TCP port number (1 to 65535)")
        address = spec.get("address")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            problems.append(f"ports[{index}]: address {_text.quote(address, 60)} is not an IP address "
                            "(0.0.0.0 for every IPv4 address, :: for every IPv6 one)")
    return problems


def version_text(version: tuple[int, int, int] | None) -> str:
    return "unknown" if version is None else ".".join(map(str, version))


def kubectl_client_version(stdout: str) -> str:
    """``kubectl version --client -o json`` -> the client gitVersion (or the raw text)."""
    try:
        return json.loads(stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        return stdout.strip()


def tool_version_output(name: str, stdout: str) -> str:
    """The part of a version command's output that carries the version."""
    if name == "kubectl":
        return kubectl_client_version(stdout)
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if name == "linkerd":
        # `linkerd version --client --short` prints the version alone; older CLIs add
        # a "Client version:" prefix. Either way the first line carries it.
        return lines[0].split(":", 1)[-1].strip() if lines else ""
    return lines[0] if lines else ""


def check_tool(name: str, found_path: str | None, version_output: str | None,
               min_version: str | None, hint: str) -> dict:
    """One row of the report for a CLI."""
    row = {"name": name, "kind": "tool", "path": found_path, "wanted": min_version or "any",
           "found": None, "ok": False, "hint": hint}
    if not found_path:
        row["problem"] = f"{name} is not on PATH"
        return row
    version = parse_version(version_output or "")
    row["found"] = version_text(version)
    if min_version:
        wanted = parse_min_version(min_version)
        if wanted is None:
            row["problem"] = f"min_version {_text.quote(min_version, 60)} of {name} is not a version"
            return row
        if version is None:
            row["problem"] = (f"{name} at {found_path} did not report a version we can read "
                              f"({_text.quote(version_output or '', 120)})")
            return row
        if version < wanted:
            row["problem"] = f"{name} {version_text(version)} at {found_path} is older than {min_version}"
            return row
    row["ok"] = True
    return row


def check_value(name: str, is_set: bool, reason: str, hint: str) -> dict:
    row = {"name": name, "kind": "value", "ok": bool(is_set), "hint": hint}
    if not is_set:
        row["problem"] = f"{name} is not set ({reason})"
    return row


def format_report(rows: list[dict], render_hint: str | None) -> str:
    """One message listing everything missing, each line with what to do."""
    problems = [r for r in rows if not r["ok"]]
    lines = [f"preflight found {len(problems)} problem(s); nothing was created:"]
    for number, row in enumerate(problems, start=1):
        if number > 20:
            lines.append(f"  ... and {len(problems) - 20} more (see problems)")
            break
        lines.append(f"  {number}. {_text.clean(row['problem'], 500, False)}. {_text.clean(row['hint'], 500, False)}")
    if render_hint:
        lines.append(render_hint)
    return "\n".join(lines)
