# SPDX-License-Identifier: GPL-3.0-or-later
"""``-e mcpmesh_apply=false`` as users type it (key=value, so the STRING "false") means render-only.

Every role coerces ``<role>_apply`` to a boolean once, in its defaults
(``mcpmesh_apply | default(true) | bool``), and tests it as ``<role>_apply | bool`` everywhere, so
a role variable given as a string works too. Nothing here can pass by accident: this machine has
no kind and no cluster, so a role that took "false" for true would fail its first apply task.
"""
from __future__ import annotations

import json
import sys

import pytest
import yaml

from conftest import ROOT, run_playbook

sys.path.insert(0, str(ROOT / "tests" / "golden"))
from update import ENV, GOLDEN, files_under  # noqa: E402  (the licences unset, as the stored render)

pytestmark = pytest.mark.slow


def flat(text: str) -> str:
    return " ".join(text.split())


def test_site_with_the_string_false_renders_only_and_exactly_the_stored_artifacts(tmp_path):
    dest = tmp_path / "artifacts"
    res = run_playbook(ROOT / "site.yml", "-e", "mcpmesh_apply=false", "-e", f"mcpmesh_artifacts_dir={dest}", env=ENV)
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    out = flat(res.stdout)
    for note in ("Render-only: would create the kind cluster", "Render-only: would install metallb",
                 "would be installed into linkerd", "Render-only run: nothing was applied"):
        assert note in out, (note, res)
    assert files_under(dest) == json.loads(GOLDEN.read_text()), "the string 'false' rendered other artifacts than false"


def test_role_variables_given_as_strings_mean_false(tmp_path):
    playbook = tmp_path / "roles.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Render kind, MetalLB and Linkerd with their own apply variables given as strings.",
        "hosts": "localhost",
        "gather_facts": False,
        "roles": ["mcpmesh.platform.kind", "mcpmesh.platform.metallb", "mcpmesh.platform.linkerd"],
    }], sort_keys=False))
    res = run_playbook(playbook, "-e", "kind_apply=no", "-e", "metallb_apply=False", "-e", "linkerd_apply=0",
                       "-e", f"mcpmesh_artifacts_dir={tmp_path / 'artifacts'}", env=ENV)
    assert res.rc == 0 and res.localhost["failed"] == 0, res
    out = flat(res.stdout)
    assert "Render-only: would create the kind cluster" in out and "Render-only: would install metallb" in out, res
    assert (tmp_path / "artifacts" / "linkerd" / "control-plane-values.yml").is_file(), res
