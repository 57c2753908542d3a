# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: webhooks_ca_bundled
short_description: Whether every webhook of these webhook configurations carries its CA bundle
version_added: 0.1.0
description:
  - True when the configurations hold at least one webhook and each has a non-empty C(clientConfig.caBundle),
    the sign that a certificate rotator (such as MetalLB's) has patched them.
options:
  _input:
    description: A C(kubernetes.core.k8s_info) result for Validating- or MutatingWebhookConfigurations, or its C(resources).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Wait for every MetalLB webhook to carry its CA bundle.
  kubernetes.core.k8s_info:
    api_version: admissionregistration.k8s.io/v1
    kind: ValidatingWebhookConfiguration
    name: metallb-webhook-configuration
  register: hooks
  retries: 60
  delay: 5
  until: hooks | mcpmesh.platform.webhooks_ca_bundled
"""

RETURN = r"""
_value:
  description: Whether every webhook has its CA bundle (false when there is none).
  type: bool
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import webhooks_ca_bundled


class FilterModule:
    def filters(self):
        return {"webhooks_ca_bundled": webhooks_ca_bundled}
