# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schema for the Gateway API HTTPRoute the petstore role's canary renders (the fields it sets).

``gateway.networking.k8s.io/v1`` HTTPRoute, served by the Gateway API bundles both Linkerd lines
support (1.1.1-1.2.1 for 2.19, 1.2.1-1.5.1 for 2.20; the linkerd role installs 1.2.1). Linkerd
ignores a route that uses fields newer than its bundle, so only v1.2.1 standard fields are allowed.

Beyond the CRD's structure this encodes what Linkerd needs for an east-west (mesh) route
(docs/canary.md): every parent is a Service written as ``group: core``, ``kind: Service`` (the CRD
defaults an omitted group and kind to a Gateway, which Linkerd does not read as a Service route);
every backend is a Service with a ``port`` (the CRD's CEL rule, and Linkerd turns a port-less
Service backend into an invalid one) and a weight from 0 to 1,000,000. The tests validate the same
objects against the upstream CRD too.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils._schema_parts import DNS_LABEL as _DNS_LABEL
from ansible_collections.mcpmesh.platform.plugins.module_utils._schemas_policy import _object


def _service_ref(required: list[str], group, **extra) -> dict:
    """A reference to a Service in the route's namespace or another: name, namespace, port, and ``extra``."""
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": {"group": {"const": group}, "kind": {"const": "Service"},
                           "name": {"type": "string", "pattern": _DNS_LABEL, "maxLength": 63},
                           "namespace": {"type": "string", "pattern": _DNS_LABEL},
                           "port": {"type": "integer", "minimum": 1, "maximum": 65535}, **extra}}


# Parents: group core (written out), kind Service. Backends: the core group (empty, the CRD's default),
# a port and a weight.
_PARENT = _service_ref(["group", "kind", "name"], "core")
_BACKEND = _service_ref(["kind", "name", "port", "weight"], "",
                        weight={"type": "integer", "minimum": 0, "maximum": 1000000})

_HTTP_ROUTE = _object("gateway.networking.k8s.io/v1", "HTTPRoute", {
    "type": "object",
    "required": ["parentRefs", "rules"],
    "additionalProperties": False,
    "properties": {
        "parentRefs": {"type": "array", "minItems": 1, "maxItems": 32, "items": _PARENT},
        "rules": {"type": "array", "minItems": 1, "maxItems": 16, "items": {
            "type": "object", "required": ["backendRefs"], "additionalProperties": False,
            "properties": {"backendRefs": {"type": "array", "minItems": 1, "maxItems": 16, "items": _BACKEND}},
            # Linkerd sends nothing to a rule whose weights are all 0.
            "not": {"properties": {"backendRefs": {"items": {"properties": {"weight": {"const": 0}}}}}},
        }},
    },
})

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {("gateway.networking.k8s.io/v1", "HTTPRoute"): _HTTP_ROUTE}
