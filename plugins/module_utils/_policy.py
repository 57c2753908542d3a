# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Zero-trust and traffic policy for an MCP server's service graph (role mcpmesh.platform.mesh_policy).

Pure logic, no Ansible imports:

* ``graph_problems`` / ``build_plan``: from the service graph a caller passes (who may call what,
  on which port) to the Linkerd objects that express it: per service a ``Server``, a
  ``MeshTLSAuthentication`` and ``NetworkAuthentication`` with their ``AuthorizationPolicy``,
  optionally ``HTTPRoute``s (route-level authorization, with an explicit probe route), a
  ``HTTPLocalRateLimitPolicy``; per namespace the default inbound policy and the Prometheus
  scrape allowance; per backend Service the timeout, retry and failure-accrual annotations.
* ``coverage_problems``: does each Server select a running pod with that port (a Server on a
  port no pod has leaves the real port under the namespace default, that is denied).
* ``stale_deployments``: meshed pods admitted under another default inbound policy (the value
  reaches a pod only when it is admitted, so those Deployments need a restart).
* The verification judges: ``judge_denial`` (curl output from a probe pod), ``judge_rate_limit``
  (an ``mcp_verify`` load result's HTTP status counts), ``judge_client_policy`` (the JSON of
  ``linkerd diagnostics policy`` for a Service).

The API versions used are served identically by Linkerd edge-25.10.7 (the 2.19 line Buoyant
Enterprise 2.19 is built on) and edge-26.8.3; docs/policy.md says where the lines differ.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd, _schema_parts
from ansible_collections.mcpmesh.platform.plugins.module_utils._text import line_matches

POLICY_GROUP = "policy.linkerd.io"
API = {
    "Server": "policy.linkerd.io/v1beta3",
    "HTTPRoute": "policy.linkerd.io/v1beta3",
    "AuthorizationPolicy": "policy.linkerd.io/v1alpha1",
    "MeshTLSAuthentication": "policy.linkerd.io/v1alpha1",
    "NetworkAuthentication": "policy.linkerd.io/v1alpha1",
    "HTTPLocalRateLimitPolicy": "policy.linkerd.io/v1alpha1",
}
# The role's mode -> the value of config.linkerd.io/default-inbound-policy and Server.spec.accessPolicy.
MODES = {"enforce": "deny", "audit": "audit", "off": "all-unauthenticated"}
DEFAULT_POLICY_ANNOTATION = "config.linkerd.io/default-inbound-policy"
PROTOCOLS = ("unknown", "HTTP/1", "HTTP/2", "gRPC", "opaque", "TLS")
# Servers whose protocol carries HTTP routes and rate limits (Linkerd ignores both elsewhere).
HTTP_PROTOCOLS = ("unknown", "HTTP/1", "HTTP/2")
DISTRIBUTIONS = ("enterprise", "edge")
ACCRUAL_MODES = {"enterprise": ("consecutive",), "edge": ("consecutive", "unified")}

_DNS_LABEL, _PORT_NAME = re.compile(_schema_parts.DNS_LABEL), re.compile(_schema_parts.PORT_NAME)
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
_RETRY_STATUS = re.compile(r"^(5xx|gateway-error|[1-5][0-9]{2}(-[1-5][0-9]{2})?)$")
_CIDR = re.compile(r"^[0-9a-fA-F:.]+/[0-9]{1,3}$")
_NAME_MAX = 63 - len("-identities")

DEFAULT_RATE_LIMIT = {"total": 200, "identity": 100, "overrides": []}
DEFAULT_RESILIENCE = {
    "timeout": "10s",
    "retry_on": "gateway-error",
    "retry_limit": 2,
    "retry_timeout": "3s",
    "failure_accrual": "consecutive",
    "max_failures": 5,
    "min_penalty": "1s",
    "max_penalty": "30s",
    "jitter_ratio": 0.5,
}
DEFAULT_PROBE_NETWORKS = ["0.0.0.0/0", "::/0"]
SERVICE_KEYS = {"name", "namespace", "description", "selector", "port", "protocol", "allow", "paths", "probe_paths",
                "rate_limit", "resilience", "backend_service", "backend_port", "verify"}


# ---------------------------------------------------------------- small helpers


def shorten(text, limit: int = 300) -> str:
    """One line of outside text, control characters removed, cut at ``limit`` characters."""
    cleaned = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", str(text))
    cleaned = "".join(ch if ch.isprintable() else " " for ch in cleaned)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."


def duration_seconds(text: str) -> float | None:
    """``1m30s`` -> 90.0; None when it is not a Linkerd duration."""
    if not _matches(_DURATION, text):
        return None
    factor = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * factor[unit] for number, unit in re.findall(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)", text))


def _meta(obj: Mapping) -> dict:
    return dict(obj.get("metadata") or {})


def _obj(kind: str, name: str, namespace: str, spec: dict, labels: Mapping | None = None) -> dict:
    meta = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": API[kind], "kind": kind, "metadata": meta, "spec": spec}


def _ref(kind: str, name: str) -> dict:
    return {"group": POLICY_GROUP, "kind": kind, "name": name}


def _matches(pattern: re.Pattern, value) -> bool:
    """Whether ``value`` is a string that ``pattern`` matches."""
    return isinstance(value, str) and bool(pattern.match(value))


def _is_port(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= 65535
    return isinstance(value, str) and len(value) <= 15 and bool(_PORT_NAME.match(value))


def _service_setting(service: Mapping, key: str, base: Mapping, defaults: Mapping) -> dict | None:
    """A per-service setting: None when off (unset, false), else ``base``, the settings' ``defaults`` and its own
    values (none for true) merged in that order."""
    value = service.get(key)
    if value is None or value is False:
        return None
    return {**base, **dict(defaults or {}), **dict({} if value is True else value)}


def _rate_limit(service: Mapping, defaults: Mapping) -> dict | None:
    return _service_setting(service, "rate_limit", DEFAULT_RATE_LIMIT, defaults)


def _resilience(service: Mapping, defaults: Mapping) -> dict | None:
    if not service.get("backend_service"):
        return None
    return _service_setting(service, "resilience", DEFAULT_RESILIENCE, defaults)


# ---------------------------------------------------------------- the service graph


def _check_choice(problems: list, value, choices, problem: str) -> bool:
    """Whether ``value`` is one of ``choices``; when it is not, ``problem`` is added to ``problems``."""
    if value in choices:
        return True
    problems.append(problem)
    return False


def graph_problems(services: list, settings: Mapping) -> list[str]:
    """Everything wrong with the graph, one sentence each; empty when it can be built."""
    problems = []
    mode = settings.get("mode", "enforce")
    _check_choice(problems, mode, MODES, f"mode must be one of {', '.join(MODES)}, not {shorten(mode, 40)!r}")
    distribution = settings.get("distribution", "enterprise")
    if not _check_choice(problems, distribution, DISTRIBUTIONS,
                         f"distribution must be enterprise or edge, not {shorten(distribution, 40)!r}"):
        distribution = "enterprise"
    for cidr in settings.get("probe_networks") or []:
        if not _matches(_CIDR, cidr):
            problems.append(f"probe_networks: {shorten(cidr, 60)!r} is not a CIDR such as 10.0.0.0/8")
    for namespace in settings.get("namespaces") or []:
        if not _matches(_DNS_LABEL, namespace):
            problems.append(f"namespaces: {shorten(namespace, 60)!r} is not a namespace name")
    if not isinstance(services, list) or not services:
        return problems + ["services must be a non-empty list of {name, namespace, selector, port, allow}"]
    seen = set()
    for index, where, service in _dicts(services, "services", problems):
        name, namespace = service.get("name"), service.get("namespace")
        if isinstance(name, str):
            where = f"services[{index}] ({name})"
        unknown = set(service) - SERVICE_KEYS
        if unknown:
            problems.append(f"{where} has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        if not _matches(_DNS_LABEL, name) or len(name) > _NAME_MAX:
            problems.append(f"{where}.name must be a DNS label of at most {_NAME_MAX} characters")
        if not _matches(_DNS_LABEL, namespace):
            problems.append(f"{where}.namespace must be a namespace name")
        if (namespace, name) in seen:
            problems.append(f"{where}: {namespace}/{name} is listed twice")
        seen.add((namespace, name))
        selector = service.get("selector")
        if not isinstance(selector, Mapping) or not selector or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in selector.items()):
            problems.append(f"{where}.selector must be the pods' labels, a non-empty dict of strings")
        if not _is_port(service.get("port")):
            problems.append(f"{where}.port must be a container port number (1-65535) or name (IANA_SVC_NAME)")
        protocol = service.get("protocol", "unknown")
        _check_choice(problems, protocol, PROTOCOLS, f"{where}.protocol must be one of {', '.join(PROTOCOLS)}")
        problems.extend(_allow_problems(where, service.get("allow")))
        paths = service.get("paths") or []
        probe_paths = service.get("probe_paths") or []
        for key, values in (("paths", paths), ("probe_paths", probe_paths)):
            if not isinstance(values, list) or not all(isinstance(p, str) and p.startswith("/") for p in values):
                problems.append(f"{where}.{key} must be a list of paths starting with /")
        if paths and protocol not in HTTP_PROTOCOLS:
            problems.append(f"{where}.paths needs an HTTP protocol; {protocol} Servers carry no HTTP routes")
        if any("?" in p for p in probe_paths if isinstance(p, str)):
            problems.append(f"{where}.probe_paths: give the path without the query string (Linkerd matches the path)")
        rate = _rate_limit(service, settings.get("rate_limit") or {})
        if rate is not None:
            problems.extend(_rate_problems(where, rate, protocol))
        res = _resilience(service, settings.get("resilience") or {})
        if service.get("resilience") not in (None, False) and not service.get("backend_service"):
            problems.append(f"{where}.resilience needs backend_service (the Service its clients call)")
        if res is not None:
            problems.extend(_resilience_problems(where, res, distribution))
        backend = service.get("backend_service")
        if backend is not None and not _matches(_DNS_LABEL, backend):
            problems.append(f"{where}.backend_service must be a Service name")
        backend_port = service.get("backend_port")
        if backend_port is not None and not (isinstance(backend_port, int) and _is_port(backend_port)):
            problems.append(f"{where}.backend_port must be the Service's port number")
        verify = service.get("verify") or {}
        if not isinstance(verify, Mapping):
            problems.append(f"{where}.verify must be a dict with path (and optionally deny: false)")
        else:
            path = verify.get("path", "/")
            if not isinstance(path, str) or not path.startswith("/"):
                problems.append(f"{where}.verify.path must start with /")
            elif isinstance(probe_paths, list) and path.split("?")[0] in probe_paths:
                problems.append(f"{where}.verify.path {path!r} is a kubelet probe path, which Linkerd lets anyone "
                                "GET under deny; probe another path")
    return problems


def _dicts(items: list, label: str, problems: list):
    """Each (index, ``label[index]``, item) of the items that are dicts; a problem for every other item."""
    for index, item in enumerate(items):
        where = f"{label}[{index}]"
        if isinstance(item, Mapping):
            yield index, where, item
        else:
            problems.append(f"{where} must be a dict")


def _allow_problems(where: str, allow) -> list[str]:
    if allow is None:
        return []
    if not isinstance(allow, list):
        return [f"{where}.allow must be a list of {{service_account, namespace}} or {{networks}} items"]
    out = []
    for _index, at, item in _dicts(allow, f"{where}.allow", out):
        unknown = set(item) - {"service_account", "namespace", "networks"}
        if unknown:
            out.append(f"{at} has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        if "networks" in item:
            if "service_account" in item or "namespace" in item:
                out.append(f"{at}: networks and an identity are separate items (each item is one kind of client)")
            nets = item["networks"]
            if not isinstance(nets, list) or not nets or not all(isinstance(n, str) and _CIDR.match(n) for n in nets):
                out.append(f"{at}.networks must be a non-empty list of CIDRs")
            continue
        sa, ns = item.get("service_account"), item.get("namespace")
        if not _matches(_DNS_LABEL, ns):
            out.append(f"{at}.namespace must be the client's namespace (all its identities when no service_account)")
        if sa is not None and not _matches(_DNS_LABEL, sa):
            out.append(f"{at}.service_account must be a ServiceAccount name")
    return out


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _rate_problems(where: str, rate: Mapping, protocol: str) -> list[str]:
    out = []
    if protocol not in HTTP_PROTOCOLS:
        out.append(f"{where}.rate_limit: Linkerd applies no rate limit to {protocol} Servers")
    total, identity = rate.get("total"), rate.get("identity")
    if total is None and identity is None:
        out.append(f"{where}.rate_limit needs total or identity (requests per second)")
    for key, value in (("total", total), ("identity", identity)):
        if value is not None and not _positive_int(value):
            out.append(f"{where}.rate_limit.{key} must be a whole number of requests per second above 0")
    if _positive_int(total) and _positive_int(identity) and identity > total:
        out.append(f"{where}.rate_limit.identity ({identity}) must not exceed total ({total})")
    for index, override in enumerate(rate.get("overrides") or []):
        at = f"{where}.rate_limit.overrides[{index}]"
        rps = override.get("requests_per_second") if isinstance(override, Mapping) else None
        if not _positive_int(rps):
            out.append(f"{at}.requests_per_second must be a whole number above 0")
        elif _positive_int(total) and rps > total:
            out.append(f"{at}.requests_per_second ({rps}) must not exceed total ({total})")
        clients = override.get("service_accounts") if isinstance(override, Mapping) else None
        if not isinstance(clients, list) or not clients or not all(
                isinstance(c, Mapping) and isinstance(c.get("name"), str) and _DNS_LABEL.match(c["name"])
                for c in clients):
            out.append(f"{at}.service_accounts must list {{name, namespace}} ServiceAccounts")
    return out


def _resilience_problems(where: str, res: Mapping, distribution: str) -> list[str]:
    out = []
    for key in ("timeout", "retry_timeout", "min_penalty", "max_penalty"):
        if res.get(key) is not None and duration_seconds(res[key]) is None:
            out.append(f"{where}.resilience.{key} must be a duration such as 500ms, 10s or 1m")
    timeout, attempt = duration_seconds(res.get("timeout")), duration_seconds(res.get("retry_timeout"))
    if timeout is not None and attempt is not None and attempt > timeout:
        out.append(f"{where}.resilience.retry_timeout ({res['retry_timeout']}) is longer than the request "
                   f"timeout ({res['timeout']}), so no retry could ever start")
    retry_on = res.get("retry_on")
    if retry_on:
        for part in str(retry_on).split(","):
            if not _RETRY_STATUS.match(part.strip()):
                out.append(f"{where}.resilience.retry_on: {shorten(part, 30)!r} is not 5xx, gateway-error, a status "
                           "or a range such as 502-504")
    if res.get("retry_limit") is not None and not (isinstance(res["retry_limit"], int) and res["retry_limit"] >= 0):
        out.append(f"{where}.resilience.retry_limit must be a whole number, 0 or more")
    accrual = res.get("failure_accrual")
    if accrual and accrual not in ACCRUAL_MODES[distribution]:
        out.append(f"{where}.resilience.failure_accrual {shorten(accrual, 30)!r} is not served by the {distribution} "
                   f"line (use {' or '.join(ACCRUAL_MODES[distribution])})")
    if accrual and not _positive_int(res.get("max_failures")):
        out.append(f"{where}.resilience.max_failures must be a whole number above 0")
    low, high = duration_seconds(res.get("min_penalty")), duration_seconds(res.get("max_penalty"))
    if accrual and low is not None and high is not None and (high <= 0 or high < low):
        out.append(f"{where}.resilience.max_penalty must be above 0 and at least min_penalty")
    jitter = res.get("jitter_ratio")
    if accrual and jitter is not None and (isinstance(jitter, bool) or not isinstance(jitter, (int, float))
                                           or not 0.0 <= jitter <= 100.0):
        out.append(f"{where}.resilience.jitter_ratio must be a number from 0 to 100")
    return out


def _identity_refs(allow: list) -> list[dict]:
    """The identities an allow list names: a service account, else a whole namespace (network entries aside)."""
    return [{"kind": "ServiceAccount", "name": item["service_account"], "namespace": item["namespace"]}
            if item.get("service_account") else {"kind": "Namespace", "name": item["namespace"]}
            for item in allow if "networks" not in item]


def _networks(allow: list) -> list[dict]:
    """The networks an allow list names, each once, in order."""
    cidrs = [cidr for item in allow for cidr in item.get("networks") or []]
    return [{"cidr": cidr} for index, cidr in enumerate(cidrs) if cidr not in cidrs[:index]]


def _authorize(name: str, namespace: str, target: dict, allow: list, labels: Mapping) -> list[dict]:
    """MeshTLSAuthentication + NetworkAuthentication (distinct names: Linkerd 2.19 deletes a
    NetworkAuthentication that shares a deleted MeshTLSAuthentication's name) and their policies."""
    out = []
    for kind, suffix, spec in (("MeshTLSAuthentication", "identities", {"identityRefs": _identity_refs(allow)}),
                               ("NetworkAuthentication", "networks", {"networks": _networks(allow)})):
        if not next(iter(spec.values())):
            continue
        out.append(_obj(kind, f"{name}-{suffix}", namespace, spec, labels))
        out.append(_obj("AuthorizationPolicy", f"{name}-{suffix}", namespace, {
            "targetRef": target, "requiredAuthenticationRefs": [_ref(kind, f"{name}-{suffix}")]}, labels))
    return out


def _service_objects(service: Mapping, settings: Mapping, access: str, labels: Mapping) -> list[dict]:
    name, namespace = service["name"], service["namespace"]
    protocol = service.get("protocol", "unknown")
    server_spec = {"podSelector": {"matchLabels": dict(service["selector"])}, "port": service["port"],
                   "accessPolicy": access}
    if protocol != "unknown":
        server_spec["proxyProtocol"] = protocol
    out = [_obj("Server", name, namespace, server_spec, labels)]
    allow = list(service.get("allow") or [])
    paths = service.get("paths") or []
    if paths:
        # Route-level: only these paths are served to the allowed clients; anything else gets 404.
        # Routes on the Server remove Linkerd's automatic probe route, so probes get their own.
        route = _obj("HTTPRoute", name, namespace, {
            "parentRefs": [_ref("Server", name)],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": p}} for p in paths]}]}, labels)
        out.append(route)
        out.extend(_authorize(name, namespace, _ref("HTTPRoute", name), allow, labels))
        probe_paths = service.get("probe_paths") or []
        if probe_paths:
            out.append(_obj("HTTPRoute", f"{name}-probes", namespace, {
                "parentRefs": [_ref("Server", name)],
                "rules": [{"matches": [{"path": {"type": "Exact", "value": p}, "method": "GET"} for p in probe_paths]}],
            }, labels))
            probe_allow = [{"networks": list(settings.get("probe_networks") or DEFAULT_PROBE_NETWORKS)}]
            out.extend(_authorize(f"{name}-probes", namespace, _ref("HTTPRoute", f"{name}-probes"), probe_allow, labels))
    else:
        out.extend(_authorize(name, namespace, _ref("Server", name), allow, labels))
    rate = _rate_limit(service, settings.get("rate_limit") or {})
    if rate is not None:
        spec = {"targetRef": _ref("Server", name)}
        if rate.get("total"):
            spec["total"] = {"requestsPerSecond": rate["total"]}
        if rate.get("identity"):
            spec["identity"] = {"requestsPerSecond": rate["identity"]}
        if rate.get("overrides"):
            spec["overrides"] = [{
                "requestsPerSecond": o["requests_per_second"],
                "clientRefs": [{"kind": "ServiceAccount", "name": c["name"],
                                **({"namespace": c["namespace"]} if c.get("namespace") else {})}
                               for c in o["service_accounts"]],
            } for o in rate["overrides"]]
        out.append(_obj("HTTPLocalRateLimitPolicy", name, namespace, spec, labels))
    return out


def _scrape_objects(namespace: str, settings: Mapping, access: str, labels: Mapping) -> list[dict]:
    """The proxies' admin port (4191) for linkerd-viz's Prometheus. Without routes, so Linkerd keeps
    the automatic /live and /ready probe route. Named prometheus-scrape: linkerd viz check looks for it.
    Tap needs nothing: the proxy's tap port admits only the tap identity, outside inbound policy."""
    viz = settings.get("viz") or {}
    out = [_obj("Server", "linkerd-admin", namespace, {
        "podSelector": {"matchExpressions": [{"key": "linkerd.io/control-plane-ns", "operator": "Exists"}]},
        "port": "linkerd-admin", "proxyProtocol": "HTTP/1", "accessPolicy": access}, labels)]
    refs = [{"kind": "ServiceAccount", "name": viz.get("prometheus_service_account", "prometheus"),
             "namespace": viz.get("namespace", "linkerd-viz")}]
    out.append(_obj("MeshTLSAuthentication", "prometheus-scrape", namespace, {"identityRefs": refs}, labels))
    out.append(_obj("AuthorizationPolicy", "prometheus-scrape", namespace, {
        "targetRef": _ref("Server", "linkerd-admin"),
        "requiredAuthenticationRefs": [_ref("MeshTLSAuthentication", "prometheus-scrape")]}, labels))
    return out


def resilience_annotations(res: Mapping) -> dict[str, str]:
    """The client-side annotations of the backend Service (read live by the policy controller)."""
    out = {}
    if res.get("timeout"):
        out["timeout.linkerd.io/request"] = res["timeout"]
    if res.get("retry_on") and res.get("retry_limit", 0) > 0:
        out["retry.linkerd.io/http"] = res["retry_on"]
        out["retry.linkerd.io/limit"] = str(res["retry_limit"])
        if res.get("retry_timeout"):
            out["retry.linkerd.io/timeout"] = res["retry_timeout"]
    if res.get("failure_accrual"):
        prefix = "balancer.linkerd.io/failure-accrual"
        out[prefix] = res["failure_accrual"]
        out[f"{prefix}-consecutive-max-failures"] = str(res["max_failures"])
        if res.get("min_penalty"):
            out[f"{prefix}-consecutive-min-penalty"] = res["min_penalty"]
        if res.get("max_penalty"):
            out[f"{prefix}-consecutive-max-penalty"] = res["max_penalty"]
        if res.get("jitter_ratio") is not None:
            out[f"{prefix}-consecutive-jitter-ratio"] = str(res["jitter_ratio"])
    return out


# Every annotation the role may set on a Service; absent removes all of them.
RESILIENCE_KEYS = sorted(resilience_annotations(DEFAULT_RESILIENCE))


def build_plan(services: list, settings: Mapping) -> dict:
    """The objects for the graph. Call graph_problems first: this assumes a valid graph.

    Returns ``{"policy": [...], "namespaces": [...], "services": [...], "default_policy": str,
    "servers": [...], "rate_limits": [...], "resilience": [...]}``: the policy custom resources (in
    apply order), the Namespace patches, the Service patches, and summaries for the verification.
    """
    mode = settings.get("mode", "enforce")
    access = MODES[mode]
    labels = {"app.kubernetes.io/managed-by": "mcpmesh.platform.mesh_policy"}
    namespaces = list(dict.fromkeys(list(settings.get("namespaces") or []) + [s["namespace"] for s in services]))
    policy = []
    for service in services:
        policy.extend(_service_objects(service, settings, access, labels))
    if (settings.get("viz") or {}).get("enabled", True):
        for namespace in namespaces:
            policy.extend(_scrape_objects(namespace, settings, access, labels))
    order = ["Server", "HTTPRoute", "MeshTLSAuthentication", "NetworkAuthentication", "AuthorizationPolicy",
             "HTTPLocalRateLimitPolicy"]
    policy.sort(key=lambda o: order.index(o["kind"]))
    namespace_patches = [{"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": ns, "annotations": {DEFAULT_POLICY_ANNOTATION: access}}}
                         for ns in namespaces]
    service_patches, resilience, rate_limits, servers = [], [], [], []
    for service in services:
        res = _resilience(service, settings.get("resilience") or {})
        if res is not None:
            annotations = resilience_annotations(res)
            service_patches.append({"apiVersion": "v1", "kind": "Service", "metadata": {
                "name": service["backend_service"], "namespace": service["namespace"], "annotations": annotations}})
            port = service.get("backend_port") or (service["port"] if isinstance(service["port"], int) else None)
            resilience.append({"policy": service["name"], "namespace": service["namespace"],
                               "service": service["backend_service"], "port": port, "settings": res,
                               "annotations": annotations})
        rate = _rate_limit(service, settings.get("rate_limit") or {})
        if rate is not None:
            rate_limits.append({"policy": service["name"], "namespace": service["namespace"], **rate,
                                "limit_rps": effective_limit(rate)})
        servers.append({"name": service["name"], "namespace": service["namespace"], "port": service["port"],
                        "selector": dict(service["selector"]), "protocol": service.get("protocol", "unknown"),
                        "verify_path": (service.get("verify") or {}).get("path", "/"),
                        "verify": (service.get("verify") or {}).get("deny", True)})
    return {"policy": policy, "namespaces": namespace_patches, "services": service_patches,
            "default_policy": access, "namespace_names": namespaces, "servers": servers,
            "rate_limits": rate_limits, "resilience": resilience}


def effective_limit(rate: Mapping, service_account: str | None = None, namespace: str | None = None) -> int | None:
    """Requests per second one client identity may send: its override, else the per-identity
    limit, never more than the total (all unmeshed clients share one identity bucket)."""
    limits = [v for v in (rate.get("total"), rate.get("identity")) if _positive_int(v)]
    for override in rate.get("overrides") or []:
        for client in override.get("service_accounts") or []:
            if client.get("name") == service_account and client.get("namespace", namespace) == namespace:
                limits = [v for v in (rate.get("total"), override["requests_per_second"]) if _positive_int(v)]
    return min(limits) if limits else None


# ---------------------------------------------------------------- the cluster side


def _container_ports(pod: Mapping) -> list[dict]:
    spec = pod.get("spec") or {}
    return [p for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
            for p in (c.get("ports") or []) if (p.get("protocol") or "TCP") == "TCP"]


def resolve_port(pod: Mapping, port) -> int | None:
    """A Server's port on one pod: a number as is, a name through the pod's named TCP container ports."""
    if isinstance(port, int):
        return port
    for entry in _container_ports(pod):
        if entry.get("name") == port:
            return entry.get("containerPort")
    return None


def coverage(servers: list, pods: list) -> tuple[list[dict], list[str]]:
    """Which running pod each Server protects, and the Servers that protect nothing.

    Returns (targets, problems); a target is ``{policy, namespace, pod, ip, port, protocol, path, url}``
    for the first running pod of each Server, the probe pods' destination."""
    targets, problems = [], []
    for server in servers:
        selector = {"matchLabels": server["selector"]}
        mine = [p for p in pods if _meta(p).get("namespace", server["namespace"]) == server["namespace"]
                and _linkerd.is_running(p) and _linkerd.selects(selector, _meta(p).get("labels") or {})]
        label = f"Server {server['namespace']}/{server['name']}"
        if not mine:
            problems.append(f"{label} selects no running pod (labels {server['selector']}); fix its selector, "
                            "or deploy the workload first")
            continue
        unmeshed = sorted(_meta(p).get("name", "?") for p in mine if not _linkerd.has_proxy(p))
        if unmeshed:
            problems.append(f"{label}: pods {', '.join(unmeshed)} have no linkerd-proxy, so no policy protects them")
        numbers = [(p, resolve_port(p, server["port"])) for p in mine]
        missing = sorted(_meta(p).get("name", "?") for p, n in numbers if n is None)
        if missing:
            problems.append(f"{label}: port {server['port']!r} is not a named TCP container port of "
                            f"{', '.join(missing)}; the real port stays under the namespace default")
        found = [(p, n) for p, n in numbers if n is not None and (p.get("status") or {}).get("podIP")]
        if found:
            pod, number = found[0]
            ip = pod["status"]["podIP"]
            host = f"[{ip}]" if ":" in ip else ip
            targets.append({"policy": server["name"], "namespace": server["namespace"],
                            "pod": _meta(pod).get("name"), "ip": ip, "port": number,
                            "protocol": server["protocol"], "path": server["verify_path"],
                            "verify": server["verify"],
                            "url": f"http://{host}:{number}{server['verify_path']}"})
    return targets, problems


def stale_deployments(deployments: list, pods: list, expected: str | None) -> list[dict]:
    """Deployments with a running meshed pod admitted under another default inbound policy.

    The injector copies the namespace's config.linkerd.io annotations onto each pod it admits
    (unless the pod template sets its own, which then wins), and the default policy is fixed at
    admission. ``expected`` None means the annotation was removed (state absent)."""
    out = []
    for deployment in deployments:
        template = (deployment.get("spec") or {}).get("template") or {}
        if DEFAULT_POLICY_ANNOTATION in (_meta(template).get("annotations") or {}):
            continue  # the workload chose its own default; the namespace's does not reach it
        selector = (deployment.get("spec") or {}).get("selector") or {}
        stale = sorted(
            _meta(p).get("name", "?") for p in pods
            if _linkerd.is_running(p) and _linkerd.has_proxy(p)
            and _linkerd.selects(selector, _meta(p).get("labels") or {})
            and (_meta(p).get("annotations") or {}).get(DEFAULT_POLICY_ANNOTATION) != expected)
        if stale:
            out.append({"name": _meta(deployment).get("name"), "pods": stale})
    return out


# ---------------------------------------------------------------- verification judges

# curl exit codes that mean the connection was refused or dropped before any HTTP answer.
CURL_DROPPED = {7: "connection refused", 52: "empty reply (connection closed)", 56: "connection reset",
                35: "TLS handshake failed"}
CURL_LINE = re.compile(r"^\s*(?:status=)?(?P<code>\d{3})\s+rc=(?P<rc>\d+)\s*$")


def parse_curl(output: str) -> tuple[int | None, int | None]:
    """Read the probe's ``<http_code> rc=<curl exit>`` line (the last one that matches)."""
    matches = line_matches(CURL_LINE, output)
    return (int(matches[-1]["code"]) or None, int(matches[-1]["rc"])) if matches else (None, None)


def judge_denial(observation: Mapping) -> dict:
    """Whether a probe that must be refused was refused, as Linkerd refuses it.

    observation: ``{policy, client (meshed|unmeshed), target, protocol, output}``. An HTTP Server
    answers a denied request with 403 (both for meshed and unmeshed clients: the inbound proxy
    detects HTTP either way). An opaque or TLS Server drops the connection: an unmeshed curl sees
    the drop, a meshed client's own proxy turns it into 502/503.
    """
    policy, client = observation.get("policy", "?"), observation.get("client", "?")
    protocol = observation.get("protocol", "unknown")
    code, rc = parse_curl(observation.get("output", ""))
    target = shorten(observation.get("target", "?"), 200)
    verdict = {"policy": policy, "check": "deny", "client": client, "target": target,
               "observed": {"status": code, "curl_exit": rc}}
    http = protocol in HTTP_PROTOCOLS
    expected = "HTTP 403" if http else ("connection refused or dropped" if client == "unmeshed"
                                        else "connection dropped (502/503 from the client's proxy)")
    verdict["expected"] = expected
    if rc is None:
        verdict.update(ok=False, reason=f"the probe printed no result line: {shorten(observation.get('output', ''), 200)!r}")
    elif code == 403 and http:
        verdict.update(ok=True, reason="denied with 403 by the server's proxy")
    elif not http and code is None and rc in CURL_DROPPED:
        verdict.update(ok=True, reason=f"denied: {CURL_DROPPED[rc]}")
    elif not http and client == "meshed" and code in (502, 503):
        verdict.update(ok=True, reason=f"denied: the connection was dropped, the client's proxy answered {code}")
    elif rc == 28:
        verdict.update(ok=False, reason="the probe timed out: neither allowed nor refused, so the policy is unproven "
                                        "(is the pod reachable from the probe namespace?)")
    elif code is None:
        verdict.update(ok=False, reason=f"curl failed with exit {rc} before any answer, not the refusal Linkerd gives")
    else:
        verdict.update(ok=False, reason=f"answered {code}: the {client} probe client was let in")
    return verdict


def judge_rate_limit(observation: Mapping) -> dict:
    """Whether an mcp_verify load saw 429s in the proportion the limit implies.

    observation: ``{policy, limit_rps, replicas, expect (over|under), load}`` where load is mcp_verify's
    load result (``status_counts``, and its duration ``wall_s``). Linkerd's limiter
    is GCRA with a one-second burst, so over ``T`` seconds at most ``limit * (T + 1)`` requests
    pass, per pod behind the Server (``replicas``). ``over``: at least the excess must be 429, and the burst must really exceed the limit
    (else the check proves nothing). ``under``: no 429 at all.
    """
    policy, expect = observation.get("policy", "?"), observation.get("expect", "over")
    replicas = observation.get("replicas") or 1
    limit = observation.get("limit_rps")
    if _positive_int(limit) and _positive_int(replicas):
        limit = limit * replicas  # the limit is local to each pod's proxy
    load = observation.get("load") or {}
    counts = load.get("status_counts")
    verdict = {"policy": policy, "check": f"rate limit ({expect})"}
    if not isinstance(counts, Mapping):
        verdict.update(ok=False, observed=None, expected=None,
                       reason="the load result has no status_counts (an mcp_verify that reports HTTP status counts "
                              "is needed)")
        return verdict
    try:
        counts = {str(k): int(v) for k, v in counts.items()}
    except (TypeError, ValueError):
        verdict.update(ok=False, observed=None, expected=None, reason="status_counts holds non-numeric counts")
        return verdict
    total = sum(counts.values())
    limited = counts.get("429", 0)
    seconds = load_seconds(load)
    verdict["observed"] = {"requests": total, "429": limited, "seconds": seconds, "status_counts": counts}
    if not _positive_int(limit) or seconds is None or total == 0:
        verdict.update(ok=False, expected=None,
                       reason=f"cannot judge: limit {limit!r} rps, {total} requests, duration {seconds!r} s")
        return verdict
    allowed_max = math.ceil(limit * (seconds + 1.0))
    if expect == "under":
        verdict["expected"] = {"429": 0, "other_failures": 0}
        others = {k: v for k, v in counts.items() if k != "429" and not k.startswith("2")}
        if limited:
            return dict(verdict, ok=False, reason=f"{limited} of {total} requests got 429 under the limit of {limit} "
                                                  f"rps ({total / max(seconds, 1e-9):.1f} rps sent); the limit is lower "
                                                  "than configured or another client shares it")
        if others:
            return dict(verdict, ok=False, reason=f"the allowed path failed under the policy: statuses {others} of "
                                                  f"{total} requests (403: an allowed client is missing from the graph)")
        return dict(verdict, ok=True, reason=f"no 429 in {total} requests under the limit of {limit} rps, all answered")
    minimum = total - allowed_max
    verdict["expected"] = {"429_at_least": max(minimum, 1), "passed_at_most": allowed_max}
    if minimum <= 0:
        return dict(verdict, ok=False, reason=f"the burst was too slow to exceed {limit} rps ({total} requests in "
                                              f"{seconds:.2f} s pass under the limit): raise the burst's requests or "
                                              "concurrency; the limit is unproven")
    if limited < minimum:
        return dict(verdict, ok=False, reason=f"only {limited} of {total} requests got 429; at {limit} rps over "
                                              f"{seconds:.2f} s at most {allowed_max} may pass, so at least {minimum} "
                                              "should have been limited")
    return dict(verdict, ok=True, reason=f"{limited} of {total} requests got 429 (at least {minimum} expected)")


def load_seconds(load: Mapping) -> float | None:
    """The load's duration in seconds, from the keys mcp_verify may report."""
    for key, factor in (("wall_s", 1.0), ("duration_s", 1.0), ("load_ms", 0.001)):
        value = load.get(key)
        if value is None:
            value = (load.get("timings") or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
            return value * factor
    return None


def _find(doc, key: str) -> list:
    """Every value of ``key`` anywhere in a JSON document (the policy's nesting differs by protocol)."""
    found = []
    if isinstance(doc, Mapping):
        for k, v in doc.items():
            if k == key:
                found.append(v)
            found.extend(_find(v, key))
    elif isinstance(doc, list):
        for item in doc:
            found.extend(_find(item, key))
    return found


def _proto_seconds(value) -> float | None:
    """A protobuf Duration as the CLI prints it: ``"10s"`` or ``{"seconds": "10", "nanos": 0}``."""
    if isinstance(value, str):
        match = re.match(r"^([0-9]+(\.[0-9]+)?)s$", value)
        return float(match[1]) if match else duration_seconds(value)
    if isinstance(value, Mapping):
        try:
            return float(value.get("seconds", 0) or 0) + float(value.get("nanos", 0) or 0) / 1e9
        except (TypeError, ValueError):
            return None
    return None


def _find_any(doc, *keys: str) -> list:
    out = []
    for key in keys:
        out.extend(_find(doc, key))
    return out


def judge_client_policy(observation: Mapping) -> list[dict]:
    """Whether the client policy Linkerd serves for a Service carries the role's annotations.

    observation: ``{policy, service, output, settings}``; output is ``linkerd diagnostics policy
    svc/<name> <port> -o json``, the OutboundPolicy message of linkerd2-proxy-api printed with Go's
    encoding/json: proto field names (``timeouts.request``, ``retry.max_retries``,
    ``failure_accrual.Kind.ConsecutiveFailures.max_failures``), durations as ``{"seconds": N}``.
    The protojson spellings (``maxRetries``, ``"10s"``) are read too. A bad annotation on a Service
    is only logged and ignored by the policy controller, so this is the proof they are in force.
    """
    policy, service = observation.get("policy", "?"), observation.get("service", "?")
    res = observation.get("settings") or {}
    base = {"policy": policy, "service": service}
    try:
        docs = _linkerd.json_objects(str(observation.get("output", "")))
    except _linkerd.ParseError as exc:
        return [dict(base, check="client policy", ok=False, observed=None, expected=None,
                     reason=f"linkerd diagnostics policy printed no JSON: {shorten(exc, 200)}")]
    if not docs:
        return [dict(base, check="client policy", ok=False, observed=None, expected=None,
                     reason="linkerd diagnostics policy printed nothing")]
    verdicts = []
    if res.get("timeout"):
        want = duration_seconds(res["timeout"])
        seen = sorted({s for s in (_proto_seconds(t.get("request")) for t in _find(docs, "timeouts")
                                   if isinstance(t, Mapping)) if s is not None})
        ok = any(abs(s - want) < 1e-6 for s in seen)
        verdicts.append(dict(base, check="request timeout", ok=ok, expected=res["timeout"], observed=seen,
                             reason="served" if ok else "the served policy has no such request timeout; check the "
                                                        "policy controller's log for the annotation"))
    if res.get("retry_on") and res.get("retry_limit", 0) > 0:
        seen = sorted({v for r in _find(docs, "retry") if isinstance(r, Mapping)
                       for v in _find_any(r, "max_retries", "maxRetries")}, key=str)
        ok = any(str(v) == str(res["retry_limit"]) for v in seen)
        verdicts.append(dict(base, check="retries", ok=ok, expected=res["retry_limit"], observed=seen,
                             reason="served" if ok else "the served policy has no retry with that limit"))
    if res.get("failure_accrual"):
        seen = sorted({v for f in _find_any(docs, "failure_accrual", "failureAccrual")
                       for v in _find_any(f, "max_failures", "maxFailures")}, key=str)
        ok = any(str(v) == str(res.get("max_failures")) for v in seen)
        verdicts.append(dict(base, check="failure accrual", ok=ok, expected=res.get("max_failures"), observed=seen,
                             reason="served" if ok else "the served policy has no consecutive failure accrual with "
                                                        "that limit (a ServiceProfile for the Service disables it)"))
    return verdicts


def summarize(verdicts: list) -> list[str]:
    """The failed verdicts as sentences that say which policy failed and what was observed."""
    out = []
    for v in verdicts:
        if v.get("ok"):
            continue
        who = f" ({v['client']} client -> {v['target']})" if v.get("client") else ""
        out.append(f"policy {v.get('policy')}: {v.get('check')}{who} failed: {v.get('reason')}; observed "
                   f"{shorten(json.dumps(v.get('observed'), sort_keys=True, default=str), 200)}")
    return out
