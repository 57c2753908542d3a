# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schemas for the metallb custom resources and Helm values we render (the fields we set)."""
from __future__ import annotations

# (apiVersion, kind) -> JSON schema of the whole object
CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}

# chart key (as used in validate_artifacts' helm_values[].chart) -> JSON schema of the values file
HELM_VALUES: dict[str, dict] = {}
