# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: linkerd_identity_current
short_description: The current_* options of linkerd_identity, from the identity Secrets read from the cluster
version_added: 0.1.0
description:
  - Decodes C(tls.crt), C(tls.key) and C(ca.crt) of the issuer Secret and C(tls.crt) and C(tls.key) of the trust
    anchor Secret into the PEM options M(mcpmesh.platform.linkerd_identity) takes
    (O(mcpmesh.platform.linkerd_identity#module:current_issuer_cert_pem) and the like). Fields a Secret lacks are left out.
  - The module takes PEM, not the Secrets' base64 data, because it returns that data and Ansible masks the text of a
    C(no_log) option wherever it appears in a result. Use it on a task with C(no_log).
options:
  _input:
    description: What C(kubernetes.core.k8s_info) registered in a loop over the issuer Secret, then the trust anchor Secret.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Decide the certificates (reuse, renew or generate).
  mcpmesh.platform.linkerd_identity:
    current_issuer_cert_pem: "{{ current.current_issuer_cert_pem | default(omit) }}"
    current_issuer_key_pem: "{{ current.current_issuer_key_pem | default(omit) }}"
  vars:
    current: "{{ identity_secrets | mcpmesh.platform.linkerd_identity_current }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The PEMs found, by option name.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import RoleValueError, identity_current


def linkerd_identity_current(found):
    try:
        return identity_current(found)
    except RoleValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"linkerd_identity_current": linkerd_identity_current}
