# SPDX-License-Identifier: GPL-3.0-or-later
"""``-e mcpmesh_apply=false`` as users type it (key=value, so the STRING "false") means render-only.

Every role coerces ``<role>_apply`` to a boolean once, in its defaults
(``mcpmesh_apply | default(true) | bool``), and tests it as ``<role>_apply | bool`` everywhere, so
a role variable given as a string works too. Nothing here can pass by accident: this machine has
no kind and no cluster, so a role that took "false" for true would fail its first apply task.

``site.yml`` itself is rendered that way by tests/integration/test_render_golden.py, whose render
must equal the stored one (made with the boolean false); here the roles' own variables.
"""
from __future__ import annotations

import pytest
import yaml

from conftest import NO_LICENCES, run_playbook

ENV = NO_LICENCES  # the licences unset, as for the stored render

pytestmark = pytest.mark.slow


def flat(text: str) -> str:
    return " ".join(text.split())


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
