#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: render_artifacts
short_description: Render a role's templates into its artifacts folder, then validate them, in one step
version_added: 0.1.0
description:
  - The render and validate steps every role of this collection takes before it applies anything.
  - Creates O(dest), renders each item of O(files) from the calling role's C(templates/) folder exactly as
    M(ansible.builtin.template) does (check mode, diff, C(ansible_managed)), then validates what it rendered with
    M(mcpmesh.platform.validate_artifacts).
  - In check mode a changed render is not written, so the validation is skipped and RV(validation) says why.
  - This is an action plugin; the controller renders and validates, which is where the artifacts folder lives.
extends_documentation_fragment:
  - mcpmesh.platform._attributes.MODULE
attributes:
  diff_mode:
    support: full
options:
  dest:
    description: The artifacts folder; created with mode C(0755) when missing.
    type: path
    required: true
  files:
    description: What to render, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      template:
        description: The template's name in the role's C(templates/) folder.
        type: str
        required: true
      name:
        description: The file name inside O(dest) (relative, no C(..)).
        type: str
        required: true
      enabled:
        description: Render this item. A disabled item is neither rendered nor validated.
        type: bool
        default: true
      validate:
        description:
          - V(manifest) validates the file as Kubernetes objects, V(helm_values) as the values of O(files[].chart),
            V(none) not at all (for files that are not Kubernetes objects, such as a kind config).
        type: str
        choices: [manifest, helm_values, none]
        default: manifest
      chart:
        description: The chart's schema key for V(helm_values) items, as in M(mcpmesh.platform.validate_artifacts).
        type: str
  mode:
    description: The mode of the rendered files.
    type: str
    default: "0644"
  kubernetes_version:
    description: Passed to M(mcpmesh.platform.validate_artifacts).
    type: str
  strict:
    description: Passed to M(mcpmesh.platform.validate_artifacts).
    type: bool
  forbidden:
    description: Passed to M(mcpmesh.platform.validate_artifacts) (strings that must not appear in any artifact).
    type: list
    elements: str
  forbidden_digests:
    description: Passed to M(mcpmesh.platform.validate_artifacts) (SHA-256 digests of such strings, with their length).
    type: list
    elements: dict
seealso:
  - module: mcpmesh.platform.validate_artifacts
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Render and validate the MetalLB namespace, pool and chart values.
  mcpmesh.platform.render_artifacts:
    dest: "{{ metallb_artifacts_dir }}"
    files:
      - {template: namespace.yml.j2, name: namespace.yml}
      - {template: pool.yml.j2, name: pool.yml}
      - {template: values.yml.j2, name: values.yml, validate: helm_values, chart: metallb}
    kubernetes_version: "1.36"
"""

RETURN = r"""
files:
  description: The path of each rendered file, by its O(files[].name).
  returned: always
  type: dict
  sample: {namespace.yml: .mcpmesh/mcpmesh/metallb/namespace.yml}
rendered:
  description: Each rendered file with whether it changed.
  returned: always
  type: list
  elements: dict
  sample: [{template: namespace.yml.j2, path: .mcpmesh/mcpmesh/metallb/namespace.yml, changed: false}]
validation:
  description: What M(mcpmesh.platform.validate_artifacts) returned, or C(skipped) with a C(reason).
  returned: always
  type: dict
  sample: {changed: false, validated: 3}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mcpmesh.platform.plugins.module_utils._render_artifacts import ARGUMENT_SPEC


def main():  # pragma: no cover - the action plugin does the work
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="mcpmesh.platform.render_artifacts runs only as an action plugin on the controller.")


if __name__ == "__main__":
    main()
