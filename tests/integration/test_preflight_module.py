# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight module (run as Ansible runs it) and role (through ansible-playbook), with stand-in CLIs.

Each stand-in prints a recorded output from tests/fixtures/preflight (see SOURCE.md
there) and exits with the recorded status. PATH holds only the stand-ins, the venv
and /bin, so the machine's own tools do not leak in.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import NO_LICENCES, BIN, free_port, run_module, run_playbook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "preflight"
pytestmark = pytest.mark.slow


def stand_in(bin_dir: Path, name: str, cases: dict[str, tuple[str | None, str | None, int]]) -> None:
    """A shell script answering each first-two-arguments case with (stdout file, stderr file, rc)."""
    lines = ["#!/bin/sh", 'case "$1 $2" in']
    for pattern, (out, err, rc) in cases.items():
        body = []
        if out:
            body.append(f"cat '{FIXTURES / out}'")
        if err:
            body.append(f"cat '{FIXTURES / err}' >&2")
        body.append(f"exit {rc}")
        lines.append(f'  "{pattern}"*) ' + "; ".join(body) + " ;;")
    lines += ['  *) echo "stand-in $0: unexpected arguments: $*" >&2; exit 99 ;;', "esac"]
    path = bin_dir / name
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)


@pytest.fixture
def bin_dir(bin_dir):
    """conftest's empty folder, with the kubectl every preflight run finds."""
    stand_in(bin_dir, "kubectl", {"version --client": ("kubectl-version-client.json", None, 0)})
    return bin_dir


def run(tmp_path, bin_dir, args, *extra):
    return run_module(tmp_path, "mcpmesh.platform.preflight", args, *extra, bin_dir=bin_dir)


FULL = {
    "container_runtime": "docker",
    "tools": [{"name": "kind", "min_version": "0.27.0", "hint": "Install kind."},
              {"name": "kubectl", "min_version": "1.30.0", "hint": "Install kubectl."},
              {"name": "helm", "min_version": "3.8.0", "hint": "Install helm."},
              {"name": "linkerd", "hint": "Install linkerd."}],
    "values": [{"name": "linkerd_license", "is_set": False, "reason": "BEL needs it", "hint": "Export BUOYANT_LICENSE."},
               {"name": "cosmonic_license_key", "is_set": True}],
    "python_modules": ["yaml", "kubernetes_validate", "no_such_module_mcpmesh"],
    "render_hint": "Render only with -e mcpmesh_apply=false.",
}


def test_everything_missing_is_reported_at_once(tmp_path, bin_dir):
    stand_in(bin_dir, "docker", {"info --format": ("docker-info-no-engine.stdout", "docker-info-no-engine.stderr", 1)})
    res = run(tmp_path, bin_dir, FULL)
    assert res.rc == 2, res
    out = res.stdout
    assert "preflight found 6 problem(s); nothing was created:" in out, res
    for item in (
        "1. the Python module no_such_module_mcpmesh cannot be imported",
        "2. docker is installed but its engine does not answer (Cannot connect to the Docker daemon",
        "3. kind is not on PATH. Install kind.",
        "4. helm is not on PATH. Install helm.",
        "5. linkerd is not on PATH. Install linkerd.",
        "6. linkerd_license is not set (BEL needs it). Export BUOYANT_LICENSE.",
        "Render only with -e mcpmesh_apply=false.",
    ):
        assert item in out, (item, res)
    assert "Traceback" not in out + res.stderr


def test_all_present_passes_and_reports_versions(tmp_path, bin_dir):
    stand_in(bin_dir, "docker", {"info --format": (None, None, 0)})
    stand_in(bin_dir, "kind", {"version ": ("kind-version.stdout", None, 0),
                               "get clusters": (None, "kind-get-clusters-none.stderr", 0)})
    stand_in(bin_dir, "helm", {"version --short": ("helm-version-short.stdout", None, 0)})
    stand_in(bin_dir, "linkerd", {"version --client": ("linkerd-version-client-short.stdout", None, 0)})
    args = dict(FULL, values=[{"name": "linkerd_license", "is_set": True}],
                python_modules=["yaml"], ports=[{"port": free_port(), "address": "127.0.0.1"}], cluster_name="mcpmesh")
    res = run(tmp_path, bin_dir, args)
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0
    for found in ("found: 0.32.0", "found: 1.32.4", "found: 3.19.0", "found: 26.8.3", "cluster_exists: false"):
        assert found in res.stdout, (found, res)


def test_old_tool_and_taken_port(tmp_path, bin_dir):
    stand_in(bin_dir, "kind", {"version ": ("kind-version-old.stdout", None, 0),
                               "get clusters": (None, "kind-get-clusters-none.stderr", 0)})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = {"container_runtime": "none", "tools": [{"name": "kind", "min_version": "0.27.0"}],
                "ports": [{"port": port, "address": "127.0.0.1", "hint": "Free it."}], "cluster_name": "mcpmesh"}
        res = run(tmp_path, bin_dir, args)
    assert res.rc == 2, res
    assert f"kind 0.20.0 at {bin_dir}/kind is older than 0.27.0" in res.stdout, res
    assert f"port {port} on 127.0.0.1 is already in use. Free it." in res.stdout, res


def test_a_port_held_by_our_own_cluster_is_not_a_problem(tmp_path, bin_dir):
    stand_in(bin_dir, "kind", {"get clusters": ("kind-get-clusters.stdout", None, 0)})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args = {"container_runtime": "none", "cluster_name": "mcpmesh",
                "ports": [{"port": busy.getsockname()[1], "address": "127.0.0.1"}]}
        res = run(tmp_path, bin_dir, args, "--check")
    assert res.rc == 0, res
    assert "cluster_exists: true" in res.stdout, res


def test_disabled_checks_are_skipped_and_report_only_mode(tmp_path, bin_dir):
    args = {"container_runtime": "none", "fail_on_problems": False,
            "tools": [{"name": "kind", "enabled": False}, {"name": "helm"}],
            "values": [{"name": "x", "is_set": False, "enabled": False}]}
    res = run(tmp_path, bin_dir, args)
    assert res.rc == 0, res
    assert "- 'helm is not on PATH." in res.stdout or "- helm is not on PATH." in res.stdout, res
    assert "kind is not on PATH" not in res.stdout and "x is not set" not in res.stdout, res


def test_role_stops_a_real_run_without_docker_with_one_message(tmp_path, bin_dir):
    stand_in(bin_dir, "docker", {"info --format": ("docker-info-no-engine.stdout", "docker-info-no-engine.stderr", 1)})
    pb = tmp_path / "role.yml"
    pb.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [mcpmesh.platform.preflight]\n")
    res = run_playbook(pb, env={"PATH": f"{bin_dir}:{BIN}:/bin", **NO_LICENCES})
    assert res.rc == 2, res
    # The engine, kind, helm and linkerd; no licence: auto picks edge without a Buoyant licence, and
    # the default Cosmonic line (0.4) needs none.
    assert "preflight found 4 problem(s); nothing was created:" in res.stdout, res
    assert "licen" not in " ".join(res.stdout.split()).lower().split("nothing was created:")[1].split("PLAY RECAP")[0], res
    assert "ansible-playbook site.yml -e mcpmesh_apply=false" in res.stdout, res


def test_role_asks_for_the_licences_only_the_chosen_lines_need(tmp_path, bin_dir):
    stand_in(bin_dir, "docker", {"info --format": ("docker-info-no-engine.stdout", "docker-info-no-engine.stderr", 1)})
    pb = tmp_path / "role.yml"
    pb.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [mcpmesh.platform.preflight]\n")
    res = run_playbook(pb, "-e", "linkerd_distribution=enterprise", "-e", "cosmonic_chart_version=0.3.0",
                       env={"PATH": f"{bin_dir}:{BIN}:/bin", **NO_LICENCES})
    assert res.rc == 2, res
    flat = " ".join(res.stdout.split())
    assert "preflight found 6 problem(s); nothing was created:" in flat, res
    assert "BUOYANT_LICENSE" in flat and "COSMONIC_LICENSE_KEY" in flat, res


def test_role_in_render_only_mode_needs_no_engine_and_no_cli(tmp_path, bin_dir):
    pb = tmp_path / "role.yml"
    pb.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [mcpmesh.platform.preflight]\n")
    res = run_playbook(pb, "-e", "mcpmesh_apply=false", env={"PATH": f"{bin_dir}:{BIN}:/bin"})
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0 and res.localhost["failed"] == 0
