# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The cluster-facing modules' documentation: the kubeconfig options and the k8s action group.

``DOCUMENTATION`` is the options and the action group alone (with ``_attributes`` fragments beside it);
``MODULE`` adds the attributes of ``_attributes.MODULE``, for a module that changes something, and
``INFO_MODULE`` those of ``_attributes.INFO_MODULE``, for one that only reads; either is enough alone.
Every module using it is listed in ``meta/runtime.yml`` under ``action_groups.k8s``.
"""
from __future__ import annotations

import json

from ansible_collections.mcpmesh.platform.plugins.doc_fragments._attributes import (
    DESCRIBED, K8S_GROUP, READ_ONLY, SUPPORTED, fragment)

# The same option names kubernetes.core uses, so one module_defaults entry
# for group/mcpmesh.platform.k8s serves both collections.
_OPTIONS = {
    "kubeconfig": {
        "description": [
            "Path to the kubeconfig file the module (and the CLIs it runs) should use.",
            "When not set, the C(KUBECONFIG) environment variable or C(~/.kube/config) applies.",
        ],
        "type": "path",
    },
    "context": {
        "description": ["The kubeconfig context to use. When not set, the current context applies."],
        "type": "str",
    },
}


class ModuleDocFragment:
    DOCUMENTATION = json.dumps({"options": _OPTIONS, "attributes": K8S_GROUP})

    MODULE = fragment(DESCRIBED, SUPPORTED, K8S_GROUP, options=_OPTIONS)

    INFO_MODULE = fragment(DESCRIBED, READ_ONLY, K8S_GROUP, options=_OPTIONS)
