# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter plugins: one Python file (plugins/filter/core.py), one documentation file per filter."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mcpmesh.platform.plugins.filter import core
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import RoleValueError

FILTER_DIR = Path(__file__).resolve().parents[2] / "plugins" / "filter"
FILTERS = core.FilterModule().filters()


def test_every_filter_has_its_documentation_file_and_every_file_a_filter():
    assert set(FILTERS) == {path.stem for path in FILTER_DIR.glob("*.yml")}
    assert [path.name for path in FILTER_DIR.glob("*.py")] == ["core.py"]


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_documentation_file_names_its_filter_and_documents_input_and_value(name):
    doc = yaml.safe_load((FILTER_DIR / f"{name}.yml").read_text(encoding="utf-8"))
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    assert doc["DOCUMENTATION"]["name"] == name
    assert "_input" in doc["DOCUMENTATION"]["options"] and "_value" in doc["RETURN"]
    assert f"mcpmesh.platform.{name}" in doc["EXAMPLES"]


def test_the_logic_error_becomes_a_filter_error_and_others_pass_through():
    @core._raising(RoleValueError)
    def judged(value):
        """Doc kept."""
        if value == "bad":
            raise RoleValueError("the values file is not YAML")
        if value == "bug":
            raise KeyError("a bug is not dressed up")
        return value

    assert judged("good") == "good" and judged.__name__ == "judged" and judged.__doc__ == "Doc kept."
    with pytest.raises(AnsibleFilterError, match="^the values file is not YAML$") as raised:
        judged("bad")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    with pytest.raises(KeyError):
        judged("bug")


def test_the_wrapped_filters_raise_filter_errors():
    with pytest.raises(AnsibleFilterError):
        FILTERS["linkerd_identity_current"]("not a list of Secrets")
    with pytest.raises(AnsibleFilterError, match="httproute_status: the input must be"):
        FILTERS["httproute_status"](["not", "a", "mapping"])
    assert FILTERS["masked_failure"]({"failed": False}, "Creating the Secret") == ""
