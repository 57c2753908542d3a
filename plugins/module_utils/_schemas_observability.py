# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schema of the Grafana chart values the observability role renders (the keys it sets).

Source of the value names: grafana-community/helm-charts, tag grafana-12.11.1, charts/grafana/values.yaml
(``replicas``, ``serviceAccount.name``, ``service.{type, port}``, ``grafana.ini``, ``datasources``,
``dashboardProviders``, ``dashboards``) and templates/service.yaml (``service.nodePort``, read for a
NodePort Service), templates/_pod.tpl (``podAnnotations``). The provisioning formats inside
``datasources`` and ``dashboardProviders`` are Grafana's (administration/provisioning in its docs).

What never belongs in a values file: the admin password (``adminPassword``; the chart generates it
into its Secret). Unknown keys are allowed (``observability_grafana_values`` passes extra values).
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils._schema_parts import DNS_LABEL as _DNS_LABEL

_DATASOURCE = {
    "type": "object",
    "required": ["name", "uid", "type", "url", "access"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "uid": {"type": "string", "pattern": r"^[a-zA-Z0-9_-]{1,40}$"},
        "type": {"type": "string", "minLength": 1},
        "url": {"type": "string", "pattern": r"^https?://[^\s/]+"},
        "access": {"enum": ["proxy", "direct"]},
        "isDefault": {"type": "boolean"},
        "editable": {"type": "boolean"},
        "jsonData": {"type": "object"},
    },
    "not": {"required": ["secureJsonData"]},
}

_DASHBOARD = {
    "type": "object",
    "required": ["gnetId", "revision"],
    "properties": {
        "gnetId": {"type": "integer", "minimum": 1},
        "revision": {"type": "integer", "minimum": 1,
                     "description": "pinned: without it the chart downloads revision 1, not the one Linkerd pins"},
        "datasource": {"type": "string", "minLength": 1},
    },
}

GRAFANA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "grafana chart values (the keys the observability role sets)",
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "minimum": 1},
        "serviceAccount": {"type": "object", "properties": {"name": {"type": "string", "pattern": _DNS_LABEL}}},
        "service": {
            "type": "object",
            "properties": {
                "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "nodePort": {"type": "integer", "minimum": 30000, "maximum": 32767},
            },
            "if": {"required": ["nodePort"]},
            "then": {"properties": {"type": {"const": "NodePort"}}},
        },
        "podAnnotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "grafana.ini": {"type": "object"},
        "datasources": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["apiVersion", "datasources"],
                "properties": {"apiVersion": {"const": 1},
                               "datasources": {"type": "array", "minItems": 1, "items": _DATASOURCE}},
            },
        },
        "dashboardProviders": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["apiVersion", "providers"],
                "properties": {"apiVersion": {"const": 1}, "providers": {"type": "array", "items": {
                    "type": "object", "required": ["name", "type", "options"],
                    "properties": {"name": {"type": "string", "minLength": 1}, "type": {"const": "file"},
                                   "options": {"type": "object", "required": ["path"],
                                               "properties": {"path": {"type": "string",
                                                                       "pattern": r"^/var/lib/grafana/dashboards/[^/]+$"}}}},
                }}},
            },
        },
        "dashboards": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": _DASHBOARD}},
    },
    "not": {"required": ["adminPassword"]},
}

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}
