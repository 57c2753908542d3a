# SPDX-License-Identifier: GPL-3.0-or-later
"""A render-only ``site.yml`` with the defaults renders exactly the stored artifacts.

The stored copy is ``tests/golden/site.json`` (artifact path -> its text, as rendered). A refactoring
of the roles must leave it byte-identical; a change that is meant to alter what is rendered
updates it on purpose, in the same commit, with::

    .venv/bin/python tests/golden/update.py

so the review shows the rendered difference next to the code that caused it.
"""
from __future__ import annotations

import difflib
import json
import sys
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))
from update import GOLDEN, files_under  # noqa: E402

pytestmark = pytest.mark.slow


def flat(text: str) -> str:
    return " ".join(text.split())


def test_render_only_site_matches_the_stored_artifacts(default_site_render):
    """Rendered with ``-e mcpmesh_apply=false`` as users type it: the STRING "false".

    So this also proves that every role coerces ``<role>_apply`` to a boolean (its defaults say
    ``mcpmesh_apply | default(true) | bool``): nothing here can pass by accident, as this machine
    has no kind and no cluster and a role that took "false" for true would fail its first apply
    task, or render other artifacts than the stored ones (made with the boolean false).
    """
    assert GOLDEN.is_file(), f"no stored artifacts at {GOLDEN}: run tests/golden/update.py"
    run, artifacts = default_site_render  # conftest: -e mcpmesh_apply=false, the licences unset
    assert run.rc == 0, run
    out = flat(run.stdout)
    for note in ("Render-only: would create the kind cluster", "Render-only: would install metallb",
                 "would be installed into linkerd", "Render-only run: nothing was applied"):
        assert note in out, (note, run.stdout[-4000:])
    rendered = files_under(artifacts)
    stored = json.loads(GOLDEN.read_text())
    assert stored, f"{GOLDEN} stores no artifact"
    assert sorted(rendered) == sorted(stored), (
        f"rendered files differ from the stored ones: only rendered {sorted(set(rendered) - set(stored))}, "
        f"only stored {sorted(set(stored) - set(rendered))}")
    diffs = []
    for name in sorted(stored):
        if rendered[name] != stored[name]:
            diffs.append("".join(difflib.unified_diff(
                stored[name].splitlines(True), rendered[name].splitlines(True),
                f"stored/{name}", f"rendered/{name}", n=2)))
    assert not diffs, "render-only artifacts changed (run tests/golden/update.py if on purpose):\n" + "\n".join(diffs)[:6000]
