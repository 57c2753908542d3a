# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of mcpmesh.platform.render_artifacts: render a role's templates, then validate them.

Every role of the collection renders what it will apply into its artifacts folder and validates it
before anything reaches a cluster. This plugin is that step, once: it renders each template on the
controller through the ``ansible.builtin.template`` lookup (the task's variables, ``ansible_managed``,
templates found in the calling role's ``templates/``), then hands every rendered text to ONE run of
the module of the same name, which creates the folder, writes what changed (check mode and diff
honoured) and validates all of it. One module run per role instead of several per file: each module
run costs the better part of a second of CPU, and a render-only site.yml renders some twenty files.
"""
from __future__ import annotations

import posixpath

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.mcpmesh.platform.plugins.module_utils._render_artifacts import (
    ARGUMENT_SPEC,
    PASSED_ON,
    RenderItemError,
    check_items,
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _render(self, template: str, dest: str, task_vars: dict) -> str:
        """The template's text, rendered with the task's variables; ``template_destpath`` is the file
        it will be written to, as ``ansible.builtin.template`` sets it."""
        lookup = self._shared_loader_obj.lookup_loader.get(
            "ansible.builtin.template", loader=self._loader, templar=self._templar)
        text = lookup.run([template], variables=task_vars, template_vars={"template_destpath": dest})[0]
        return "" if text is None else to_text(text)

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

        items = []
        for item in files:
            if not item["enabled"]:
                continue
            path = posixpath.join(args["dest"], item["name"])
            try:
                content = self._render(item["template"], path, task_vars)
            except AnsibleError as exc:
                result.update(failed=True, msg=f"Could not render {item['template']} to {path}: {to_text(exc.message)[:500]}")
                return result
            items.append({key: item[key] for key in ("template", "name", "validate", "chart")} | {"content": content})

        module_args = {"dest": args["dest"], "mode": args["mode"], "files": items}
        module_args.update({k: args[k] for k in PASSED_ON if args.get(k) is not None})
        written = self._execute_module(module_name="mcpmesh.platform.render_artifacts", module_args=module_args,
                                       task_vars=task_vars)
        written.pop("invocation", None)  # it holds every rendered text
        result.update(written)
        return result
