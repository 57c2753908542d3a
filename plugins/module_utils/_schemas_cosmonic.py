# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schemas for the cosmonic custom resources and Helm values we render (the fields we set).

Sources of the value names (see docs/cosmonic-and-petstore.md):

* ``cosmonic-control`` 0.3.0: ``envoy.service.type``, ``envoy.service.httpNodePort`` and
  ``cosmonicLicenseKey`` (control-demos @32248ea kustomization and READMEs). 0.4.x+:
  ``ingress.enabled`` and ``ingress.hosts[].host`` (control-demos main, docs.cosmonic.com).
  The licence key is *forbidden* in the values file: the cosmonic role passes it through
  ``release_values`` with ``no_log``, so a values file holding it is a bug.
* ``cosmonic-control-hostgroup``: ``http.enabled`` (0.2.0), ``hostgroup`` and
  ``controlNamespace`` (0.5.x); nothing is required.
* ``http-trigger`` 0.1.2 (cosmonic-labs/control-demos charts/http-trigger values.yaml): the
  complete set of keys the chart reads, so a typo is an error.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schema_parts as parts

_NODE_PORT = {"type": "integer", "minimum": 30000, "maximum": 32767}
# registry/repository:tag or @sha256:digest; an untagged image would float to :latest.
_PINNED_IMAGE = r"^[a-z0-9.\-/:_]+(:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}|@sha256:[a-f0-9]{64})$"

COSMONIC_CONTROL = parts.chart_values(
    "cosmonic-control chart values (the keys the cosmonic role sets)",
    {
        "envoy": parts.obj({
            "service": parts.obj({
                "type": {"enum": ["NodePort", "ClusterIP", "LoadBalancer"]},
                "httpNodePort": _NODE_PORT,
                "annotations": parts.string_map(),
            }, **{"if": {"properties": {"type": {"const": "NodePort"}}, "required": ["type"]},
                  "then": {"required": ["httpNodePort"]}}),
        }),
        "ingress": parts.obj({
            "enabled": {"type": "boolean"},
            "hosts": {"type": "array", "items": parts.obj({"host": {"type": "string", "pattern": parts.DNS_SUBDOMAIN}},
                                                          required=["host"])},
        }),
        "console_ui": parts.enabled(),
        "hostName": {"type": "string"},
    },
    {"not": {
        "required": ["cosmonicLicenseKey"],
        "description": "the licence goes through release_values with no_log, never into the values file",
    }},
)

COSMONIC_HOSTGROUP = parts.chart_values(
    "cosmonic-control-hostgroup chart values (the keys the cosmonic role sets)",
    {
        "http": parts.enabled(),
        "hostgroup": {"type": "string", "pattern": parts.DNS_LABEL},
        "controlNamespace": {"type": "string", "pattern": parts.DNS_LABEL},
    },
    {"not": {"required": ["cosmonicLicenseKey"]}},
)

_NAME = r"^[a-z][a-z0-9-]*$"
_HOST_INTERFACE = parts.closed({
    "name": {"type": "string"},
    "namespace": {"type": "string", "pattern": _NAME},
    "package": {"type": "string", "pattern": _NAME},
    "interfaces": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _NAME}},
    "version": {"type": "string", "minLength": 1},
    "config": parts.string_map(),
    "configFrom": {"type": "array"},
    "secretFrom": {"type": "array"},
}, "namespace", "package", "interfaces")

_COMPONENT = parts.closed({
    "name": {"type": "string", "pattern": parts.DNS_LABEL},
    "image": {"type": "string", "pattern": _PINNED_IMAGE},
    "localResources": parts.closed({
        "environment": parts.closed({
            # wasi:config/store values are strings
            "config": parts.string_map(),
            "configFrom": {"type": "array"},
            "secretFrom": {"type": "array"},
        }),
        "allowedHosts": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "allowedIpNameLookups": {"type": "array", "items": {"type": "string", "minLength": 1}},
    }),
    "poolSize": {"type": "integer", "minimum": 1},
    "maxInvocations": {"type": "integer", "minimum": 1},
}, "name", "image")

HTTP_TRIGGER = {
    "$schema": parts.DRAFT_07,
    "title": "http-trigger chart 0.1.2 values (every key the chart reads)",
    **parts.closed({
        "components": {"type": "array", "minItems": 1, "items": _COMPONENT},
        "ingress": parts.closed({
            "host": {"type": "string", "pattern": parts.DNS_SUBDOMAIN},
            "paths": {"type": "array", "minItems": 1, "items": parts.closed({
                "path": {"type": "string", "pattern": "^/"},
                "pathType": {"enum": ["Prefix", "Exact", "ImplementationSpecific"]},
            }, "path", "pathType")},
        }, "host", "paths"),
        "hostInterfaces": {"type": "array", "items": _HOST_INTERFACE},
        # chart 0.1.2 renders hostSelector with `{{ . }}` (Go map text, not YAML): only empty is safe
        "hostSelector": {"type": "object", "maxProperties": 0},
        "volumes": {"type": "array"},
        "replicas": {"type": "integer", "minimum": 1},
        "pathNote": {"type": "string"},
    }, "components", "ingress"),
}

_PORT_LIST = r"^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$"


# The cosmonic role's mesh plan (mesh.yml): the only pod template annotations it ever patches, on
# the objects it found. Closed, so a patch of anything else cannot slip in.
_MESH_ANNOTATIONS = parts.closed({
    "linkerd.io/inject": {"enum": ["enabled", "ingress"]},
    "config.linkerd.io/opaque-ports": {"type": "string", "pattern": _PORT_LIST},
}, "linkerd.io/inject")
_MESH_TARGET = parts.closed({
    "kind": {"enum": ["Deployment", "StatefulSet"]},
    "name": {"type": "string", "pattern": parts.DNS_SUBDOMAIN},
    "owner": {"type": ["string", "null"]},
}, "kind", "name")
COSMONIC_MESH = {
    "$schema": parts.DRAFT_07,
    "title": "the cosmonic role's mesh plan (pod template annotations it patches, and where)",
    **parts.closed({
        "namespace": {"type": "string", "pattern": parts.DNS_LABEL},
        "workloads": {"type": "array", "items": parts.closed({
            "name": {"enum": ["edge", "envoy", "hostgroup", "nats"]},
            "selectors": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "annotations": _MESH_ANNOTATIONS,
            "targets": {"type": "array", "items": _MESH_TARGET},
        }, "name", "selectors", "annotations", "targets")},
    }, "namespace", "workloads"),
}

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}
