# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_collisions
short_description: What the clusters of one run would share and must not
version_added: 0.1.0
description:
  - Given one mapping per cluster of a run (one inventory host each), returns one sentence per collision
    - two kind clusters with the same name or host port, two clusters with the same kubeconfig context or
    artifacts folder, MetalLB pools that overlap (the same container network with overlapping
    C(metallb_first_host)..C(metallb_last_host) slices, or overlapping C(metallb_addresses)).
  - An empty list means the clusters can be set up side by side. C(site.yml) asserts that it is empty.
options:
  _input:
    description:
      - One mapping per cluster with C(host), C(name), C(provider) (V(kind) or V(existing)), C(kubeconfig),
        C(context), C(artifacts_dir), C(host_ports) (a list), C(loadbalancer) (V(metallb) or V(none)) and
        C(metallb) (C(addresses), or C(network), C(runtime), C(first_host) and C(last_host)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Check that no two clusters of the run collide.
  ansible.builtin.assert:
    that: __collisions | length == 0
    fail_msg: "{{ __collisions | join('; ') }}."
  vars:
    __collisions: >-
      {{ [{'host': 'east', 'name': 'east', 'host_ports': [8080]},
          {'host': 'west', 'name': 'west', 'host_ports': [8081]}] | mcpmesh.platform.cluster_collisions }}
"""

RETURN = r"""
_value:
  description: One sentence per collision, naming the hosts; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._clusters import collisions


def cluster_collisions(clusters):
    return collisions(clusters)


class FilterModule:
    def filters(self):
        return {"cluster_collisions": cluster_collisions}
