# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic of the kind_cluster module: kind's and kubectl's outputs, and the cluster config checks.

kind's behaviour (kind v0.32, pkg/cmd/kind and pkg/log): every log line and every error goes to stderr (errors as
``ERROR: <msg>``, exit 1); ``kind get clusters`` prints one name per line on stdout and, when there
is none, ``No kind clusters found.`` on stderr with exit 0; ``kind create cluster --wait`` does not
fail when the wait times out, so readiness is checked here from ``kubectl get nodes -o json``.
"""
from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

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
    """The ``ERROR:`` lines kind printed, else its last line: what a failure message quotes (bounded)."""
    lines = [line.strip() for line in _text.strip_control(stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    if errors:
        return _text.cut(" ".join(errors), _text.MESSAGE_LIMIT)
    return _text.cut(lines[-1], _text.MESSAGE_LIMIT) if lines else f"exit status {rc}, nothing on stderr"


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
        problems.append(f"kind must be Cluster, not {_text.quote(config.get('kind'))}")
    if config.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion must be {API_VERSION}, not {_text.quote(config.get('apiVersion'))}")
    problems += _unknown_keys(config, _TOP_KEYS, "")
    if name and config.get("name") not in (None, name):
        problems.append(f"name {_text.quote(config.get('name'))} differs from the cluster name {name!r} (--name wins; "
                        "render the config with the same name)")
    networking = config.get("networking") or {}
    if not isinstance(networking, dict):
        problems.append("networking must be a mapping")
        networking = {}
    problems += _unknown_keys(networking, _NETWORKING_KEYS, "networking")
    if "ipFamily" in networking and networking["ipFamily"] not in ("ipv4", "ipv6", "dual"):
        problems.append(f"networking.ipFamily must be ipv4, ipv6 or dual, not {_text.quote(networking['ipFamily'])}")
    if "apiServerPort" in networking:
        port = networking["apiServerPort"]
        if not (_port(port) or port == -1):
            problems.append(f"networking.apiServerPort must be a port number (0 or -1: kind picks one), not {_text.quote(port)}")
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
    for where, node in _mappings(nodes, "nodes", problems):
        problems += _unknown_keys(node, _NODE_KEYS, where)
        if node.get("role") not in ("control-plane", "worker"):
            problems.append(f"{where}.role must be control-plane or worker, not {_text.quote(node.get('role'))}")
        image = node.get("image")
        if image is not None and (not isinstance(image, str) or not _PINNED_IMAGE.match(image)
                                  or ("@" not in image and ":" not in image.rsplit("/", 1)[-1])):
            problems.append(f"{where}.image {_text.quote(image)} has neither a tag nor a digest; pin it, for example "
                            "kindest/node:v1.36.1@sha256:<digest>")
        mappings = node.get("extraPortMappings") or []
        if not isinstance(mappings, list):
            problems.append(f"{where}.extraPortMappings must be a list")
            continue
        for spot, mapping in _mappings(mappings, f"{where}.extraPortMappings", problems):
            problems += _unknown_keys(mapping, _MAPPING_KEYS, spot)
            if not _port(mapping.get("containerPort")) or mapping.get("containerPort") == 0:
                problems.append(f"{spot}.containerPort must be a port number, not {_text.quote(mapping.get('containerPort'))}")
            host_port = mapping.get("hostPort", 0)
            if not (_port(host_port) or host_port == -1):
                problems.append(f"{spot}.hostPort must be a port number, not {_text.quote(host_port)}")
            protocol = mapping.get("protocol", "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                problems.append(f"{spot}.protocol must be TCP, UDP or SCTP, not {_text.quote(protocol)}")
            listen = mapping.get("listenAddress", "0.0.0.0")
            problems += _address_problem(listen, f"{spot}.listenAddress")
            if _port(host_port) and host_port > 0:
                key = (host_port, str(listen), protocol)
                if key in seen:
                    problems.append(f"{spot} maps host port {host_port}/{protocol} on {listen} again "
                                    f"(already mapped by {seen[key]}); each host port can be mapped once")
                seen.setdefault(key, spot)
    return problems


def _mappings(items: list, where: str, problems: list):
    """``(where[i], item)`` for the items that are mappings; a problem line for each that is not."""
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{where}[{index}]", item
        else:
            problems.append(f"{where}[{index}] must be a mapping")


def _unknown_keys(mapping: dict, known: set, where: str) -> list[str]:
    """A line for every key kind does not know, sorted (keys of any type)."""
    prefix = f"{where}: " if where else ""
    return [f"{prefix}unknown key {_text.quote(key)}" for key in sorted(set(mapping) - known, key=str)]


def _address_problem(value, where: str) -> list[str]:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return [f"{where} must be an IP address, not {_text.quote(value)}"]
    return []


def node_count(config) -> int:
    """How many nodes the config asks for (kind's default is one)."""
    if isinstance(config, dict) and isinstance(config.get("nodes"), list) and config["nodes"]:
        return len(config["nodes"])
    return 1


def _json(text: str, command: str):
    try:
        return json.loads(text)
    except ValueError as exc:
        raise KindError(f"{command} printed something that is not JSON ({_text.cut(str(exc), 120)})") from None
    except RecursionError:
        raise KindError(f"{command} printed JSON nested too deeply to read") from None


def _mapping(value, where: str) -> dict:
    """``value`` when it is a mapping (None counts as empty), else a KindError naming the field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise KindError(f"kubectl get nodes -o json: {where} is a {type(value).__name__}, not an object")
    return value


def _string(value, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return None if value is None else _text.clean(value, _text.MESSAGE_LIMIT, keep_newlines=False)
    if isinstance(value, (int, float, bool)):
        return str(value)
    raise KindError(f"kubectl get nodes -o json: {where} is a {type(value).__name__}, not a string")


def node_readiness(nodes_json: str) -> list[dict]:
    """``kubectl get nodes -o json`` -> ``[{name, ready, roles, reason, message, kubelet}]``.

    Fields of the wrong type raise KindError naming the field; strings are cleaned and cut."""
    doc = _json(nodes_json, "kubectl get nodes -o json")
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise KindError("kubectl get nodes -o json printed no 'items' list")
    rows = []
    for index, item in enumerate(items):
        where = f"items[{index}]"
        item = _mapping(item, where)
        meta = _mapping(item.get("metadata"), f"{where}.metadata")
        labels = _mapping(meta.get("labels"), f"{where}.metadata.labels")
        status = _mapping(item.get("status"), f"{where}.status")
        conditions = status.get("conditions") or []
        if not isinstance(conditions, list):
            raise KindError(f"kubectl get nodes -o json: {where}.status.conditions is a "
                            f"{type(conditions).__name__}, not a list")
        ready = None
        for number, condition in enumerate(conditions):
            condition = _mapping(condition, f"{where}.status.conditions[{number}]")
            if condition.get("type") == "Ready":
                ready = condition
                break
        ready = ready or {}
        rows.append({
            "name": _string(meta.get("name"), f"{where}.metadata.name"),
            "ready": ready.get("status") == "True",
            "roles": sorted(_text.clean(key.split("/", 1)[1], 100) for key in labels
                            if isinstance(key, str) and key.startswith("node-role.kubernetes.io/")),
            "reason": _string(ready.get("reason"), f"{where} Ready reason") or "no Ready condition yet",
            "message": _string(ready.get("message"), f"{where} Ready message") or "",
            "kubelet": _string(_mapping(status.get("nodeInfo"), f"{where}.status.nodeInfo").get("kubeletVersion"),
                               f"{where}.status.nodeInfo.kubeletVersion"),
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
        parts.append("not Ready: " + _text.names(waiting, limit=5))
    return "; ".join(parts) or "all nodes Ready"


def server_version(version_json: str) -> tuple[str, str]:
    """``kubectl version -o json`` -> (gitVersion, ``MAJOR.MINOR``) of the server."""
    try:
        server = _json(version_json, "kubectl version -o json")["serverVersion"]
        major = re.sub(r"\D", "", str(server["major"]))[:6]
        minor = re.sub(r"\D", "", str(server["minor"]))[:6]
        git = server.get("gitVersion") or f"v{major}.{minor}"
        if not isinstance(git, str):
            raise TypeError(f"gitVersion is a {type(git).__name__}")
    except (KeyError, TypeError, AttributeError) as exc:
        raise KindError(f"kubectl version -o json printed no serverVersion ({_text.quote(str(exc))})") from None
    if not major or not minor:
        match = re.match(r"^v?(\d+)\.(\d+)", git)
        if not match:
            raise KindError(f"kubectl version -o json: cannot read the server version from {_text.quote(git)}")
        major, minor = match[1], match[2]
    return _text.clean(git, 100, keep_newlines=False), f"{int(major)}.{int(minor)}"
