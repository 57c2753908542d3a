# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic for runs over several clusters and over clusters the collection did not create.

* :func:`collisions`: what two clusters of one run would share and must not (the
  ``cluster_collisions`` filter): a kind cluster name, a kubeconfig context, an artifacts folder, a
  host port (kind maps host ports on this machine), a MetalLB address slice on one container network
  (every kind cluster of a machine sits on the same network, ``kind``).
* :func:`ingress_endpoint`: where the MCP endpoint of an existing cluster is, from the edge proxy's
  Service (the ``ingress_endpoint`` filter): its LoadBalancer address and the Service port behind the
  line's HTTP NodePort.

No Ansible imports.
"""
from __future__ import annotations

import ipaddress
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _hosts_of(values: dict, key) -> str:
    return _text.names(sorted(values[key]))


def _shared(clusters: list[dict], what: str, key_of) -> list[str]:
    """One sentence per value of ``key_of(cluster)`` held by more than one cluster (None: not compared)."""
    seen: dict = {}
    for cluster in clusters:
        for key in key_of(cluster) or []:
            if key is not None:
                seen.setdefault(key, set()).add(str(cluster.get("host")))
    return [f"{_hosts_of(seen, key)} share {what} {_text.quote(key if not isinstance(key, tuple) else key[-1], 200)}"
            for key in sorted(seen, key=str) if len(seen[key]) > 1]


def _slice(cluster: dict):
    metallb = cluster.get("metallb") or {}
    try:
        first, last = int(metallb.get("first_host", 200)), int(metallb.get("last_host", 250))
    except (TypeError, ValueError):
        return None
    return (str(metallb.get("runtime") or "docker"), str(metallb.get("network") or "kind"), first, last)


def _pool_networks(addresses) -> list:
    found = []
    for entry in addresses or []:
        text = str(entry).strip()
        try:
            if "-" in text:
                first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
                found.extend(ipaddress.summarize_address_range(first, last))
            else:
                found.append(ipaddress.ip_network(text, strict=False))
        except (ValueError, TypeError):
            continue  # the metallb role refuses it by name; nothing to compare here
    return found


def collisions(clusters: list[dict]) -> list[str]:
    """Sentences naming what clusters of one run share; empty when nothing collides.

    Each cluster: ``host`` (the inventory host), ``name``, ``provider`` (kind or existing),
    ``kubeconfig``, ``context``, ``artifacts_dir``, ``host_ports`` (kind), ``loadbalancer`` and, for
    MetalLB, ``metallb`` with ``addresses`` or ``network``/``runtime``/``first_host``/``last_host``.
    """
    clusters = [c for c in clusters if isinstance(c, dict)]
    kind = [c for c in clusters if c.get("provider", "kind") == "kind"]
    problems = []
    problems += _shared(kind, "the kind cluster name", lambda c: [c.get("name")])
    problems += _shared(clusters, "the kubeconfig context",
                        lambda c: [(str(c.get("kubeconfig") or ""), c.get("context"))] if c.get("context") else [])
    problems += _shared(clusters, "the artifacts folder",
                        lambda c: [str(c.get("artifacts_dir")).rstrip("/")] if c.get("artifacts_dir") else [])
    problems += _shared(kind, "the host port",
                        lambda c: [int(p) for p in c.get("host_ports") or [] if str(p).isdigit() and int(p) > 0])

    metallb = [c for c in clusters if c.get("loadbalancer") == "metallb"]
    given = [(c, _pool_networks((c.get("metallb") or {}).get("addresses"))) for c in metallb]
    computed = [(c, _slice(c)) for c in metallb if not (c.get("metallb") or {}).get("addresses")]
    for index, (one, one_slice) in enumerate(computed):
        for other, other_slice in computed[index + 1:]:
            if one_slice and other_slice and one_slice[:2] == other_slice[:2] \
                    and one_slice[2] <= other_slice[3] and other_slice[2] <= one_slice[3]:
                problems.append(
                    f"{one.get('host')} and {other.get('host')} take their MetalLB pools from the same {one_slice[0]} "
                    f"network {one_slice[1]!r} with overlapping host numbers ({one_slice[2]}-{one_slice[3]} and "
                    f"{other_slice[2]}-{other_slice[3]}): give each its own metallb_first_host..metallb_last_host "
                    "slice (the example inventory derives them from mcpmesh_cluster_index), or metallb_addresses")
    for index, (one, one_nets) in enumerate(given):
        for other, other_nets in given[index + 1:]:
            if any(a.version == b.version and a.overlaps(b) for a in one_nets for b in other_nets):
                problems.append(f"{one.get('host')} and {other.get('host')} have overlapping metallb_addresses")
    return problems


def _labels_match(labels: dict, selector: str) -> bool:
    """An equality selector (``a=b,c=d``, ``a==b``) against a label map."""
    for term in str(selector).split(","):
        term = term.strip()
        if not term:
            continue
        key, sep, value = term.replace("==", "=").partition("=")
        if not sep or labels.get(key.strip()) != value.strip():
            return False
    return True


def _edge_services(services: list, selectors: list) -> tuple[list, str]:
    for selector in selectors or []:
        matched = [s for s in services
                   if isinstance(s, dict) and _labels_match(((s.get("metadata") or {}).get("labels") or {}), selector)]
        if matched:
            return matched, str(selector)
    return [], ""


def _port(service: dict, node_port: int) -> int | None:
    ports = [p for p in ((service.get("spec") or {}).get("ports") or []) if isinstance(p, dict)]
    for wanted in (lambda p: node_port and p.get("nodePort") == node_port,
                   lambda p: str(p.get("name") or "") in ("web", "http"),
                   lambda p: p.get("port") == 80):
        for port in ports:
            if wanted(port) and isinstance(port.get("port"), int):
                return port["port"]
    return ports[0]["port"] if len(ports) == 1 and isinstance(ports[0].get("port"), int) else None


def _address_ok(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return bool(_HOSTNAME.match(address))


def _node_address(nodes: list) -> str:
    """The ExternalIP, else the InternalIP, of the first Ready node that has one."""
    ready = []
    for node in nodes or []:
        if not isinstance(node, dict):
            continue
        status = node.get("status") or {}
        conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            ready.append([a for a in status.get("addresses") or [] if isinstance(a, dict)])
    for kind in ("ExternalIP", "InternalIP"):
        for addresses in ready:
            for address in addresses:
                if address.get("type") == kind and address.get("address"):
                    return str(address["address"])
    return ""


def ingress_endpoint(services: list, selectors: list, node_port: int = 0, path: str = "/v1/mcp",
                     nodes: list | None = None) -> dict:
    """``{url, address, port, service, via, problem}`` of the edge proxy's Service.

    ``services`` (and ``nodes``) as ``k8s_info`` returns them; the first selector that matches any
    Service decides (the line's edge selectors, tried in order). A LoadBalancer Service gives its first
    ingress (IP, else hostname) and the Service port whose nodePort is the line's HTTP NodePort (else
    the port named ``web`` or ``http``, else port 80). A NodePort Service (Cosmonic's Traefik is one)
    gives the address of a Ready node (ExternalIP, else InternalIP) and that NodePort, when ``nodes``
    are given. ``problem`` is empty when ``url`` is usable.
    """
    result = {"url": "", "address": "", "port": None, "service": "", "via": "", "problem": ""}
    services = [s for s in services or [] if isinstance(s, dict)]
    matched, selector = _edge_services(services, selectors)
    if not matched:
        names = [str((s.get("metadata") or {}).get("name")) for s in services]
        result["problem"] = (f"no Service matches the edge proxy's selectors ({_text.names(selectors or ['none'])}); "
                             f"the namespace has {_text.names(names) if names else 'no Service'}")
        return result
    service = matched[0]
    meta = service.get("metadata") or {}
    result["service"] = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}".strip("/")
    spec = service.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    port = _port(service, int(node_port or 0))
    if port is None:
        result["problem"] = f"the Service {result['service']} (selector {selector}) has no HTTP port to use"
        return result
    ingress = [i for i in (((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])
               if isinstance(i, dict)]
    address = next((str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")), "")
    result["via"] = "LoadBalancer"
    if not address and kind == "NodePort":
        node_ports = [p.get("nodePort") for p in spec.get("ports") or []
                      if isinstance(p, dict) and p.get("port") == port and isinstance(p.get("nodePort"), int)]
        address = _node_address(nodes) if node_ports else ""
        if not address:
            result["problem"] = (f"the Service {result['service']} is of type NodePort and no Ready node has an address "
                                 "to reach it on")
            return result
        port, result["via"] = node_ports[0], "NodePort"
    result["port"] = port
    if not address:
        result["problem"] = (f"the Service {result['service']} (type {kind}) has no LoadBalancer address yet"
                             if kind == "LoadBalancer" else
                             f"the Service {result['service']} is of type {kind}, so it has no LoadBalancer address")
        return result
    address = _text.clean(address, 253, keep_newlines=False)
    if not _address_ok(address):
        result["problem"] = (f"the Service {result['service']} has the address {_text.quote(address, 100)}, "
                             "which is neither an IP address nor a host name")
        return result
    result["address"] = address
    host = f"[{address}]" if ":" in address else address
    result["url"] = f"http://{host}{'' if port == 80 else ':' + str(port)}{path}"
    return result
