# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
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
"""
