# SPDX-License-Identifier: GPL-3.0-or-later
"""The doc fragments (plugins/doc_fragments): literal pieces that never set the same field, listed by the modules."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.doc_fragments import _attributes, _kubernetes, _linkerd_viz

ROOT = Path(__file__).resolve().parents[2]
PIECES = {
    "_attributes": _attributes.ModuleDocFragment.DOCUMENTATION,
    "_attributes.CHANGES": _attributes.ModuleDocFragment.CHANGES,
    "_attributes.READ_ONLY": _attributes.ModuleDocFragment.READ_ONLY,
    "_kubernetes": _kubernetes.ModuleDocFragment.DOCUMENTATION,
    "_linkerd_viz": _linkerd_viz.ModuleDocFragment.DOCUMENTATION,
}
NO_CHANGE = ["This action does not modify state."]


def piece(name: str) -> dict:
    return yaml.safe_load(PIECES[name])


def listed_fragments(path: Path) -> list:
    docs = path.read_text(encoding="utf-8").split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0]
    return yaml.safe_load(docs).get("extends_documentation_fragment") or []


@pytest.mark.parametrize("name", sorted(PIECES))
def test_every_fragment_is_yaml_with_options_or_attributes(name):
    doc = piece(name)
    assert isinstance(doc, dict) and ("options" in doc or "attributes" in doc)


@pytest.mark.parametrize("support", ["_attributes.CHANGES", "_attributes.READ_ONLY"])
def test_no_two_pieces_set_the_same_field_so_their_order_does_not_matter(support):
    # Ansible merges a fragment's attribute (or option) fields under what is already there: two pieces
    # setting the same field would make the listing order decide. CHANGES and READ_ONLY are alternatives
    # (a module lists one of them, checked below), so each is checked with the others.
    seen: dict = {}
    for name in ("_attributes", support, "_kubernetes", "_linkerd_viz"):
        doc = piece(name)
        for top in set(doc) - {"options", "attributes"}:
            assert top not in seen, (name, top, seen.get(top))
            seen[top] = name
        for section in ("options", "attributes"):
            for entry, fields in doc.get(section, {}).items():
                for field in fields:
                    key = (section, entry, field)
                    assert key not in seen, (name, key, seen.get(key))
                    seen[key] = name


def test_the_support_pieces_state_every_support():
    changes, read_only = piece("_attributes.CHANGES")["attributes"], piece("_attributes.READ_ONLY")["attributes"]
    assert {name: fields["support"] for name, fields in changes.items()} == {
        "check_mode": "full", "diff_mode": "none", "idempotent": "full"}
    assert {name: fields["support"] for name, fields in read_only.items()} == {
        "check_mode": "full", "diff_mode": "N/A", "idempotent": "full"}
    assert read_only["check_mode"]["details"] == read_only["diff_mode"]["details"] == NO_CHANGE
    assert set(changes) == set(read_only) == set(piece("_attributes")["attributes"])


def test_every_module_lists_the_author_piece_and_at_most_one_support_piece():
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        listed = listed_fragments(path)
        assert "mcpmesh.platform._attributes" in listed, f"{path.name}: the author and the attribute texts come from it"
        supports = {"mcpmesh.platform._attributes.CHANGES", "mcpmesh.platform._attributes.READ_ONLY"} & set(listed)
        assert len(supports) <= 1, (path.name, supports)
        assert len(set(listed)) == len(listed), path.name


def test_the_k8s_action_group_is_the_modules_using_the_kubernetes_fragment():
    assert set(piece("_kubernetes")["options"]) == {"kubeconfig", "context"}
    assert piece("_kubernetes")["attributes"]["action_group"]["membership"] == ["mcpmesh.platform.k8s"]
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    group = {entry for entry in runtime["action_groups"]["k8s"] if isinstance(entry, str)}
    using = {path.stem for path in sorted((ROOT / "plugins" / "modules").glob("*.py"))
             if "mcpmesh.platform._kubernetes" in listed_fragments(path)}
    assert using == group


def test_ansible_doc_shows_the_merged_author_and_attributes():
    """One ansible-doc run over a reading cluster module and a changing one with its own attribute fields."""
    # The folder holding the ansible_collections this test imported the collection from: .collections
    # in a checkout, the plain tree's root under ansible-test units (the path as imported, not resolved).
    collections = Path(os.path.abspath(_attributes.__file__)).parents[5]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    result = subprocess.run([str(ansible_doc), "--json", "mcpmesh.platform.linkerd_check", "mcpmesh.platform.kind_cluster"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    docs = {name.rsplit(".", 1)[1]: value["doc"] for name, value in json.loads(result.stdout).items()}
    described = piece("_attributes")["attributes"]
    for name, doc in docs.items():
        assert doc["author"] == ["mcpmesh maintainers (@mcpmesh)"], name
        assert set(doc["options"]) >= {"kubeconfig", "context"}, name
        assert doc["attributes"]["action_group"]["membership"] == ["mcpmesh.platform.k8s"], name
        for attribute, fields in described.items():
            assert doc["attributes"][attribute]["description"] == fields["description"], (name, attribute)
    check = docs["linkerd_check"]["attributes"]
    assert check["check_mode"] == {**described["check_mode"], "support": "full", "details": NO_CHANGE}
    assert check["diff_mode"]["support"] == "N/A"
    kind = docs["kind_cluster"]["attributes"]
    # kind_cluster's own fields win over the pieces': a diff in full, its own check-mode details.
    assert kind["diff_mode"]["support"] == "full" and kind["idempotent"]["support"] == "full"
    assert kind["check_mode"]["support"] == "full" and kind["check_mode"]["details"] != NO_CHANGE
