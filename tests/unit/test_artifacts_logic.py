# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import kubernetes_validate
import pytest
from jsonschema import Draft7Validator

from ansible_collections.mcpmesh.platform.plugins.module_utils import _artifacts as art
from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas


def core_validate(obj):
    """The same adapter the module builds, against the real kubernetes-validate schemas."""
    try:
        kubernetes_validate.validate(obj, "1.36", strict=True)
    except kubernetes_validate.SchemaNotFoundError as exc:
        raise LookupError(obj["kind"]) from exc
    except kubernetes_validate.ValidationError as exc:
        return f"{art.json_path(exc.path)}: {exc.message}"
    return None


SCHEMAS = {
    ("example.io/v1", "Widget"): {
        "type": "object",
        "required": ["spec"],
        "properties": {"spec": {"type": "object", "required": ["size"],
                                "properties": {"size": {"type": "integer", "minimum": 1}},
                                "additionalProperties": False}},
    }
}


@pytest.mark.parametrize(("parts", "expected"), [
    (["spec", "addresses", 0], "spec.addresses[0]"),
    ([], "(top level)"),
    ([0, "name"], "[0].name"),
])
def test_json_path(parts, expected):
    assert art.json_path(parts) == expected


def test_load_documents_drops_empty_and_rejects_non_mappings():
    assert art.load_documents("---\n---\na: 1\n", "f.yml") == [{"a": 1}]
    with pytest.raises(art.ArtifactError, match="document 1 is a list"):
        art.load_documents("- a\n", "f.yml")
    with pytest.raises(art.ArtifactError, match="not valid YAML"):
        art.load_documents("a: [\n", "f.yml")


def test_core_kinds_go_through_kubernetes_validate_strictly():
    docs = art.load_documents(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: echo}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: echo}\n"
        "spec: {type: LoadBalancer, ports: [{port: 80, targetPort: http}], selectr: {app: echo}}\n",
        "echo.yml",
    )
    rows, errors = art.validate_manifest_objects(docs, "echo.yml", core_validate, SCHEMAS, Draft7Validator)
    assert [r["checked_by"] for r in rows] == ["kubernetes-validate", "kubernetes-validate"]
    assert errors == ["echo.yml: Service/echo/s: spec: Additional properties are not allowed ('selectr' was unexpected)"]


def test_custom_resources_use_our_schema_and_unknown_ones_fail():
    docs = [
        {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "ok"}, "spec": {"size": 2}},
        {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"size": 0, "x": 1}},
        {"apiVersion": "other.io/v1", "kind": "Gadget", "metadata": {"name": "g"}},
    ]
    rows, errors = art.validate_manifest_objects(docs, "w.yml", core_validate, SCHEMAS, Draft7Validator)
    assert [(r["name"], r["checked_by"]) for r in rows] == [("ok", "mcpmesh schema"), ("bad", "mcpmesh schema")]
    assert errors[0] == "w.yml: Widget/bad: spec: Additional properties are not allowed ('x' was unexpected)"
    assert errors[1] == "w.yml: Widget/bad: spec.size: 0 is less than the minimum of 1"
    assert errors[2].startswith("w.yml: Gadget/g: no schema for custom resource Gadget (other.io/v1)")
    assert len(errors) == 3


def test_objects_without_identity_are_reported():
    rows, errors = art.validate_manifest_objects([{"kind": "ConfigMap"}], "c.yml", core_validate, {}, Draft7Validator)
    assert rows == []
    assert errors == ["c.yml: ConfigMap/<no name>: missing apiVersion, missing metadata.name"]


def test_helm_values():
    schema = {"chart": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}}
    assert art.validate_helm_values("a: x\n", "v.yml", "chart", schema, Draft7Validator) == []
    assert art.validate_helm_values("a: 1\n", "v.yml", "chart", schema, Draft7Validator) == ["v.yml: a: 1 is not of type 'string'"]
    assert art.validate_helm_values("- 1\n", "v.yml", "chart", schema, Draft7Validator) == [
        "v.yml: a Helm values file must hold exactly one mapping"]
    assert art.validate_helm_values("a: x\n", "v.yml", "nope", schema, Draft7Validator) == [
        "v.yml: no values schema for chart 'nope' (known: chart)"]


def test_forbidden_hits_name_positions_only():
    assert art.forbidden_hits("licence: abc123\n", ["zzz", "abc123", "", "  "]) == [2]
    assert art.forbidden_hits("nothing", ["abc"]) == []


def test_every_registered_schema_is_a_valid_json_schema():
    for schema in list(_schemas.CUSTOM_RESOURCES.values()) + list(_schemas.HELM_VALUES.values()):
        Draft7Validator.check_schema(schema)


@pytest.mark.parametrize(("text", "expected"), [("v1.36.1", (1, 36)), ("1.30", (1, 30)), ("x", None), ("", None)])
def test_minor_version(text, expected):
    assert art.minor_version(text) == expected


def test_schema_errors_never_repeat_the_offending_value():

    secret = "-----BEGIN EC PRIVATE KEY-----abc"
    schema = {"type": "object", "properties": {"identity": {"type": "object"}, "n": {"enum": [1, 2]}},
              "additionalProperties": False}
    errors = art.schema_errors(schema, {"identity": secret, "n": secret, "license": secret}, Draft7Validator)
    assert errors, "the instance breaks three rules"
    text = "\n".join(errors)
    assert secret not in text, text
    assert "identity: the string value is not of type 'object'" in text, text
    assert "'license' was unexpected" in text, text


def test_long_schema_messages_are_cut():
    assert art.error_message("x" * 1000, None).endswith("...")
    assert len(art.error_message("x" * 1000, None)) == 303
