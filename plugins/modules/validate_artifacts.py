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
extends_documentation_fragment:
  - mcpmesh.platform._attributes.INFO_MODULE
options:
  manifests:
    description:
      - Paths of YAML files holding one or more Kubernetes objects (multi-document YAML).
    type: list
    elements: path
    default: []
  helm_values:
    description:
      - Helm values files to check, each against the schema of its chart.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the values file.
        type: path
        required: true
      chart:
        description:
          - The key of the chart's schema in the collection, for example V(metallb),
            V(linkerd-control-plane) or V(cosmonic-control).
        type: str
        required: true
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
      length:
        description: The secret's length in UTF-8 bytes.
        type: int
        required: true
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
objects:
  description: One entry per Kubernetes object found in O(manifests).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file the object came from.
      type: str
    apiVersion:
      description: The object's apiVersion.
      type: str
    kind:
      description: The object's kind.
      type: str
    name:
      description: The object's name.
      type: str
    namespace:
      description: The object's namespace, V(null) for cluster-scoped objects or when unset.
      type: str
    checked_by:
      description: V(kubernetes-validate) for core kinds, V(mcpmesh schema) for custom resources.
      type: str
  sample:
    - path: .mcpmesh/mcpmesh/metallb/pool.yml
      apiVersion: metallb.io/v1beta1
      kind: IPAddressPool
      name: mcpmesh-pool
      namespace: metallb-system
      checked_by: mcpmesh schema
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

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mcpmesh.platform.plugins.module_utils import _artifacts, _cli, _schemas, _text

MISSING_LIB = None  # (the requirement's name, the import traceback) when one is missing
try:
    from jsonschema import Draft7Validator
except ImportError:
    MISSING_LIB = ("jsonschema", traceback.format_exc())
try:
    import kubernetes_validate
    from kubernetes_validate import utils as kv_utils
    from kubernetes_validate.utils import SchemaNotFoundError
except ImportError:
    MISSING_LIB = ("kubernetes-validate", traceback.format_exc())


def read_text(module: AnsibleModule, path: str, errors: list) -> str | None:
    """The file's text; None (with the reason in errors) when it is not UTF-8 text."""
    try:
        return _cli.read_text(module, path, "artifact ", "render it before validating it")
    except UnicodeDecodeError as exc:
        errors.append(f"{path}: not UTF-8 text (byte {exc.start} cannot be read; a binary file?); "
                      "an artifact is rendered YAML")
    return None


def schema_choice(module: AnsibleModule, version: str) -> tuple[str, str]:
    """(the version passed to kubernetes-validate, its MAJOR.MINOR) for the version asked for.

    kubernetes-validate refuses a version newer than its newest schemas; such a cluster (a newer
    node image) is validated against the newest bundled schemas, with a warning.
    """
    bundled = sorted({_artifacts.minor_version(v) for v in kv_utils.all_versions()} - {None})
    wanted = _artifacts.minor_version(version)
    oldest = ".".join(map(str, bundled[0])) if bundled else "?"
    newest = ".".join(map(str, bundled[-1])) if bundled else "?"
    if wanted is None or not bundled or wanted < bundled[0]:
        module.fail_json(
            msg=f"kubernetes-validate has no schemas for Kubernetes {_text.clean(version, 40, keep_newlines=False)}; "
            f"set kubernetes_version to a release between {oldest} and {newest} (newer releases use {newest})"
        )
    if wanted > bundled[-1]:
        module.warn(f"kubernetes-validate bundles schemas up to Kubernetes {newest}; the core kinds are validated "
                    f"against {newest}, not {version}. Fields new in {version} are refused with strict=true: "
                    "upgrade kubernetes-validate, or set strict=false")
        return newest, newest
    return version, ".".join(map(str, max(v for v in bundled if v <= wanted)))


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
    if MISSING_LIB:
        module.fail_json(msg=missing_required_lib(MISSING_LIB[0]), exception=MISSING_LIB[1])

    version = module.params["kubernetes_version"].lstrip("v")
    strict = module.params["strict"]
    digests = module.params["forbidden_digests"]
    wrong = _artifacts.digest_problems(digests)
    if wrong:
        module.fail_json(msg="; ".join(wrong) + ". Give each secret's hash('sha256') and its length in bytes.")
    checked_version, schema_version = schema_choice(module, version)

    def core_validate(obj: dict) -> str | None:
        try:
            kubernetes_validate.validate(obj, checked_version, strict=strict)
        except SchemaNotFoundError as exc:
            raise LookupError(obj["kind"]) from exc
        except kubernetes_validate.ValidationError as exc:
            return f"{_artifacts.json_path(exc.path)}: {_artifacts.error_message(exc.message, exc.instance)}"
        return None

    objects, values, errors = [], [], []
    texts = {}
    for path in module.params["manifests"]:
        text = read_text(module, path, errors)
        if text is None:
            continue
        texts[path] = text
        try:
            docs = _artifacts.load_documents(text, path)
            rows, found = _artifacts.validate_manifest_objects(
                docs, path, core_validate, _schemas.CUSTOM_RESOURCES, Draft7Validator
            )
        except _artifacts.ArtifactError as exc:
            errors.append(str(exc))
            continue
        objects.extend(rows)
        errors.extend(found)
    for entry in module.params["helm_values"]:
        text = read_text(module, entry["path"], errors)
        if text is None:
            continue
        texts[entry["path"]] = text
        errors.extend(
            _artifacts.validate_helm_values(text, entry["path"], entry["chart"], _schemas.HELM_VALUES, Draft7Validator)
        )
        values.append({"path": entry["path"], "chart": entry["chart"]})
    for path, text in texts.items():
        for option, hits in (("forbidden", _artifacts.forbidden_hits(text, module.params["forbidden"])),
                             ("forbidden_digests", _artifacts.forbidden_digest_hits(text, digests))):
            if hits:
                errors.append(
                    f"{path}: holds secret value(s) number {', '.join(map(str, hits))} of '{option}'; "
                    "secrets must go into Kubernetes Secrets or release_values with no_log, never into artifacts"
                )

    result = dict(changed=False, objects=objects, values=values, kubernetes_version=version,
                  schema_version=schema_version)
    if errors:
        errors = [_text.clean(error, 1000, keep_newlines=False) for error in errors]
        module.fail_json(
            msg=f"{len(errors)} problem(s) in the rendered artifacts; fix the template or the variables that feed it, "
            "then run again: " + _text.names(errors, limit=20, sep="; "),
            errors=errors[:200],
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
