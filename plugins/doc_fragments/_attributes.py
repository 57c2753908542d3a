# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The author and the attributes every module of the collection shares, each text written once.

The pieces never set the same field, so the order a module lists them in does not matter (Ansible merges a
fragment's attribute fields under the module's own, and the module's win):

* ``DOCUMENTATION``: the author and the three attributes' descriptions. Every module lists it.
* ``CHANGES``: the supports of a module that changes something: check mode in full, no diff, idempotent.
* ``READ_ONLY``: the supports of a module that only reads: check mode in full, no diff, nothing modified.

A module states only what differs (a ``details`` list, ``diff_mode: {support: full}``), or every support
itself with neither piece. The kubeconfig options and the k8s action group are ``_kubernetes``.
"""
from __future__ import annotations


class ModuleDocFragment:
    # Literal YAML strings, as ansible-test's yamllint sanity test requires of a fragment.
    DOCUMENTATION = r"""
author:
  - mcpmesh maintainers (@mcpmesh)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    CHANGES = r"""
attributes:
  check_mode: {support: full}
  diff_mode: {support: none}
  idempotent: {support: full}
"""

    READ_ONLY = r"""
attributes:
  check_mode: {support: full, details: [This action does not modify state.]}
  diff_mode: {support: N/A, details: [This action does not modify state.]}
  idempotent: {support: full}
"""
