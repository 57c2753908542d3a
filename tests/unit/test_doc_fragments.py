# SPDX-License-Identifier: GPL-3.0-or-later
"""The doc fragments (plugins/doc_fragments): composed once in Python, used whole by the modules."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.doc_fragments import _attributes, _kubernetes, _linkerd_viz

ROOT = Path(__file__).resolve().parents[2]
FRAGMENTS = {
    "_attributes": _attributes.ModuleDocFragment,
    "_kubernetes": _kubernetes.ModuleDocFragment,
    "_linkerd_viz": _linkerd_viz.ModuleDocFragment,
}


def fragment(name: str) -> dict:
    module, _dot, variable = name.partition(".")
    return yaml.safe_load(getattr(FRAGMENTS[module], variable or "DOCUMENTATION"))


@pytest.mark.parametrize("name", ["_attributes", "_attributes.MODULE", "_attributes.INFO_MODULE",
                                  "_attributes.ACTIONGROUP_K8S", "_kubernetes", "_kubernetes.MODULE",
                                  "_kubernetes.INFO_MODULE", "_linkerd_viz"])
def test_every_fragment_is_yaml_with_options_or_attributes(name):
    doc = fragment(name)
    assert isinstance(doc, dict) and ("options" in doc or "attributes" in doc)


def test_module_fragments_state_every_support_and_the_author():
    for name in ("_attributes.MODULE", "_attributes.INFO_MODULE", "_kubernetes.MODULE", "_kubernetes.INFO_MODULE"):
        doc = fragment(name)
        assert doc["author"] == ["mcpmesh maintainers (@mcpmesh)"], name
        for attribute in ("check_mode", "diff_mode", "idempotent"):
            assert {"description", "support"} <= set(doc["attributes"][attribute]), (name, attribute)
    assert fragment("_attributes.INFO_MODULE")["attributes"]["diff_mode"]["support"] == "N/A"
    assert fragment("_attributes.MODULE")["attributes"]["diff_mode"]["support"] == "none"


def test_kubernetes_fragments_carry_the_options_and_the_action_group():
    for name in ("_kubernetes", "_kubernetes.MODULE", "_kubernetes.INFO_MODULE"):
        doc = fragment(name)
        assert set(doc["options"]) == {"kubeconfig", "context"}, name
        assert doc["attributes"]["action_group"]["membership"] == ["mcpmesh.platform.k8s"], name
    # The older listing (_kubernetes, _attributes, _attributes.INFO_MODULE) still gets every support.
    assert "support" not in fragment("_kubernetes").get("attributes", {}).get("diff_mode", {})


def test_the_k8s_action_group_is_the_modules_using_a_kubernetes_fragment():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    group = {entry for entry in runtime["action_groups"]["k8s"] if isinstance(entry, str)}
    using = set()
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        docs = path.read_text(encoding="utf-8").split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0]
        listed = yaml.safe_load(docs).get("extends_documentation_fragment") or []
        assert listed, f"{path.name} lists no doc fragment (the author and attributes come from one)"
        if any(re.match(r"mcpmesh\.platform\._kubernetes(\.|$)", name) for name in listed):
            using.add(path.stem)
    assert using == group


def test_the_literal_fragments_are_the_composed_ones():
    """ansible-test's yamllint test needs literal strings in a fragment class; they must stay the composed values."""
    import json as _json
    from ansible_collections.mcpmesh.platform.plugins.doc_fragments import _attributes as att, _kubernetes as k8s
    composed = {
        (att, "DOCUMENTATION"): att.fragment(att.DESCRIBED),
        (att, "MODULE"): att.fragment(att.DESCRIBED, att.SUPPORTED),
        (att, "INFO_MODULE"): att.fragment(att.DESCRIBED, att.READ_ONLY),
        (att, "ACTIONGROUP_K8S"): att.fragment(att.K8S_GROUP),
        (k8s, "DOCUMENTATION"): _json.dumps({"options": k8s._OPTIONS, "attributes": att.K8S_GROUP}),
        (k8s, "MODULE"): att.fragment(att.DESCRIBED, att.SUPPORTED, att.K8S_GROUP, options=k8s._OPTIONS),
        (k8s, "INFO_MODULE"): att.fragment(att.DESCRIBED, att.READ_ONLY, att.K8S_GROUP, options=k8s._OPTIONS),
    }
    for (module, attr), text in composed.items():
        assert _json.loads(getattr(module.ModuleDocFragment, attr)) == _json.loads(text), (module.__name__, attr)
