# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The documentation every module of the collection shares, each text written once.

The fragments are composed here from Python dicts (dumped as JSON, which is YAML), so a module lists one
fragment instead of repeating the author and the attribute boilerplate:

* ``MODULE``: the author and the attributes of a module that changes something, as every module of the
  collection supports them unless it says otherwise: check mode in full (the collection's standard),
  idempotent, no diff. A module states only what differs (a ``details`` list, ``diff_mode: support: full``);
  its own ``attributes`` entries are merged over the fragment's. Do not list it with ``INFO_MODULE``: for the
  same field, the fragment listed first wins.
* ``INFO_MODULE``: the author and the attributes of a module that only reads: check mode in full, no diff,
  nothing modified. Enough alone; listing ``DOCUMENTATION`` before it, as older modules do, changes nothing.
* ``DOCUMENTATION``: the author and the attributes' descriptions only, for a module stating every support.
* ``ACTIONGROUP_K8S``: membership of ``group/mcpmesh.platform.k8s`` (part of every ``_kubernetes`` fragment).
"""
from __future__ import annotations

import json

AUTHOR = ["mcpmesh maintainers (@mcpmesh)"]

DESCRIBED = {
    "check_mode": {
        "description": "Can run in check_mode and return changed status prediction without modifying target.",
    },
    "diff_mode": {
        "description": "Will return details on what has changed (or possibly needs changing in check_mode), "
                       "when in diff mode.",
    },
    "idempotent": {
        "description": [
            "When run twice in a row outside check mode, with the same arguments, the second invocation indicates "
            "no change.",
            "This assumes that the system controlled/queried by the module has not changed in a relevant way.",
        ],
    },
}

# What every module of the collection supports unless its own documentation says otherwise.
SUPPORTED = {"check_mode": {"support": "full"}, "diff_mode": {"support": "none"}, "idempotent": {"support": "full"}}

_NO_CHANGE = ["This action does not modify state."]
READ_ONLY = {
    "check_mode": {"support": "full", "details": _NO_CHANGE},
    "diff_mode": {"support": "N/A", "details": _NO_CHANGE},
    "idempotent": {"support": "full"},
}

K8S_GROUP = {
    "action_group": {
        "description": "Use C(group/mcpmesh.platform.k8s) in C(module_defaults) to set defaults for this module.",
        "support": "full",
        "membership": ["mcpmesh.platform.k8s"],
    },
}


def fragment(*attribute_sets: dict, options: dict | None = None) -> str:
    """A doc fragment with the author, ``options`` and the attributes merged from ``attribute_sets`` in order."""
    attributes: dict = {}
    for attribute_set in attribute_sets:
        for name, fields in attribute_set.items():
            attributes.setdefault(name, {}).update(fields)
    return json.dumps({"author": AUTHOR, "options": options or {}, "attributes": attributes})


class ModuleDocFragment:
    # Literal strings, as ansible-test's yamllint sanity test requires of a fragment; they are the
    # composed values above (tests/unit/test_doc_fragments.py checks that they stay equal).
    DOCUMENTATION = r'''
{
  "author": [
    "mcpmesh maintainers (@mcpmesh)"
  ],
  "options": {},
  "attributes": {
    "check_mode": {
      "description": "Can run in check_mode and return changed status prediction without modifying target."
    },
    "diff_mode": {
      "description": "Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode."
    },
    "idempotent": {
      "description": [
        "When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.",
        "This assumes that the system controlled/queried by the module has not changed in a relevant way."
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
  "options": {},
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
    }
  }
}
'''

    INFO_MODULE = r'''
{
  "author": [
    "mcpmesh maintainers (@mcpmesh)"
  ],
  "options": {},
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
    }
  }
}
'''

    ACTIONGROUP_K8S = r'''
{
  "author": [
    "mcpmesh maintainers (@mcpmesh)"
  ],
  "options": {},
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
