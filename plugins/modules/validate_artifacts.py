#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: validate_artifacts
short_description: Validate rendered Kubernetes manifests and Helm values files before they are applied
version_added: 0.1.0
description:
  - Every role of this collection renders what it will apply into an artifacts folder first, then runs this
    module on the files, then applies them. Nothing reaches a cluster unchecked.
  - Core Kubernetes kinds are validated with C(kubernetes-validate) against O(kubernetes_version), strictly
    (unknown fields are errors) unless O(strict=false).
  - Custom resources (MetalLB, Linkerd, Cosmonic) and Helm values files are validated against the collection's
    own JSON schemas for the fields its roles set. A custom kind or chart without a schema is an error.
  - Optionally proves that no secret (licence key, private key) was written into any artifact.
  - The module only reads files; it never changes anything.
requirements:
  - kubernetes-validate
  - jsonschema
  - PyYAML
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
options:
  manifests:
    description:
      - Paths of YAML files holding one or more Kubernetes objects (multi-document YAML).
    type: list
    elements: path
    default: []
  helm_values: {description: ["Helm values files to check, each against the schema of its chart."], type: list, elements: dict, default: [],
    suboptions: {
      path: {description: Path of the values file., type: path, required: true},
      chart: {
        description: ["The key of the chart's schema in the collection, for example V(metallb), V(linkerd-control-plane) or V(cosmonic-control)."],
        type: str, required: true}}}
  kubernetes_version:
    description:
      - The Kubernetes version core kinds are validated against, as C(MAJOR.MINOR) or C(MAJOR.MINOR.PATCH).
      - kubernetes-validate bundles schemas for 1.25 to 1.37 and picks the newest one not above this version.
        A version newer than its newest schemas (a newer node image) is validated against the newest ones,
        with a warning; RV(schema_version) says which were used.
    type: str
    default: "1.36"
  strict:
    description:
      - Reject fields the Kubernetes schema does not know (typos, fields of a newer version).
    type: bool
    default: true
  forbidden:
    description:
      - Strings that must not appear in any artifact, such as licence keys and private keys.
      - Their values are never logged or returned; a failure names only their position in this list.
      - Prefer O(forbidden_digests), which keeps the secrets themselves out of the module's arguments.
    type: list
    elements: str
    default: []
  forbidden_digests:
    description:
      - Secrets that must not appear in any artifact, given by digest instead of by value, so the secret
        never becomes a module argument.
      - Each entry is the SHA-256 of the secret (hexadecimal) and its length in UTF-8 bytes; every run of
        that many bytes of every artifact is hashed and compared. In a role, for an ASCII secret,
        C({{ secret | trim | hash('sha256') }}) and C({{ secret | trim | length }}).
      - A failure names only the entry's position in this list.
    type: list
    elements: dict
    default: []
    suboptions:
      sha256:
        description: The SHA-256 of the secret's UTF-8 bytes, as 64 hexadecimal digits.
        type: str
        required: true
      length: {description: The secret's length in UTF-8 bytes., type: int, required: true}
notes:
  - kubernetes-validate has no schemas for custom resources; that is why the collection keeps its own.
  - Messages never quote the offending values (strings, objects and lists are named by their type), since a
    secret put in the wrong place would be echoed otherwise. YAML whose aliases would expand beyond 100000 nodes
    (an alias bomb) and files that are not UTF-8 text are refused.
seealso:
  - name: kubernetes-validate
    description: The library used for core kinds.
    link: https://pypi.org/project/kubernetes-validate/
"""

EXAMPLES = r"""
- name: Validate the rendered MetalLB artifacts.
  mcpmesh.platform.validate_artifacts:
    manifests:
      - .mcpmesh/mcpmesh/metallb/pool.yml
      - .mcpmesh/mcpmesh/metallb/echo.yml
    helm_values:
      - path: .mcpmesh/mcpmesh/metallb/values.yml
        chart: metallb
    kubernetes_version: "1.36"

- name: Prove the licence never reached the artifacts folder.
  mcpmesh.platform.validate_artifacts:
    helm_values:
      - path: .mcpmesh/mcpmesh/cosmonic/control-values.yml
        chart: cosmonic-control
    forbidden_digests:
      - sha256: "{{ cosmonic_license_key | trim | hash('sha256') }}"
        length: "{{ cosmonic_license_key | trim | length }}"
"""

RETURN = r"""
objects: {description: One entry per Kubernetes object found in O(manifests)., returned: always, type: list, elements: dict,
  contains: {
    path: {description: The file the object came from., type: str},
    apiVersion: {description: The object's apiVersion., type: str},
    kind: {description: The object's kind., type: str},
    name: {description: The object's name., type: str},
    namespace: {description: "The object's namespace, V(null) for cluster-scoped objects or when unset.", type: str},
    checked_by: {description: "V(kubernetes-validate) for core kinds, V(mcpmesh schema) for custom resources.", type: str}},
  sample: [
    {path: .mcpmesh/mcpmesh/metallb/pool.yml, apiVersion: metallb.io/v1beta1, kind: IPAddressPool, name: mcpmesh-pool,
      namespace: metallb-system, checked_by: mcpmesh schema}]}
values:
  description: The Helm values files checked, with their chart keys.
  returned: always
  type: list
  elements: dict
  sample:
    - path: .mcpmesh/mcpmesh/metallb/values.yml
      chart: metallb
errors:
  description: Every problem found, one string each, naming the file and the object.
  returned: failure
  type: list
  elements: str
  sample:
    - ".mcpmesh/mcpmesh/metallb/pool.yml: IPAddressPool/metallb-system/mcpmesh-pool: spec.addresses: [] should be non-empty"
kubernetes_version:
  description: The Kubernetes version asked for (O(kubernetes_version) without a leading C(v)).
  returned: always
  type: str
  sample: "1.36"
schema_version:
  description:
    - The C(MAJOR.MINOR) of the kubernetes-validate schemas the core kinds were validated against, the newest
      bundled one not above RV(kubernetes_version).
  returned: always
  type: str
  sample: "1.36"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mcpmesh.platform.plugins.module_utils import _cli, _validation


def read_text(module: AnsibleModule, path: str, unreadable: list) -> str | None:
    """The file's text; None (with the reason in unreadable) when it is not UTF-8 text."""
    try:
        return _cli.read_text(module, path, "artifact ", "render it before validating it")
    except UnicodeDecodeError as exc:
        unreadable.append(f"{path}: not UTF-8 text (byte {exc.start} cannot be read; a binary file?); "
                          "an artifact is rendered YAML")
    return None


def main() -> None:
    module = _cli.new_module(AnsibleModule, dict(
        manifests=dict(type="list", elements="path", default=[]),
        helm_values=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(path=dict(type="path", required=True), chart=dict(type="str", required=True)),
        ),
        kubernetes_version=dict(type="str", default="1.36"),
        strict=dict(type="bool", default=True),
        forbidden=dict(type="list", elements="str", default=[], no_log=True),
        forbidden_digests=dict(type="list", elements="dict", default=[], options=dict(
            sha256=dict(type="str", required=True, no_log=False),
            length=dict(type="int", required=True),
        )),
    ))
    if _validation.MISSING_LIB:
        module.fail_json(msg=missing_required_lib(_validation.MISSING_LIB[0]), exception=_validation.MISSING_LIB[1])

    unreadable = []
    manifests = {path: read_text(module, path, unreadable) for path in module.params["manifests"]}
    helm_values = [(entry["path"], entry["chart"], read_text(module, entry["path"], unreadable))
                   for entry in module.params["helm_values"]]
    try:
        result = _validation.validate_texts(
            manifests, helm_values, kubernetes_version=module.params["kubernetes_version"],
            strict=module.params["strict"], forbidden=module.params["forbidden"],
            forbidden_digests=module.params["forbidden_digests"], warn=module.warn, unreadable=unreadable)
    except _validation.ValidationInputError as exc:
        module.fail_json(msg=str(exc))
    except _validation.ValidationFailed as exc:
        module.fail_json(msg=exc.msg, errors=exc.errors, changed=False, **exc.result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
