# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: metallb_pool_summary
short_description: The MetalLB pool a role renders, and the sentence saying where it came from
version_added: 0.1.0
positional: addresses, network_info_given
description:
  - The user's addresses when there are any, else those M(mcpmesh.platform.metallb_range) computed.
  - The sentence names the network, where its inspect came from (the engine, O(network_info_given), or the
    render-only sample of kind's network), its subnets, the range and the addresses left out.
options:
  _input:
    description: What M(mcpmesh.platform.metallb_range) registered (ignored, and may be skipped, when O(addresses) is set).
    type: raw
    required: true
  addresses:
    description: The addresses the user set (C(metallb_addresses)); empty to use the computed pool.
    type: list
    elements: str
    default: []
  network_info_given:
    description: The inspect output was supplied by the user (C(metallb_network_info)), not the role's sample.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Settle the pool's addresses and where they came from.
  ansible.builtin.set_fact:
    pool: "{{ found | mcpmesh.platform.metallb_pool_summary(metallb_addresses, metallb_network_info | length > 0) }}"
"""

RETURN = r"""
_value:
  description: C(addresses), the pool's entries, and C(source), one sentence.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import RoleValueError, pool_summary


def metallb_pool_summary(found, addresses=None, network_info_given=False):
    try:
        return pool_summary(found, addresses, bool(network_info_given))
    except RoleValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"metallb_pool_summary": metallb_pool_summary}
