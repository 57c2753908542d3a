# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's filters: thin wrappers over the pure logic in module_utils.

Each filter is documented in the file of its name beside this one (``<name>.yml``: DOCUMENTATION, EXAMPLES,
RETURN), as ansible-core documents the filters it keeps together in one Python file. A filter coerces its
arguments and calls module_utils; ``_raising`` turns the logic's own error type into ``AnsibleFilterError``.
"""
from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.mcpmesh.platform.plugins.module_utils._clusters import collisions, ingress_endpoint as _endpoint
from ansible_collections.mcpmesh.platform.plugins.module_utils._digests import digests
from ansible_collections.mcpmesh.platform.plugins.module_utils._masking import failure_message, is_failure
from ansible_collections.mcpmesh.platform.plugins.module_utils._placement import verdict
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import (
    RoleValueError, endpoints_ready, identity_current, pool_summary, release_values, webhooks_ca_bundled)
from ansible_collections.mcpmesh.platform.plugins.module_utils._traffic_split import route_status
from ansible_collections.mcpmesh.platform.plugins.module_utils._vars import problems


def _raising(*errors):
    """The decorated filter, with ``errors`` (the pure logic's own) raised as ``AnsibleFilterError``."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except errors as exc:
                raise AnsibleFilterError(str(exc)) from None
        return wrapper
    return decorate


def cluster_collisions(clusters):
    return collisions(clusters)


@_raising(RoleValueError)
def helm_release_values(read, fallback=None, overlays=None, forbidden_digests=None, what="the values file"):
    return release_values(read, fallback, overlays, forbidden_digests, str(what))


def httproute_status(route):
    if route is not None and not isinstance(route, dict):
        raise AnsibleFilterError("httproute_status: the input must be an HTTPRoute object (a mapping) or null")
    return route_status(route)


def ingress_endpoint(services, selectors, node_port=0, path="/v1/mcp", nodes=None):
    return _endpoint(services, selectors, int(node_port or 0), path, nodes or [])


@_raising(RoleValueError)
def linkerd_identity_current(found):
    return identity_current(found)


def masked_failure(result, what, next_step=""):
    if not is_failure(result):
        return ""
    return failure_message(result, str(what), str(next_step or ""))


@_raising(RoleValueError)
def metallb_pool_summary(found, addresses=None, network_info_given=False):
    return pool_summary(found, addresses, bool(network_info_given))


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
        return {
            "cluster_collisions": cluster_collisions,
            # endpoints_ready, secret_digests, var_problems and webhooks_ca_bundled are the logic's functions
            # themselves (unit-tested in module_utils).
            "endpoints_ready": endpoints_ready,
            "helm_release_values": helm_release_values,
            "httproute_status": httproute_status,
            "ingress_endpoint": ingress_endpoint,
            "linkerd_identity_current": linkerd_identity_current,
            "masked_failure": masked_failure,
            "metallb_pool_summary": metallb_pool_summary,
            "secret_digests": digests,
            "var_problems": problems,
            "wasmcloud_placement": wasmcloud_placement,
            "webhooks_ca_bundled": webhooks_ca_bundled,
        }
