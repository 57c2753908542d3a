# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: secret_digests
short_description: Secrets as SHA-256 digests with their lengths, for validate_artifacts' forbidden_digests
version_added: 0.1.0
description:
  - Turns a list of secrets (licence keys, lines of private keys) into C({sha256, length}) entries, each
    secret trimmed and taken as UTF-8 bytes. Empty secrets are left out, duplicates once.
  - The roles pass the result to M(mcpmesh.platform.validate_artifacts) O(mcpmesh.platform.validate_artifacts#module:forbidden_digests),
    so the secrets themselves never become module arguments.
options:
  _input:
    description: The secrets (a list, or one string).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Prove the licence never reached the artifacts folder.
  mcpmesh.platform.validate_artifacts:
    manifests: ["{{ dir }}/namespace.yml"]
    forbidden_digests: "{{ [cosmonic_license_key] | mcpmesh.platform.secret_digests }}"
"""

RETURN = r"""
_value:
  description: One C({sha256, length}) per non-empty secret.
  type: list
  elements: dict
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._digests import digests


class FilterModule:
    def filters(self):
        # The logic is all in module_utils/_digests.py (unit-tested there); the filter is that function.
        return {"secret_digests": digests}
