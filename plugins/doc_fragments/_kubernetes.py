# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The cluster-facing modules' documentation: the kubeconfig options and the k8s action group.

``DOCUMENTATION`` is the options and the action group alone (with ``_attributes`` fragments beside it);
``MODULE`` adds the attributes of ``_attributes.MODULE``, for a module that changes something, and
``INFO_MODULE`` those of ``_attributes.INFO_MODULE``, for one that only reads; either is enough alone.
Every module using it is listed in ``meta/runtime.yml`` under ``action_groups.k8s``.
"""
from __future__ import annotations

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
    # Literal strings, as ansible-test's yamllint sanity test requires of a fragment; they are the
    # composed values above (tests/unit/test_doc_fragments.py checks that they stay equal).
    DOCUMENTATION = r'''
{
  "options": {
    "kubeconfig": {
      "description": [
        "Path to the kubeconfig file the module (and the CLIs it runs) should use.",
        "When not set, the C(KUBECONFIG) environment variable or C(~/.kube/config) applies."
      ],
      "type": "path"
    },
    "context": {
      "description": [
        "The kubeconfig context to use. When not set, the current context applies."
      ],
      "type": "str"
    }
  },
  "attributes": {
    "action_group": {
      "description": "Use C(group/mcpmesh.platform.k8s) in C(module_defaults) to set defaults for this module.",
      "support": "full",
      "membership": [
        "mcpmesh.platform.k8s"
      ]
    }
  }
}
'''

    MODULE = r'''
{
  "author": [
    "mcpmesh maintainers (@mcpmesh)"
  ],
  "options": {
    "kubeconfig": {
      "description": [
        "Path to the kubeconfig file the module (and the CLIs it runs) should use.",
        "When not set, the C(KUBECONFIG) environment variable or C(~/.kube/config) applies."
      ],
      "type": "path"
    },
    "context": {
      "description": [
        "The kubeconfig context to use. When not set, the current context applies."
      ],
      "type": "str"
    }
  },
  "attributes": {
    "check_mode": {
      "description": "Can run in check_mode and return changed status prediction without modifying target.",
      "support": "full"
    },
    "diff_mode": {
      "description": "Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.",
      "support": "none"
    },
    "idempotent": {
      "description": [
        "When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.",
        "This assumes that the system controlled/queried by the module has not changed in a relevant way."
      ],
      "support": "full"
    },
    "action_group": {
      "description": "Use C(group/mcpmesh.platform.k8s) in C(module_defaults) to set defaults for this module.",
      "support": "full",
      "membership": [
        "mcpmesh.platform.k8s"
      ]
    }
  }
}
'''

    INFO_MODULE = r'''
{
  "author": [
    "mcpmesh maintainers (@mcpmesh)"
  ],
  "options": {
    "kubeconfig": {
      "description": [
        "Path to the kubeconfig file the module (and the CLIs it runs) should use.",
        "When not set, the C(KUBECONFIG) environment variable or C(~/.kube/config) applies."
      ],
      "type": "path"
    },
    "context": {
      "description": [
        "The kubeconfig context to use. When not set, the current context applies."
      ],
      "type": "str"
    }
  },
  "attributes": {
    "check_mode": {
      "description": "Can run in check_mode and return changed status prediction without modifying target.",
      "support": "full",
      "details": [
        "This action does not modify state."
      ]
    },
    "diff_mode": {
      "description": "Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.",
      "support": "N/A",
      "details": [
        "This action does not modify state."
      ]
    },
    "idempotent": {
      "description": [
        "When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.",
        "This assumes that the system controlled/queried by the module has not changed in a relevant way."
      ],
      "support": "full"
    },
    "action_group": {
      "description": "Use C(group/mcpmesh.platform.k8s) in C(module_defaults) to set defaults for this module.",
      "support": "full",
      "membership": [
        "mcpmesh.platform.k8s"
      ]
    }
  }
}
'''
