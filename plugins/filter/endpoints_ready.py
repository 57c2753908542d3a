# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: endpoints_ready
short_description: Whether some endpoint of these EndpointSlices is ready
version_added: 0.1.0
description:
  - True when at least one endpoint of the EndpointSlices has C(conditions.ready) true, the sign that a
    Service (such as an admission webhook's) can be reached.
options:
  _input:
    description: A C(kubernetes.core.k8s_info) result for EndpointSlices, or its C(resources).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Wait for the webhook Service to have a ready endpoint.
  kubernetes.core.k8s_info:
    api_version: discovery.k8s.io/v1
    kind: EndpointSlice
    namespace: metallb-system
    label_selectors: [kubernetes.io/service-name=metallb-webhook-service]
  register: slices
  retries: 60
  delay: 5
  until: slices | mcpmesh.platform.endpoints_ready
"""

RETURN = r"""
_value:
  description: Whether a ready endpoint exists.
  type: bool
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import endpoints_ready


class FilterModule:
    def filters(self):
        return {"endpoints_ready": endpoints_ready}
