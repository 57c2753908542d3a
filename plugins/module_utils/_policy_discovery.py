# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a service graph must know of workloads whose charts are not public (no Ansible imports).

The Cosmonic Control charts do not publish their templates, so the pod labels, ServiceAccounts
and HTTP ports of Envoy and the HostGroup are not known in advance. The mesh_policy_check module
reads them from the live Deployments, found with the same ordered label selectors the cosmonic
role meshes them by: the Server selects the Deployments' own pod selector, the allowed identity
is their pod template's ServiceAccount, and the port is the container port named ``http`` (else
the only one). Anything ambiguous is a problem that names what was found and the variable to set.
"""
from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.mcpmesh.platform.plugins.module_utils._policy import shorten

# Ports of Linkerd's own containers (injected pods are read too).
_LINKERD_CONTAINERS = ("linkerd-proxy", "linkerd-init", "linkerd-network-validator")


def _meta(obj: Mapping) -> Mapping:
    return obj.get("metadata") or {}


def _matches(selector: str, labels: Mapping) -> bool:
    key, value = (str(selector).split("=", 1) + [""])[:2]
    return key in labels and (not value or labels[key] == value)


def _template(deployment: Mapping) -> Mapping:
    return ((deployment.get("spec") or {}).get("template") or {})


def service_account(deployment: Mapping) -> str:
    """The pod template's ServiceAccount; Kubernetes uses ``default`` when none is named."""
    spec = _template(deployment).get("spec") or {}
    return spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"


def pod_selector(deployment: Mapping) -> dict:
    """The labels that select the Deployment's pods: its matchLabels, else its template's labels."""
    selector = (deployment.get("spec") or {}).get("selector") or {}
    if selector.get("matchLabels") and not selector.get("matchExpressions"):
        return dict(selector["matchLabels"])
    labels = dict(_meta(_template(deployment)).get("labels") or {})
    labels.pop("pod-template-hash", None)
    return labels


def tcp_ports(deployment: Mapping) -> list[dict]:
    """The TCP container ports of the workload's own containers."""
    spec = _template(deployment).get("spec") or {}
    return [p for c in spec.get("containers") or [] if c.get("name") not in _LINKERD_CONTAINERS
            for p in c.get("ports") or [] if (p.get("protocol") or "TCP") == "TCP" and p.get("containerPort")]


def http_port(deployment: Mapping):
    """The HTTP container port, by name when it has one: ``http``, else the only ``http*`` name, else
    the only port. None when that is ambiguous."""
    ports = tcp_ports(deployment)
    named = [p for p in ports if p.get("name") == "http"] or [p for p in ports if str(p.get("name", "")).startswith("http")]
    chosen = named if len(named) == 1 else (ports if len(ports) == 1 else [])
    if not chosen:
        return None
    return chosen[0].get("name") or chosen[0]["containerPort"]


def _describe(deployments: list) -> str:
    return shorten("; ".join(f"{_meta(d).get('name', '?')} {dict(_meta(d).get('labels') or {})}" for d in deployments)
                   or "none", 600)


def discover(deployments: list, workloads: list) -> tuple[dict, list[str]]:
    """Find each workload's pods, identity and HTTP port in ``deployments`` (k8s_info resources).

    workloads: ``[{name, selectors: ["key=value" | "key", ...], port (optional: keep it), variable}]``;
    the first selector that matches any Deployment wins, as in the cosmonic role. Returns
    ``({name: {deployments, selector, service_accounts, port, ports}}, problems)``.
    """
    found, problems = {}, []
    for workload in workloads:
        name, variable = workload["name"], workload.get("variable") or f"the {workload['name']} overrides"
        matched, used = [], None
        for selector in workload.get("selectors") or []:
            matched = [d for d in deployments if _matches(selector, _meta(d).get("labels") or {})]
            if matched:
                used = selector
                break
        if not matched:
            problems.append(f"no Deployment matches the {name} selectors {list(workload.get('selectors') or [])}; "
                            f"Deployments and their labels: {_describe(deployments)}; set {variable}")
            continue
        selectors = [pod_selector(d) for d in matched]
        common = {k: v for k, v in selectors[0].items() if all(s.get(k) == v for s in selectors[1:])}
        ports = {repr(http_port(d)): http_port(d) for d in matched}
        port = workload.get("port") or (next(iter(ports.values())) if len(ports) == 1 else None)
        names = [_meta(d).get("name", "?") for d in matched]
        if not common:
            problems.append(f"the {name} Deployments {names} (selector {used}) share no pod label to select them by; "
                            f"set {variable}")
        if port is None:
            listed = [(_meta(d).get("name"), [(p.get("name"), p["containerPort"]) for p in tcp_ports(d)]) for d in matched]
            problems.append(f"the HTTP port of {name} is ambiguous (container ports {shorten(listed, 300)}); set {variable}")
        found[name] = {"deployments": names, "selector": common, "port": port,
                       "service_accounts": sorted({service_account(d) for d in matched}),
                       "ports": sorted({(p.get("name") or "", p["containerPort"]) for d in matched for p in tcp_ports(d)})}
    return found, problems
