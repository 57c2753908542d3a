# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic of the kind_cluster module: kind's and kubectl's outputs, and the cluster config checks.

kind facts (stack-facts.md §1.1, §1.2): every log line and every error goes to stderr (errors as
``ERROR: <msg>``, exit 1); ``kind get clusters`` prints one name per line on stdout and, when there
is none, ``No kind clusters found.`` on stderr with exit 0; ``kind create cluster --wait`` does not
fail when the wait times out, so readiness is checked here from ``kubectl get nodes -o json``.
"""
from __future__ import annotations

import ipaddress
import json
import re

API_VERSION = "kind.x-k8s.io/v1alpha4"

_TOP_KEYS = {"kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig",
             "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches",
             "containerdConfigPatchesJSON6902"}
_NODE_KEYS = {"role", "image", "labels", "extraMounts", "extraPortMappings", "kubeadmConfigPatches",
              "kubeadmConfigPatchesJSON6902"}
_NETWORKING_KEYS = {"ipFamily", "apiServerAddress", "apiServerPort", "podSubnet", "serviceSubnet",
                    "disableDefaultCNI", "kubeProxyMode", "dnsSearch"}
_MAPPING_KEYS = {"containerPort", "hostPort", "listenAddress", "protocol"}
# an image with a tag or a digest; a bare name would float to :latest
_PINNED_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+(:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127})?(@sha256:[a-f0-9]{64})?$")


class KindError(ValueError):
    """An output that cannot be read; the message says which and why."""


def parse_clusters(stdout: str) -> list[str]:
    """``kind get clusters`` -> the names (nothing on stdout when there is none)."""
    return [line.strip() for line in (stdout or "").splitlines() if line.strip()]


def kind_error(stderr: str, rc: int) -> str:
    """The ``ERROR:`` lines kind printed, else its last line: what a failure message quotes."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    if errors:
        return " ".join(errors)
    return lines[-1] if lines else f"exit status {rc}, nothing on stderr"


def _port(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535


def config_problems(config, name: str | None = None) -> list[str]:
    """Everything wrong with a kind Cluster config (kind.x-k8s.io/v1alpha4), one line each.

    The checks kind itself makes before creating (roles, port mappings and their duplicates,
    ipFamily), plus the ones that keep a typo from being silently ignored: unknown keys, and an
    image with neither tag nor digest.
    """
    if not isinstance(config, dict):
        return [f"the config is a {type(config).__name__}, not a mapping"]
    problems = []
    if config.get("kind") != "Cluster":
        problems.append(f"kind must be Cluster, not {config.get('kind')!r}")
    if config.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion must be {API_VERSION}, not {config.get('apiVersion')!r}")
    problems += [f"unknown key {key!r}" for key in sorted(set(config) - _TOP_KEYS)]
    if name and config.get("name") not in (None, name):
        problems.append(f"name {config.get('name')!r} differs from the cluster name {name!r} (--name wins; "
                        "render the config with the same name)")
    networking = config.get("networking") or {}
    if not isinstance(networking, dict):
        problems.append("networking must be a mapping")
        networking = {}
    problems += [f"networking: unknown key {key!r}" for key in sorted(set(networking) - _NETWORKING_KEYS)]
    if "ipFamily" in networking and networking["ipFamily"] not in ("ipv4", "ipv6", "dual"):
        problems.append(f"networking.ipFamily must be ipv4, ipv6 or dual, not {networking['ipFamily']!r}")
    if "apiServerPort" in networking:
        port = networking["apiServerPort"]
        if not (_port(port) or port == -1):
            problems.append(f"networking.apiServerPort must be a port number (0 or -1: kind picks one), not {port!r}")
    if "apiServerAddress" in networking:
        problems += _address_problem(networking["apiServerAddress"], "networking.apiServerAddress")
    nodes = config.get("nodes")
    if nodes is None:
        nodes = [{"role": "control-plane"}]  # kind's default: one control-plane node
    if not isinstance(nodes, list) or not nodes:
        return problems + ["nodes must be a non-empty list"]
    roles = [node.get("role") if isinstance(node, dict) else None for node in nodes]
    if "control-plane" not in roles:
        problems.append("nodes must include a control-plane node")
    seen: dict[tuple, str] = {}
    for index, node in enumerate(nodes):
        where = f"nodes[{index}]"
        if not isinstance(node, dict):
            problems.append(f"{where} must be a mapping")
            continue
        problems += [f"{where}: unknown key {key!r}" for key in sorted(set(node) - _NODE_KEYS)]
        if node.get("role") not in ("control-plane", "worker"):
            problems.append(f"{where}.role must be control-plane or worker, not {node.get('role')!r}")
        image = node.get("image")
        if image is not None and (not isinstance(image, str) or not _PINNED_IMAGE.match(image)
                                  or ("@" not in image and ":" not in image.rsplit("/", 1)[-1])):
            problems.append(f"{where}.image {image!r} has neither a tag nor a digest; pin it, for example "
                            "kindest/node:v1.36.1@sha256:<digest>")
        mappings = node.get("extraPortMappings") or []
        if not isinstance(mappings, list):
            problems.append(f"{where}.extraPortMappings must be a list")
            continue
        for number, mapping in enumerate(mappings):
            spot = f"{where}.extraPortMappings[{number}]"
            if not isinstance(mapping, dict):
                problems.append(f"{spot} must be a mapping")
                continue
            problems += [f"{spot}: unknown key {key!r}" for key in sorted(set(mapping) - _MAPPING_KEYS)]
            if not _port(mapping.get("containerPort")) or mapping.get("containerPort") == 0:
                problems.append(f"{spot}.containerPort must be a port number, not {mapping.get('containerPort')!r}")
            host_port = mapping.get("hostPort", 0)
            if not (_port(host_port) or host_port == -1):
                problems.append(f"{spot}.hostPort must be a port number, not {host_port!r}")
            protocol = mapping.get("protocol", "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                problems.append(f"{spot}.protocol must be TCP, UDP or SCTP, not {protocol!r}")
            listen = mapping.get("listenAddress", "0.0.0.0")
            problems += _address_problem(listen, f"{spot}.listenAddress")
            if _port(host_port) and host_port > 0:
                key = (host_port, str(listen), protocol)
                if key in seen:
                    problems.append(f"{spot} maps host port {host_port}/{protocol} on {listen} again "
                                    f"(already mapped by {seen[key]}); each host port can be mapped once")
                seen.setdefault(key, spot)
    return problems


def _address_problem(value, where: str) -> list[str]:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return [f"{where} must be an IP address, not {value!r}"]
    return []


def node_count(config) -> int:
    """How many nodes the config asks for (kind's default is one)."""
    if isinstance(config, dict) and isinstance(config.get("nodes"), list) and config["nodes"]:
        return len(config["nodes"])
    return 1


def node_readiness(nodes_json: str) -> list[dict]:
    """``kubectl get nodes -o json`` -> ``[{name, ready, roles, reason, kubelet}]``."""
    try:
        doc = json.loads(nodes_json)
    except ValueError as exc:
        raise KindError(f"kubectl get nodes -o json printed something that is not JSON ({exc})") from exc
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise KindError("kubectl get nodes -o json printed no 'items' list")
    rows = []
    for item in items:
        meta = item.get("metadata") or {}
        labels = meta.get("labels") or {}
        status = item.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
        rows.append({
            "name": meta.get("name"),
            "ready": bool(ready and ready.get("status") == "True"),
            "roles": sorted(key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")),
            "reason": (ready or {}).get("reason") or "no Ready condition yet",
            "message": (ready or {}).get("message") or "",
            "kubelet": (status.get("nodeInfo") or {}).get("kubeletVersion"),
        })
    return rows


def all_ready(rows: list[dict], expected: int) -> bool:
    return len(rows) >= expected and all(row["ready"] for row in rows)


def not_ready_summary(rows: list[dict], expected: int) -> str:
    """Which nodes keep the cluster from being Ready, for the failure message."""
    waiting = [f"{row['name']} ({row['reason']}{': ' + row['message'] if row['message'] else ''})"
               for row in rows if not row["ready"]]
    parts = []
    if len(rows) < expected:
        parts.append(f"{len(rows)} of {expected} nodes registered")
    if waiting:
        parts.append("not Ready: " + ", ".join(waiting))
    return "; ".join(parts) or "all nodes Ready"


def server_version(version_json: str) -> tuple[str, str]:
    """``kubectl version -o json`` -> (gitVersion, ``MAJOR.MINOR``) of the server."""
    try:
        server = json.loads(version_json)["serverVersion"]
        major = re.sub(r"\D", "", str(server["major"]))
        minor = re.sub(r"\D", "", str(server["minor"]))
        git = server.get("gitVersion") or f"v{major}.{minor}"
    except (ValueError, KeyError, TypeError) as exc:
        raise KindError(f"kubectl version -o json printed no serverVersion ({exc})") from exc
    if not major or not minor:
        match = re.match(r"^v?(\d+)\.(\d+)", git)
        if not match:
            raise KindError(f"kubectl version -o json: cannot read the server version from {git!r}")
        major, minor = match[1], match[2]
    return git, f"{major}.{minor}"
