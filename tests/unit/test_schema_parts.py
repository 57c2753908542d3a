# SPDX-License-Identifier: GPL-3.0-or-later
"""The pieces the collection's JSON schemas are built from (module_utils/_schema_parts.py)."""
from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schema_parts as parts
from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas


def errors(schema: dict, instance) -> list[str]:
    Draft7Validator.check_schema(schema)
    return [error.message for error in Draft7Validator(schema).iter_errors(instance)]


def test_closed_allows_only_its_properties_and_requires_what_it_names():
    schema = parts.closed({"a": {"type": "string"}, "b": {"type": "integer"}}, "a")
    assert errors(schema, {"a": "x", "b": 1}) == []
    assert errors(schema, {"b": 1}) == ["'a' is a required property"]
    assert any("Additional properties" in e for e in errors(schema, {"a": "x", "c": 1}))
    assert "required" not in parts.closed({"a": {}})
    assert parts.closed({"a": {}}, "a", minProperties=1)["minProperties"] == 1


def test_obj_and_chart_values_let_other_keys_through():
    assert errors(parts.obj({"a": {"type": "string"}}), {"a": "x", "other": 1}) == []
    assert errors(parts.obj({"a": {"type": "string"}}), {"a": 1}) == ["1 is not of type 'string'"]
    values = parts.chart_values("t", {"enabled": {"type": "boolean"}}, {"not": {"required": ["license"]}})
    assert values["$schema"] == parts.DRAFT_07 and values["title"] == "t"
    assert errors(values, {"enabled": True, "extra": {"chart": "value"}}) == []
    assert errors(values, {"license": "k"}) != []


def test_resource_checks_kind_version_and_names():
    spec = parts.closed({"port": {"type": "integer"}}, "port")
    schema = parts.resource("example.io/v1", "Thing", spec, title="Thing")
    good = {"apiVersion": "example.io/v1", "kind": "Thing", "metadata": {"name": "a-b", "namespace": "ns",
            "labels": {"k": "v"}}, "spec": {"port": 1}}
    assert errors(schema, good) == []
    assert errors(schema, dict(good, kind="Other")) != []
    assert errors(schema, dict(good, metadata={"name": "a.b", "namespace": "ns"})) != []  # a label, not a subdomain
    assert errors(schema, dict(good, metadata={"name": "a", "namespace": "ns", "labels": {"k": 1}})) != []
    assert errors(schema, dict(good, status={})) == []  # open at the top by default
    closed_top = parts.resource("example.io/v1", "Thing", spec, title="Thing", name_pattern=parts.DNS_SUBDOMAIN,
                                name_length=253, closed_top=True)
    assert errors(closed_top, dict(good, metadata={"name": "a.b", "namespace": "ns"})) == []
    assert errors(closed_top, dict(good, status={})) != []
    assert errors(closed_top, dict(good, metadata={"name": "a" * 254, "namespace": "ns"})) != []


def test_label_selector_refuses_unknown_operators_and_keys():
    selector = parts.label_selector({"type": "string", "minLength": 1})
    assert errors(selector, {"matchLabels": {"app": "x"},
                             "matchExpressions": [{"key": "app", "operator": "In", "values": ["x"]}]}) == []
    assert errors(selector, {"matchExpressions": [{"key": "app", "operator": "Near"}]}) != []
    assert errors(selector, {"matchExpressions": [{"key": "", "operator": "Exists"}]}) != []
    assert errors(selector, {"matchFields": {}}) != []
    assert errors(parts.label_selector({"type": "string"}, minProperties=1), {}) != []


def test_every_piece_is_a_new_dict():
    first, second = parts.string_map(), parts.string_map()
    first["additionalProperties"]["type"] = "integer"
    assert second == {"type": "object", "additionalProperties": {"type": "string"}}
    assert parts.enabled() is not parts.enabled()
    a = parts.resource("v1", "K", {}, title="K")
    b = parts.resource("v1", "K", {}, title="K")
    assert a == b and a["properties"]["metadata"] is not b["properties"]["metadata"]


@pytest.mark.parametrize("name", sorted(_schemas.HELM_VALUES) + sorted(f"{v}/{k}" for v, k in _schemas.CUSTOM_RESOURCES))
def test_every_registered_schema_is_a_valid_draft7_schema(name):
    schema = _schemas.HELM_VALUES.get(name) or _schemas.CUSTOM_RESOURCES[tuple(name.rsplit("/", 1))]
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == parts.DRAFT_07
