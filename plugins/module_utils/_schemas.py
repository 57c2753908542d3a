# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The registry of our own schemas for custom resources and Helm values.

kubernetes-validate covers the core kinds; everything else we render (MetalLB,
Linkerd and Cosmonic custom resources, and each chart's values) is checked
against the schemas here. Each area keeps its schemas in its own file.
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

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}
HELM_VALUES: dict[str, dict] = {}
for _area in _AREAS:
    CUSTOM_RESOURCES.update(_area.CUSTOM_RESOURCES)
    HELM_VALUES.update(_area.HELM_VALUES)
