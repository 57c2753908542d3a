# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: httproute_status
short_description: Whether Linkerd's policy controller accepted an HTTPRoute
version_added: 0.1.0
description:
  - Reads the C(status.parents[]) entries an HTTPRoute (either API group) carries for the controller
    C(linkerd.io/policy-controller), and their C(Accepted) and C(ResolvedRefs) conditions. Linkerd uses a
    route only once it is C(Accepted); a backend whose Service is missing shows as C(ResolvedRefs) C(False)
    (C(BackendNotFound)) and gets its share of requests as HTTP 500.
  - A condition about an older generation of the route (C(observedGeneration) below C(metadata.generation))
    makes RV(_value.current) false, so a weight that was just changed is not taken as accepted yet.
options:
  _input:
    description: The HTTPRoute object as C(kubernetes.core.k8s_info) returns it, or null when there is none.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Wait until Linkerd accepts the route.
  kubernetes.core.k8s_info:
    api_version: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    namespace: petstore
    name: petstore-split
  register: route
  vars:
    status: "{{ route.resources | first | default(none) | mcpmesh.platform.httproute_status }}"
  until: status.accepted and status.resolved and status.current
  retries: 30
  delay: 2
"""

RETURN = r"""
_value:
  description: The verdict.
  type: dict
  contains:
    accepted:
      description: Every parent entry of Linkerd's policy controller has C(Accepted) C(True).
      type: bool
    resolved:
      description: Every such entry has C(ResolvedRefs) C(True) (every backend Service exists).
      type: bool
    current:
      description: The conditions are about the route's current generation.
      type: bool
    reason:
      description: The reasons of the conditions that are not C(True) (V(NoMatchingParent), V(BackendNotFound)), or V(Pending) or V(NotFound).
      type: str
    message:
      description: Their messages, bounded.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mcpmesh.platform.plugins.module_utils._traffic_split import route_status


def httproute_status(route):
    if route is not None and not isinstance(route, dict):
        raise AnsibleFilterError("httproute_status: the input must be an HTTPRoute object (a mapping) or null")
    return route_status(route)


class FilterModule:
    def filters(self):
        return {"httproute_status": httproute_status}
