# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module_utils is PRIVATE to the collection. It can change at any time.
"""The options of mcpmesh.platform.render_artifacts and the check of its O(files) items.

Shared by the module's documentation stub (plugins/modules/render_artifacts.py) and its action
plugin (plugins/action/render_artifacts.py). No Ansible imports: tests import it directly.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils._text import add_once

KINDS = ("manifest", "helm_values", "none")
# Options handed on to validate_artifacts as they are.
PASSED_ON = ("kubernetes_version", "strict", "forbidden", "forbidden_digests")

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "files": {
        "type": "list", "elements": "dict", "required": True,
        "options": {
            "template": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "enabled": {"type": "bool", "default": True},
            "validate": {"type": "str", "choices": list(KINDS), "default": "manifest"},
            "chart": {"type": "str"},
            "content": {"type": "str"},
        },
    },
    "mode": {"type": "str", "default": "0644"},
    "kubernetes_version": {"type": "str"},
    "strict": {"type": "bool"},
    "forbidden": {"type": "list", "elements": "str", "no_log": True},
    "forbidden_digests": {"type": "list", "elements": "dict", "options": {
        "sha256": {"type": "str", "required": True, "no_log": False},
        "length": {"type": "int", "required": True},
    }},
}


class RenderItemError(ValueError):
    """An O(files) item that cannot be rendered; the message names it."""


def check_items(files: list[dict]) -> list[dict]:
    """The O(files) items (already typed by the argument spec), checked for what it cannot express."""
    if not files:
        raise RenderItemError("render_artifacts: files must be a non-empty list of {template, name} items.")
    seen = set()
    for index, item in enumerate(files):
        where = f"render_artifacts: files[{index}]"
        name = item["name"]
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise RenderItemError(f"{where}.name must be a relative file name inside dest, without '..'.")
        if item.get("validate") == "helm_values" and not item.get("chart"):
            raise RenderItemError(f"{where} is validated as Helm values: set its chart (the schema key, for example metallb).")
        add_once(seen, name, RenderItemError, f"{where}.name {name!r} is rendered twice.")
    return files


def validation_plan(files: list[dict], paths: dict[str, str]) -> tuple[dict, list]:
    """What to validate, from the enabled items with their rendered text: ({path: text} of the
    manifests, [(path, chart, text)] of the Helm values)."""
    manifests = {paths[i["name"]]: i["content"] for i in files if i["validate"] == "manifest"}
    helm_values = [(paths[i["name"]], i["chart"], i["content"]) for i in files if i["validate"] == "helm_values"]
    return manifests, helm_values
