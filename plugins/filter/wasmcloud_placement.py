# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wasmcloud_placement filter: where a wasmCloud workload stands (docs in wasmcloud_placement.yml)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mcpmesh.platform.plugins.module_utils._placement import verdict


def wasmcloud_placement(workloads, workload_deployments=None, release="", imports=None, offered="", hosts=None):
    if workloads is not None and not isinstance(workloads, list):
        raise AnsibleFilterError("wasmcloud_placement: the input must be a list of Workload objects")
    for name, value in (("workload_deployments", workload_deployments), ("imports", imports), ("hosts", hosts)):
        if value is not None and not isinstance(value, list):
            raise AnsibleFilterError(f"wasmcloud_placement: {name} must be a list")
    return verdict(workload_deployments, workloads, release=str(release or ""), imports=imports or [],
                   offered=str(offered or ""), hosts=hosts or [])


class FilterModule:
    def filters(self):
        return {"wasmcloud_placement": wasmcloud_placement}
