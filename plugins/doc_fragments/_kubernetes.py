# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The cluster-facing modules' kubeconfig options and their membership of the k8s action group.

It sets no field the ``_attributes`` pieces set, so it goes beside them in any order. Every module using it
is listed in ``meta/runtime.yml`` under ``action_groups.k8s``; the argument spec it pairs with is
``_cli.K8S_ARG_SPEC``.
"""
from __future__ import annotations


class ModuleDocFragment:
    # The same option names kubernetes.core uses, so one module_defaults entry
    # for group/mcpmesh.platform.k8s serves both collections.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to the kubeconfig file the module (and the CLIs it runs) should use.
      - When not set, the C(KUBECONFIG) environment variable or C(~/.kube/config) applies.
    type: path
  context:
    description:
      - The kubeconfig context to use. When not set, the current context applies.
    type: str
attributes:
  action_group:
    description: Use C(group/mcpmesh.platform.k8s) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [mcpmesh.platform.k8s]
"""
