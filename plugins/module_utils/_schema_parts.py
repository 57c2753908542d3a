# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The pieces the collection's JSON schemas (``_schemas_<area>.py``) are built from.

Each returns a new dict, so a schema can extend what it got without changing another's.
"""
from __future__ import annotations

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
# The names Kubernetes checks, written once (the schemas use them, and _policy and _service_proxy compile them):
# RFC 1123 names, a label (namespaces, most names) and a subdomain (pods); an RFC 1035 label (Services: a
# letter first); a port name (IANA_SVC_NAME: a label with at least one letter, at most 15 characters).
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS1035_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
PORT_NAME = r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def string_map() -> dict:
    """An object whose values are all strings (labels, annotations, config)."""
    return {"type": "object", "additionalProperties": {"type": "string"}}


def enabled() -> dict:
    """A chart's ``{enabled: bool}`` switch."""
    return {"type": "object", "properties": {"enabled": {"type": "boolean"}}}


def obj(properties: dict, **extra) -> dict:
    """An object with ``properties``; other keys pass unchecked."""
    return {"type": "object", "properties": properties, **extra}


def closed(properties: dict, *required: str, **extra) -> dict:
    """An object that allows only ``properties`` and requires ``required`` (no ``required`` key when none)."""
    schema: dict = {"type": "object"}
    if required:
        schema["required"] = list(required)
    schema.update(additionalProperties=False, properties=properties, **extra)
    return schema


def label_selector(key: dict, **extra) -> dict:
    """A Kubernetes label selector (matchLabels, matchExpressions) and nothing else; ``key`` is an expression's key."""
    return closed({
        "matchLabels": string_map(),
        "matchExpressions": {"type": "array", "items": closed({
            "key": key,
            "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
            "values": {"type": "array", "items": {"type": "string"}},
        }, "key", "operator")},
    }, **extra)


def chart_values(title: str, properties: dict, rest: dict | None = None) -> dict:
    """The schema of a Helm values file: keys not in ``properties`` pass unchecked (extra chart values).

    ``rest`` adds other keywords (``required``, ``not``, ``allOf``...).
    """
    return {"$schema": DRAFT_07, "title": title, "type": "object", "properties": properties, **(rest or {})}


def resource(api_version: str, kind: str, spec: dict, *, title: str, name_pattern: str = DNS_LABEL,
             name_length: int = 63, closed_top: bool = False) -> dict:
    """A namespaced Kubernetes object of ``kind``: its apiVersion and kind fixed, its metadata checked, its ``spec``.

    ``closed_top`` refuses top-level keys other than apiVersion, kind, metadata and spec (``status``, typos).
    """
    schema: dict = {"$schema": DRAFT_07, "title": title, "type": "object",
                    "required": ["apiVersion", "kind", "metadata", "spec"]}
    if closed_top:
        schema["additionalProperties"] = False
    schema["properties"] = {
        "apiVersion": {"const": api_version},
        "kind": {"const": kind},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {
                "name": {"type": "string", "pattern": name_pattern, "maxLength": name_length},
                "namespace": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63},
                "labels": string_map(),
                "annotations": string_map(),
            },
        },
        "spec": spec,
    }
    return schema
