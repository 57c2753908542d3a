# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Reading ``linkerd viz edges <type> -n <ns> -o json`` and judging it against the edges expected.

The format (linkerd/linkerd2, ``viz/cmd/edges.go``, the same at edge-25.10.7 and edge-26.8.3): a
JSON array, ``[]`` when there is no edge, of objects with the string fields ``src``,
``src_namespace``, ``dst``, ``dst_namespace``, ``client_id``, ``server_id`` and ``no_tls_reason``.

* An edge is a source resource with open TCP connections from its proxy to a destination resource
  (``viz/metrics-api/edges.go`` queries the outbound ``tcp_open_connections`` gauge), so only a
  meshed source shows up, and only while its connections are open.
* ``client_id`` and ``server_id`` are the proxies' identities cut to ``<service account>.<namespace>``;
  ``server_id`` is empty when the connection is not mTLS.
* ``no_tls_reason`` is empty for mTLS, else why not, in words: ``Disabled``, ``Loopback``,
  ``No Authority In HTTP Request``, ``Not HTTP``, ``Not Provided By Remote`` or
  ``Not Provided By Service Discovery`` (an unknown reason from the metrics comes out empty).

An edge is *secured* when both identities are there and there is no no-TLS reason.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import fnmatch
import json

from ansible_collections.mcpmesh.platform.plugins.module_utils._text import clean, cut, json_array

FIELDS = ("src", "src_namespace", "dst", "dst_namespace", "client_id", "server_id", "no_tls_reason")
# Resource types `linkerd viz edges` refuses itself (viz/cmd/edges.go, validateEdgesRequestInputs).
REFUSED_TYPES = {"authority", "all", "service", "services", "svc"}
EXPECTED_KEYS = ("src", "dst", "src_namespace", "dst_namespace", "client_id", "server_id")


class ParseError(ValueError):
    """The CLI printed something that is not the documented JSON."""


def check_resource(resource: str) -> None:
    """ValueError unless ``resource`` is a resource *type* `linkerd viz edges` takes (no name)."""
    if "/" in resource:
        raise ValueError(f"resource is a resource type (deployment, pod, ...), not a resource: `linkerd viz edges` "
                         f"refuses a name; give {resource.split('/', 1)[0]!r} and name the resources in expected")
    if resource.lower() in REFUSED_TYPES:
        raise ValueError(f"`linkerd viz edges` does not take resource type {resource!r}; give a workload type such as "
                         "deployment, statefulset, daemonset or pod")
    if not resource.strip():
        raise ValueError("resource is empty; give a resource type such as deployment")


def parse_edges(text: str) -> list[dict]:
    """The edges of ``linkerd viz edges -o json``, each with the CLI's fields and ``secured``.

    Raises ParseError for anything that is not a JSON array of edge objects (the table output,
    an error page, binary garbage, an empty output).
    """
    if text is None or not text.strip():
        raise ParseError("no output (the JSON output is `[]` when there is no edge)")
    data = json_array(text, ParseError, lambda reason: f"not JSON ({cut(reason, 100)}): {clean(text, 80, False)!r}",
                      lambda type_name: f"not a JSON array of edges but a {type_name}")
    edges = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("src"), str) or not isinstance(item.get("dst"), str):
            raise ParseError(f"edge {index} is not an object with src and dst: {clean(json.dumps(item), 120, False)}")
        edge = {}
        for field in FIELDS:
            value = item.get(field, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ParseError(f"edge {index}: {field} is not a string but {type(value).__name__}")
            edge[field] = clean(value, 300, keep_newlines=False)
        edge["secured"] = bool(edge["client_id"] and edge["server_id"] and not edge["no_tls_reason"])
        edges.append(edge)
    return edges


def normalize_expected(expected: list[dict], namespace: str) -> list[dict]:
    """Each expected edge with both namespaces filled in (the checked namespace by default).

    ValueError for an entry without src or dst, or with a key this module does not know.
    """
    out = []
    for index, entry in enumerate(expected or [], start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"expected edge {index} is not a dict")
        unknown = sorted(set(entry) - set(EXPECTED_KEYS))
        if unknown:
            raise ValueError(f"expected edge {index} has unknown key(s) {', '.join(unknown)}; the keys are "
                             f"{', '.join(EXPECTED_KEYS)}")
        if not entry.get("src") or not entry.get("dst"):
            raise ValueError(f"expected edge {index} needs both src and dst (resource names; shell-style patterns "
                             "such as hostgroup-* are allowed)")
        out.append({
            "src": str(entry["src"]), "dst": str(entry["dst"]),
            "src_namespace": str(entry.get("src_namespace") or namespace),
            "dst_namespace": str(entry.get("dst_namespace") or namespace),
            "client_id": str(entry["client_id"]) if entry.get("client_id") else None,
            "server_id": str(entry["server_id"]) if entry.get("server_id") else None,
        })
    return out


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def describe(edge: dict) -> str:
    return f"{edge['src_namespace']}/{edge['src']} -> {edge['dst_namespace']}/{edge['dst']}"


def judge(edges: list[dict], expected: list[dict], require_identity: bool) -> tuple[list[dict], list[str]]:
    """``(missing, problems)`` for the edges read against the (normalized) expected ones.

    An expected edge is there when some edge matches its names and namespaces (shell-style
    patterns). With ``require_identity`` one of those must be secured, with the expected
    ``client_id``/``server_id`` when given. With nothing expected, every edge must be secured and
    there must be at least one.
    """
    missing, problems = [], []
    if not expected:
        if not edges:
            problems.append("`linkerd viz edges` shows no edge at all: no meshed workload has an open connection "
                            "to or from this namespace (is there traffic, and are both ends meshed?)")
        elif require_identity:
            for edge in edges:
                if not edge["secured"]:
                    problems.append(f"{describe(edge)} is not mTLS: {why_not(edge)}")
        return missing, problems
    for want in expected:
        candidates = [e for e in edges if _matches(want["src"], e["src"]) and _matches(want["dst"], e["dst"])
                      and _matches(want["src_namespace"], e["src_namespace"])
                      and _matches(want["dst_namespace"], e["dst_namespace"])]
        if not candidates:
            missing.append(want)
            seen = ", ".join(describe(e) for e in edges[:8]) or "none"
            problems.append(f"edge {describe(want)} is missing (edges seen: {seen}{', ...' if len(edges) > 8 else ''}); "
                            "the source must be meshed and hold an open connection to the destination, so run "
                            "traffic through it first")
            continue
        if not require_identity:
            continue
        good = [e for e in candidates if e["secured"]
                and (want["client_id"] is None or _matches(want["client_id"], e["client_id"]))
                and (want["server_id"] is None or _matches(want["server_id"], e["server_id"]))]
        if not good:
            edge = candidates[0]
            if edge["secured"]:
                problems.append(f"edge {describe(edge)} has identities {edge['client_id']} -> {edge['server_id']}, "
                                f"expected {want['client_id'] or '*'} -> {want['server_id'] or '*'}")
            else:
                problems.append(f"edge {describe(edge)} is not mTLS: {why_not(edge)}")
    return missing, problems


def why_not(edge: dict) -> str:
    reason = edge["no_tls_reason"] or "no reason given"
    client = edge["client_id"] or "none"
    server = edge["server_id"] or "none"
    return (f"{reason} (client identity {client}, server identity {server}); mesh both ends "
            "(linkerd.io/inject: enabled, then restart) and check the port is not skipped or opaque without a proxy")
