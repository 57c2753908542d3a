# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The registry of our own schemas for custom resources and Helm values.

kubernetes-validate covers the core kinds; everything else we render (MetalLB,
Linkerd and Cosmonic custom resources, and each chart's values) is checked
against the schemas here. Each area keeps its schemas in its own file, with its
``CUSTOM_RESOURCES`` (empty when it has none); the chart keys are named here, once.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils import (
    _schemas_cosmonic,
    _schemas_gateway,
    _schemas_linkerd,
    _schemas_metallb,
    _schemas_observability,
    _schemas_policy,
)

_AREAS = (_schemas_metallb, _schemas_linkerd, _schemas_cosmonic, _schemas_policy, _schemas_gateway,
          _schemas_observability)

# (apiVersion, kind) -> JSON schema of the whole object: the CUSTOM_RESOURCES of every area.
CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}
for _area in _AREAS:
    CUSTOM_RESOURCES.update(_area.CUSTOM_RESOURCES)

# chart key (as used in validate_artifacts' helm_values[].chart) -> JSON schema of the values file
HELM_VALUES: dict[str, dict] = {
    "metallb": _schemas_metallb.CHART_VALUES,
    "linkerd-control-plane": _schemas_linkerd.LINKERD_CONTROL_PLANE,
    "linkerd-enterprise-control-plane": _schemas_linkerd.LINKERD_ENTERPRISE_CONTROL_PLANE,
    "linkerd-crds": _schemas_linkerd.CRDS,
    "linkerd-enterprise-crds": _schemas_linkerd.CRDS,
    "linkerd-viz": _schemas_linkerd.VIZ,
    "cosmonic-control": _schemas_cosmonic.COSMONIC_CONTROL,
    "cosmonic-control-hostgroup": _schemas_cosmonic.COSMONIC_HOSTGROUP,
    "http-trigger": _schemas_cosmonic.HTTP_TRIGGER,
    "cosmonic-mesh": _schemas_cosmonic.COSMONIC_MESH,
    "grafana": _schemas_observability.GRAFANA,
}
