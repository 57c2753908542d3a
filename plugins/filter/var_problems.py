# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: var_problems
short_description: What is wrong with a role's variables, one sentence per variable
version_added: 0.1.0
description:
  - Checks what a role's C(meta/argument_specs.yml) cannot express - a string given where a list is
    wanted (it would be iterated character by character), number ranges, versions, Kubernetes and kind
    names, and names that become paths - and returns one sentence per variable that fails, naming it.
  - An empty list means every variable passed. The roles assert that the list is empty before they render anything.
options:
  _input:
    description:
      - The checks, one mapping per variable with C(name) and C(value) and the constraints to apply.
      - C(type) is one of C(str) (default), C(list), C(dict), C(bool), C(int), C(number); C(int) and C(number)
        accept the strings that C(-e name=3) gives and refuse C(nan) and infinity.
      - C(format) (strings) is one of C(version), C(kube_version), C(dns_label), C(dns_subdomain), C(kind_name),
        C(release_name), C(duration), C(port_list), C(url_path), C(ip_address), C(path) (no C(..) segment).
      - C(elements) (lists) is C(str) or C(dict), C(elements_format) a format for string items.
      - C(min), C(max) (inclusive) and C(above) (exclusive) bound numbers; C(optional) accepts an empty string;
        C(secret) never quotes the value.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the role's variables.
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
    quiet: true
  vars:
    __problems: >-
      {{ [
           {'name': 'kind_workers', 'value': kind_workers, 'type': 'int', 'min': 0},
           {'name': 'metallb_addresses', 'value': metallb_addresses, 'type': 'list', 'elements': 'str'},
         ] | mcpmesh.platform.var_problems }}
"""

RETURN = r"""
_value:
  description: One sentence per failing variable, starting with its name; empty when all pass.
  type: list
  elements: str
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._vars import problems


class FilterModule:
    def filters(self):
        # The logic is all in module_utils/_vars.py (unit-tested there); the filter is that function.
        return {"var_problems": problems}
