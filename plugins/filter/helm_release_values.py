# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: helm_release_values
short_description: A Helm release's values, read back from the validated values file and completed at install time
version_added: 0.1.0
positional: fallback, overlays
description:
  - Decodes the values file that C(ansible.builtin.slurp) read (YAML read with the collection's limits), and merges
    each of O(overlays) over it in order (mappings key by key, anything else replaced).
  - When the read was skipped (check mode, where a changed render is not written), O(fallback) stands in for the file.
  - Fails, without quoting it, when the file or the result holds one of O(forbidden_digests), so a key that is only
    known at install time (an issuer key reused from the cluster) is caught before the values reach Helm.
options:
  _input:
    description: What C(ansible.builtin.slurp) registered for the values file (C(content), base64), or a skipped result.
    type: raw
    required: true
  fallback:
    description: The values the file was rendered from.
    type: dict
    default: {}
  overlays:
    description: Values merged over the file's, in order (public values known at install time, such as CA bundles).
    type: list
    elements: dict
    default: []
  forbidden_digests:
    description: C({sha256, length}) of secrets that must not be in the values, from the P(mcpmesh.platform.secret_digests#filter) filter.
    type: list
    elements: dict
    default: []
  what:
    description: The file's name for the error message.
    type: str
    default: the values file
"""

EXAMPLES = r"""
- name: Install the control plane with the trust anchor.
  kubernetes.core.helm:
    release_name: linkerd-control-plane
    chart_ref: linkerd-control-plane
    release_namespace: linkerd
    release_values: >-
      {{ read | mcpmesh.platform.helm_release_values(values, [{'identityTrustAnchorsPEM': anchor_pem}],
                                                     forbidden_digests=[licence] | mcpmesh.platform.secret_digests) }}
"""

RETURN = r"""
_value:
  description: The release values.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import RoleValueError, release_values


def helm_release_values(read, fallback=None, overlays=None, forbidden_digests=None, what="the values file"):
    try:
        return release_values(read, fallback, overlays, forbidden_digests, str(what))
    except RoleValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"helm_release_values": helm_release_values}
