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
- name: Check that the webhook Service has a ready endpoint.
  ansible.builtin.assert:
    that: slices | mcpmesh.platform.endpoints_ready
    fail_msg: No endpoint of metallb-webhook-service is ready yet.
  vars:
    slices: "{{ query('kubernetes.core.k8s', api_version='discovery.k8s.io/v1', kind='EndpointSlice',
                      namespace='metallb-system', label_selector='kubernetes.io/service-name=metallb-webhook-service') }}"
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
