# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _preflight as pf

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "preflight"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind v0.32.0 go1.24.5 linux/amd64", (0, 32, 0)),
        ("v3.19.0+g3d8990f", (3, 19, 0)),
        ("v1.32.4-dispatcher", (1, 32, 4)),
        ("edge-26.8.3", (26, 8, 3)),
        ("enterprise-2.19.4", (2, 19, 4)),
        ("Client version: stable-2.14.10", (2, 14, 10)),
        ("1.30", (1, 30, 0)),
        ("no digits here", None),
        ("", None),
    ],
)
def test_parse_version(text, expected):
    assert pf.parse_version(text) == expected


def test_kubectl_client_version_reads_the_recorded_json():
    stdout = (FIXTURES / "kubectl-version-client.json").read_text()
    assert pf.tool_version_output("kubectl", stdout) == "v1.32.4-dispatcher"


def test_kubectl_client_version_falls_back_to_the_raw_text():
    assert pf.kubectl_client_version("Client Version: v1.31.0\n") == "Client Version: v1.31.0"


@pytest.mark.parametrize(
    ("name", "fixture", "expected"),
    [
        ("kind", "kind-version.stdout", "kind v0.32.0 go1.24.5 linux/amd64"),
        ("helm", "helm-version-short.stdout", "v3.19.0+g3d8990f"),
        ("linkerd", "linkerd-version-client-short.stdout", "edge-26.8.3"),
    ],
)
def test_tool_version_output(name, fixture, expected):
    assert pf.tool_version_output(name, (FIXTURES / fixture).read_text()) == expected


def test_check_tool_missing():
    row = pf.check_tool("kind", None, None, "0.27.0", "Install kind.")
    assert row["ok"] is False
    assert row["problem"] == "kind is not on PATH"


def test_check_tool_too_old():
    row = pf.check_tool("kind", "/bin/kind", "kind v0.20.0 go1.20 linux/amd64", "0.27.0", "Upgrade.")
    assert row["ok"] is False
    assert row["problem"] == "kind 0.20.0 at /bin/kind is older than 0.27.0"


def test_check_tool_unreadable_version_with_minimum():
    row = pf.check_tool("helm", "/bin/helm", "garbage", "3.8.0", "")
    assert row["ok"] is False
    assert "did not report a version" in row["problem"]


def test_check_tool_new_enough_and_without_minimum():
    assert pf.check_tool("helm", "/bin/helm", "v3.19.0+g1", "3.8.0", "")["ok"] is True
    row = pf.check_tool("linkerd", "/bin/linkerd", "edge-26.8.3", None, "")
    assert row["ok"] is True and row["found"] == "26.8.3" and row["wanted"] == "any"


def test_check_value():
    assert pf.check_value("linkerd_license", True, "x", "")["ok"] is True
    row = pf.check_value("linkerd_license", False, "BEL needs a licence", "Export BUOYANT_LICENSE.")
    assert row["problem"] == "linkerd_license is not set (BEL needs a licence)"


def test_format_report_lists_every_problem_with_its_hint():
    rows = [
        {"ok": True, "problem": "ignored", "hint": ""},
        {"ok": False, "problem": "kind is not on PATH", "hint": "Install kind."},
        {"ok": False, "problem": "linkerd_license is not set (x)", "hint": "Export BUOYANT_LICENSE."},
    ]
    text = pf.format_report(rows, "Render only with -e mcpmesh_apply=false.")
    assert text.splitlines() == [
        "preflight found 2 problem(s); nothing was created:",
        "  1. kind is not on PATH. Install kind.",
        "  2. linkerd_license is not set (x). Export BUOYANT_LICENSE.",
        "Render only with -e mcpmesh_apply=false.",
    ]
