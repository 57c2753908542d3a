# SPDX-License-Identifier: GPL-3.0-or-later
"""mcpmesh.platform.render_artifacts: a role's render and validate step in one task.

Runs the real action plugin through ``ansible-playbook`` from a throwaway role in tmp_path, so
templates are looked up in the calling role's ``templates/`` exactly as the collection's roles do.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import run_playbook

pytestmark = pytest.mark.slow

NAMESPACE = """# {{ ansible_managed }}
apiVersion: v1
kind: Namespace
metadata:
  name: {{ demo_namespace }}
"""
BAD_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
dataa: {}
"""
VALUES = """controller:
  logLevel: info
"""


def make_role(tmp_path: Path, files: list[dict], **task_args) -> Path:
    role = tmp_path / "roles" / "demo"
    (role / "templates").mkdir(parents=True, exist_ok=True)
    (role / "tasks").mkdir(parents=True, exist_ok=True)
    (role / "templates" / "namespace.yml.j2").write_text(NAMESPACE)
    (role / "templates" / "bad.yml.j2").write_text(BAD_CONFIGMAP)
    (role / "templates" / "values.yml.j2").write_text(VALUES)
    task = {"name": "Render and validate the demo artifacts.",
            "mcpmesh.platform.render_artifacts": {"dest": str(tmp_path / "out"), "files": files, **task_args},
            "register": "render"}
    copy = {"content": "{{ render | to_json }}", "dest": str(tmp_path / "result.json"), "mode": "0600"}
    keep = {"name": "Keep the result.", "ansible.builtin.copy": copy, "check_mode": False, "changed_when": False}
    (role / "tasks" / "main.yml").write_text(yaml.safe_dump([task, keep], sort_keys=False))
    playbook = tmp_path / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                         "vars": {"demo_namespace": "demo"}, "roles": ["demo"]}]))
    return playbook


def result(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "result.json").read_text())


GOOD = [{"template": "namespace.yml.j2", "name": "namespace.yml"},
        {"template": "values.yml.j2", "name": "values.yml", "validate": "helm_values", "chart": "metallb"},
        {"template": "bad.yml.j2", "name": "skipped.yml", "enabled": False}]


def test_renders_from_the_role_validates_and_is_idempotent(tmp_path):
    playbook = make_role(tmp_path, GOOD, kubernetes_version="1.36")
    first = run_playbook(playbook)
    assert first.rc == 0 and first.localhost["changed"] == 1, first
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["namespace.yml", "values.yml"]
    assert "name: demo" in (out / "namespace.yml").read_text()
    assert (out / "namespace.yml").read_text().startswith("# Ansible managed")
    res = result(tmp_path)
    assert res["files"] == {"namespace.yml": str(out / "namespace.yml"), "values.yml": str(out / "values.yml")}
    assert res["validation"].get("failed") is not True and "skipped" not in res["validation"], res
    second = run_playbook(playbook)
    assert second.rc == 0 and second.localhost["changed"] == 0, second


def test_check_mode_writes_nothing_and_validates_what_it_would_write(tmp_path):
    playbook = make_role(tmp_path, GOOD)
    run = run_playbook(playbook, "--check", "--diff")
    assert run.rc == 0 and run.localhost["changed"] == 1, run
    assert not (tmp_path / "out").exists()
    validation = result(tmp_path)["validation"]
    assert "skipped" not in validation and validation["values"] == [
        {"path": str(tmp_path / "out" / "values.yml"), "chart": "metallb"}], validation
    assert [o["kind"] for o in validation["objects"]] == ["Namespace"], validation
    assert "+  name: demo" in run.stdout, run  # the diff of a file that would be created


def test_check_mode_still_refuses_an_invalid_render(tmp_path):
    playbook = make_role(tmp_path, [{"template": "bad.yml.j2", "name": "bad.yml"}])
    run = run_playbook(playbook, "--check")
    assert run.rc != 0 and "dataa" in run.stdout, run
    assert not (tmp_path / "out").exists()


def test_an_invalid_manifest_fails_with_the_validators_message(tmp_path):
    playbook = make_role(tmp_path, [{"template": "bad.yml.j2", "name": "bad.yml"}])
    run = run_playbook(playbook)
    assert run.rc != 0 and run.localhost["failed"] == 1, run
    assert "bad.yml" in run.stdout and "dataa" in run.stdout, run


@pytest.mark.parametrize("files, message", [
    ([{"template": "namespace.yml.j2", "name": "../escape.yml"}], "without '..'"),
    ([{"template": "namespace.yml.j2", "name": "a.yml"}, {"template": "values.yml.j2", "name": "a.yml"}],
     "rendered twice"),
    ([{"template": "values.yml.j2", "name": "v.yml", "validate": "helm_values"}], "set its chart"),
    ([{"template": "values.yml.j2", "name": "v.yml", "validate": "maybe"}], "must be one of"),
    ([], "non-empty list"),
])
def test_wrong_items_are_refused_before_anything_is_written(tmp_path, files, message):
    playbook = make_role(tmp_path, files)
    run = run_playbook(playbook)
    assert run.rc != 0 and message in " ".join(run.stdout.split()), run
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escape.yml").exists()
