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
  - Creates O(dest), renders each item of O(files) from the calling role's C(templates/) folder as the
    P(ansible.builtin.template#lookup) lookup does (the task's variables, C(ansible_managed)), then writes the
    files that changed and validates all of them the way M(mcpmesh.platform.validate_artifacts) does.
  - The controller renders; one module run then writes and validates every file of the task, so a role's
    render step costs one module run, not one per file.
  - In check mode nothing is written and the rendered texts are validated as they would be written.
  - With C(--diff), each changed file shows its before and after.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES]
attributes:
  diff_mode: {support: full}
options:
  dest: {description: The artifacts folder; created with mode C(0755) when missing., type: path, required: true}
  files:
    description: What to render, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      template: {description: The template's name in the role's C(templates/) folder., type: str, required: true}
      name: {description: "The file name inside O(dest) (relative, no C(..)).", type: str, required: true}
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
      content:
        description:
          - The rendered text. The action plugin sets it from O(files[].template); a value given in a task is
            replaced.
        type: str
  mode: {description: The mode of the rendered files., type: str, default: "0644"}
  kubernetes_version: {description: Passed to M(mcpmesh.platform.validate_artifacts)., type: str}
  strict: {description: Passed to M(mcpmesh.platform.validate_artifacts)., type: bool}
  forbidden:
    description: Passed to M(mcpmesh.platform.validate_artifacts) (strings that must not appear in any artifact).
    type: list
    elements: str
  forbidden_digests: {
    description: "Passed to M(mcpmesh.platform.validate_artifacts) (SHA-256 digests of such strings, with their length).",
    type: list, elements: dict,
    suboptions: {
      sha256: {description: "The secret's SHA-256, in hex.", type: str, required: true},
      length: {description: The secret's length in bytes., type: int, required: true}}}
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
  description: Each rendered file with whether it changed (and, with C(--diff), its C(diff)).
  returned: always
  type: list
  elements: dict
  sample: [{template: namespace.yml.j2, path: .mcpmesh/mcpmesh/metallb/namespace.yml, changed: false}]
validation:
  description: What the validation found (as M(mcpmesh.platform.validate_artifacts) returns it), or C(skipped) with a C(reason).
  returned: always
  type: dict
  sample: {changed: false, validated: 3}
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mcpmesh.platform.plugins.module_utils import _cli, _validation
from ansible_collections.mcpmesh.platform.plugins.module_utils._render_artifacts import (
    ARGUMENT_SPEC,
    RenderItemError,
    check_items,
    validation_plan,
)


def current(path: str) -> tuple[str | None, int | None]:
    """(the file's text or None when absent or not UTF-8, its permission bits or None when absent)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None, None
    try:
        return data.decode("utf-8"), mode
    except UnicodeDecodeError:
        return None, mode


def write(module: AnsibleModule, path: str, text: str, mode: int) -> None:
    """Write text to path through a temporary file beside it, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".render-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main() -> None:
    module = _cli.new_module(AnsibleModule, ARGUMENT_SPEC)
    params = module.params
    try:
        files = [item for item in check_items(params["files"]) if item["enabled"]]
        mode = int(params["mode"], 8)
    except (RenderItemError, ValueError) as exc:
        module.fail_json(msg=str(exc) if isinstance(exc, RenderItemError)
                         else f"render_artifacts: mode {params['mode']!r} is not an octal file mode such as 0644.")
    missing = [item["name"] for item in files if item.get("content") is None]
    if missing:
        module.fail_json(msg=f"render_artifacts: no rendered content for {', '.join(missing)}; "
                         "the module runs through its action plugin, which renders the templates")
    dest = params["dest"]
    changed = False
    if not os.path.isdir(dest):
        changed = True
        if not module.check_mode:
            try:
                os.makedirs(dest, mode=0o755, exist_ok=True)
            except OSError as exc:
                module.fail_json(msg=f"Could not create the artifacts folder {dest}: {exc.strerror}")

    paths, rendered = {}, []
    for item in files:
        path = os.path.join(dest, item["name"])
        paths[item["name"]] = path
        before, before_mode = current(path)
        differs = before != item["content"] or before_mode != mode
        entry = {"template": item["template"], "path": path, "changed": differs}
        if differs and module._diff:
            entry["diff"] = {"before": before or "", "after": item["content"],
                             "before_header": path, "after_header": item["template"]}
        if differs and not module.check_mode:
            try:
                if os.path.dirname(path) != dest:
                    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                write(module, path, item["content"], mode)
            except OSError as exc:
                module.fail_json(msg=f"Could not write {path}: {exc.strerror}", files=paths)
        changed = changed or differs
        rendered.append(entry)

    result = {"changed": changed, "files": paths, "rendered": rendered}
    if module._diff:
        result["diff"] = [entry["diff"] for entry in rendered if "diff" in entry]
    manifests, helm_values = validation_plan(files, paths)
    if not manifests and not helm_values:
        result["validation"] = {"skipped": True, "reason": "nothing to validate"}
        module.exit_json(**result)
    if _validation.MISSING_LIB:
        module.fail_json(msg=missing_required_lib(_validation.MISSING_LIB[0]), exception=_validation.MISSING_LIB[1],
                         **result)
    # The defaults of validate_artifacts where the task leaves an option unset.
    options = dict(kubernetes_version=params["kubernetes_version"] or "1.36",
                   strict=True if params["strict"] is None else params["strict"],
                   forbidden=params["forbidden"] or [], forbidden_digests=params["forbidden_digests"] or [])
    try:
        validation = _validation.validate_texts(manifests, helm_values, warn=module.warn, **options)
    except _validation.ValidationInputError as exc:
        module.fail_json(msg=str(exc), **result)
    except _validation.ValidationFailed as exc:
        result["validation"] = dict(exc.result, failed=True, errors=exc.errors, msg=exc.msg)
        module.fail_json(msg=exc.msg, **result)
    result["validation"] = dict(validation, changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
