# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schemas for the Linkerd policy resources the mesh_policy role renders (the fields it sets).

The kinds and versions are the ones both Linkerd lines serve (edge-25.10.7, the 2.19 line, and
edge-26.8.3, whose policy CRDs are identical): Server and HTTPRoute ``policy.linkerd.io/v1beta3``
(``accessPolicy`` and ``rules[].timeouts`` exist only there), AuthorizationPolicy,
MeshTLSAuthentication, NetworkAuthentication and HTTPLocalRateLimitPolicy ``v1alpha1``.

Beyond the CRDs' own structure these encode what Linkerd's admission webhook and parsers enforce
(docs/policy.md): the exact ``proxyProtocol`` and ``accessPolicy`` spellings, ``group:
policy.linkerd.io`` on references to Linkerd kinds (a missing group means ``core``, which the
webhook rejects), at most one MeshTLS/ServiceAccount and one Network authentication per policy,
and positive rates. The tests validate the same objects against the upstream CRDs too.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schema_parts as parts

_GROUP = "policy.linkerd.io"
_DEFAULT_POLICIES = ["all-unauthenticated", "all-authenticated", "cluster-authenticated",
                     "cluster-unauthenticated", "deny", "audit"]


def _object(api_version: str, kind: str, spec: dict) -> dict:
    return parts.resource(api_version, kind, spec, title=f"{kind} ({api_version})")


def _linkerd_ref(kinds: list[str]) -> dict:
    return parts.closed({"group": {"const": _GROUP}, "kind": {"enum": kinds},
                         "name": {"type": "string", "minLength": 1, "maxLength": 253}}, "group", "kind", "name")


_SELECTOR = parts.label_selector({"type": "string"}, minProperties=1)

_SERVER = _object("policy.linkerd.io/v1beta3", "Server", parts.closed({
    "podSelector": _SELECTOR,
    "port": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                       {"type": "string", "pattern": r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 15}]},
    "proxyProtocol": {"enum": ["unknown", "HTTP/1", "HTTP/2", "gRPC", "opaque", "TLS"]},
    "accessPolicy": {"enum": _DEFAULT_POLICIES},
}, "podSelector", "port"))

_PATH_MATCH = parts.closed({"type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                           "value": {"type": "string", "pattern": "^/", "maxLength": 1024}}, "type", "value")

_HTTP_ROUTE = _object("policy.linkerd.io/v1beta3", "HTTPRoute", parts.closed({
    "parentRefs": {"type": "array", "minItems": 1, "maxItems": 32, "items": _linkerd_ref(["Server"])},
    "rules": {"type": "array", "minItems": 1, "maxItems": 16, "items": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "matches": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
                "type": "object", "additionalProperties": False,
                "properties": {"path": _PATH_MATCH,
                               "method": {"enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
                                                   "OPTIONS", "TRACE", "PATCH"]}}}},
            "timeouts": {"type": "object", "additionalProperties": False,
                         "properties": {"request": {"type": "string"}}},
        }}},
}, "parentRefs", "rules"))

_IDENTITY_REF = parts.closed(
    {"kind": {"enum": ["ServiceAccount", "Namespace"]}, "name": {"type": "string", "pattern": parts.DNS_LABEL},
     "namespace": {"type": "string", "pattern": parts.DNS_LABEL}}, "kind", "name",
    **{"if": {"properties": {"kind": {"const": "Namespace"}}}, "then": {"not": {"required": ["namespace"]}}})

_MESH_TLS = _object("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", parts.closed({
    "identities": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    "identityRefs": {"type": "array", "minItems": 1, "items": _IDENTITY_REF},
}, oneOf=[{"required": ["identities"]}, {"required": ["identityRefs"]}]))

_CIDR = r"^[0-9a-fA-F:.]+/[0-9]{1,3}$"
_NETWORK = _object("policy.linkerd.io/v1alpha1", "NetworkAuthentication", parts.closed(
    {"networks": {"type": "array", "minItems": 1, "items": parts.closed(
        {"cidr": {"type": "string", "pattern": _CIDR},
         "except": {"type": "array", "items": {"type": "string", "pattern": _CIDR}}}, "cidr")}}, "networks"))

_AUTHORIZATION = _object("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", parts.closed({
    "targetRef": _linkerd_ref(["Server", "HTTPRoute"]),
    "requiredAuthenticationRefs": {
        "type": "array", "minItems": 1, "maxItems": 2,
        "items": _linkerd_ref(["MeshTLSAuthentication", "NetworkAuthentication"]),
        "description": "at most one MeshTLS and one Network authentication (Linkerd's webhook)",
    },
}, "targetRef", "requiredAuthenticationRefs", allOf=[
    {"not": {"properties": {"requiredAuthenticationRefs": {
        "minItems": 2, "items": {"properties": {"kind": {"const": kind}}}}}},
     "description": f"two {kind} refs: Linkerd accepts at most one"}
    for kind in ("MeshTLSAuthentication", "NetworkAuthentication")
]))

_RPS = parts.closed({"requestsPerSecond": {"type": "integer", "minimum": 1}}, "requestsPerSecond")

_RATE_LIMIT = _object("policy.linkerd.io/v1alpha1", "HTTPLocalRateLimitPolicy", parts.closed({
    "targetRef": _linkerd_ref(["Server"]),
    "total": _RPS,
    "identity": _RPS,
    "overrides": {"type": "array", "items": parts.closed({
        "requestsPerSecond": {"type": "integer", "minimum": 1},
        "clientRefs": {"type": "array", "minItems": 1, "items": parts.closed(
            {"kind": {"const": "ServiceAccount"}, "name": {"type": "string", "pattern": parts.DNS_LABEL},
             "namespace": {"type": "string", "pattern": parts.DNS_LABEL}}, "kind", "name")},
    }, "requestsPerSecond", "clientRefs")},
}, "targetRef", anyOf=[{"required": ["total"]}, {"required": ["identity"]}, {"required": ["overrides"]}]))

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {
    (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"]): schema
    for schema in (_SERVER, _HTTP_ROUTE, _MESH_TLS, _NETWORK, _AUTHORIZATION, _RATE_LIMIT)
}
