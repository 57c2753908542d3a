# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of mcpmesh.platform.render_artifacts: render a role's templates, then validate them.

Every role of the collection renders what it will apply into its artifacts folder and validates it
before anything reaches a cluster. This plugin is that step, once: it creates the folder, renders
each template through ``ansible.builtin.template`` (so check mode, diff and ``ansible_managed``
behave exactly as they do for that action, and templates are found in the calling role's
``templates/``), then runs ``mcpmesh.platform.validate_artifacts`` on what it rendered.
"""
from __future__ import annotations

import posixpath

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.mcpmesh.platform.plugins.module_utils._render_artifacts import (
    ARGUMENT_SPEC,
    PASSED_ON,
    RenderItemError,
    check_items,
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = True

    def _sub_action(self, name: str, args: dict, task_vars: dict) -> dict:
        task = self._task.copy()
        task.args = args
        action = self._shared_loader_obj.action_loader.get(
            name, task=task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        return action.run(task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            validation_result, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
            del validation_result
            files = check_items(args["files"])
        except (AnsibleActionFail, RenderItemError) as exc:
            result.update(failed=True, msg=to_text(getattr(exc, "message", None) or exc))
            return result
        dest, mode = args["dest"], args["mode"]

        folder = self._execute_module(module_name="ansible.legacy.file",
                                      module_args={"path": dest, "state": "directory", "mode": "0755"},
                                      task_vars=task_vars)
        if folder.get("failed"):
            result.update(failed=True, msg=f"Could not create the artifacts folder {dest}: {folder.get('msg', '')}"[:500])
            return result

        paths, rendered, changed_any = {}, [], bool(folder.get("changed"))
        for item in files:
            path = posixpath.join(dest, item["name"])
            if not item["enabled"]:
                continue
            paths[item["name"]] = path
            res = self._sub_action("ansible.legacy.template", {"src": item["template"], "dest": path, "mode": mode},
                                   task_vars)
            if res.get("failed"):
                result.update(failed=True, files=paths,
                              msg=f"Could not render {item['template']} to {path}: {to_text(res.get('msg', ''))[:500]}")
                return result
            changed_any = changed_any or bool(res.get("changed"))
            rendered.append({"template": item["template"], "path": path, "changed": bool(res.get("changed")),
                             **({"diff": res["diff"]} if "diff" in res else {})})

        result.update(changed=changed_any, files=paths, rendered=rendered)
        if self._task.check_mode and any(r["changed"] for r in rendered):
            # A changed render was not written: the file on disk is not what would be applied.
            result["validation"] = {"skipped": True, "reason": "check mode: a changed render was not written"}
            return result

        module_args = {
            "manifests": [paths[i["name"]] for i in files if i["enabled"] and i["validate"] == "manifest"],
            "helm_values": [{"path": paths[i["name"]], "chart": i["chart"]}
                            for i in files if i["enabled"] and i["validate"] == "helm_values"],
        }
        module_args.update({k: args[k] for k in PASSED_ON if args.get(k) is not None})
        if not module_args["manifests"] and not module_args["helm_values"]:
            result["validation"] = {"skipped": True, "reason": "nothing to validate"}
            return result
        validation = self._execute_module(module_name="mcpmesh.platform.validate_artifacts", module_args=module_args,
                                          task_vars=task_vars)
        validation.pop("invocation", None)
        # The validator's warnings (a Kubernetes version newer than its schemas) are the task's own:
        # nested under validation, Ansible would not show them.
        for key in ("warnings", "deprecations"):
            if validation.get(key):
                result[key] = list(result.get(key) or []) + list(validation.pop(key))
        result["validation"] = validation
        if validation.get("failed"):
            result.update(failed=True, msg=validation.get("msg", "validation failed"))
        return result
