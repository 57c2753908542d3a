# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: ingress_endpoint
short_description: The MCP endpoint of an existing cluster, from the edge proxy's Service
version_added: 0.1.0
description:
  - On a cluster the collection did not create there is no kind port mapping; the MCP endpoint is the
    LoadBalancer address of the Service in front of Cosmonic Control's edge proxy (Traefik on the 0.4 line,
    Envoy on 0.3).
  - Finds that Service by the first of O(selectors) that matches any Service, takes its first LoadBalancer
    ingress (IP, else hostname) and the Service port whose C(nodePort) is O(node_port) (else the port named
    C(web) or C(http), else port 80), and returns the URL. A NodePort Service is reached on a Ready node of O(nodes).
positional: selectors, node_port, path, nodes
options:
  _input:
    description: The Services of the edge proxy's namespace, as C(kubernetes.core.k8s_info) returns them.
    type: list
    elements: dict
    required: true
  selectors:
    description: Label selectors (C(key=value[,key=value])) tried in order.
    type: list
    elements: str
    required: true
  node_port:
    description: The line's HTTP NodePort, which tells the HTTP port of the Service apart; 0 when unknown.
    type: int
    default: 0
  path:
    description: The MCP path appended to the URL.
    type: str
    default: /v1/mcp
  nodes:
    description:
      - The cluster's Nodes, as C(kubernetes.core.k8s_info) returns them. A NodePort Service (Cosmonic Control's Traefik
        is one) is then reached on the ExternalIP, else the InternalIP, of the first Ready node.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Use the edge proxy's LoadBalancer address as the MCP endpoint.
  ansible.builtin.set_fact:
    petstore_verify_url: "{{ (services.resources | mcpmesh.platform.ingress_endpoint(['app.kubernetes.io/name=traefik'], 30080)).url }}"
"""

RETURN = r"""
_value:
  description: The endpoint.
  type: dict
  contains:
    url:
      description: C(http://<address>[:<port>]<path>); empty when there is a problem.
      type: str
    address:
      description: The LoadBalancer IP or hostname.
      type: str
    port:
      description: The Service port used.
      type: int
    service:
      description: C(<namespace>/<name>) of the Service found.
      type: str
    via:
      description: V(LoadBalancer) or V(NodePort), how the address was found.
      type: str
    problem:
      description: Why there is no URL (no matching Service, no LoadBalancer address yet, no HTTP port); empty otherwise.
      type: str
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._clusters import ingress_endpoint as _endpoint


def ingress_endpoint(services, selectors, node_port=0, path="/v1/mcp", nodes=None):
    return _endpoint(services, selectors, int(node_port or 0), path, nodes or [])


class FilterModule:
    def filters(self):
        return {"ingress_endpoint": ingress_endpoint}
