# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Judging a weighted traffic split: Linkerd's per-backend figures against the weights of an HTTPRoute.

The figures come from ``linkerd viz stat-outbound <type>/<name> -n <ns> -o json`` (linkerd/linkerd2,
``viz/cmd/stat-outbound.go``, in both the 2.19 line, edge-25.10.7, and edge-26.8.3). It prints one
JSON array. Each element is a row: a *route row* (no ``backend`` key) per client workload, parent
Service, parent port and route, and after it one *backend row* per backend that route sent requests to
(``backend`` and ``backendPort`` set). Every row has ``name`` (the client workload), ``service`` (the
parent Service), ``port``, ``route`` (``[default]`` for Linkerd's default route, else the route's
name), ``routeType`` (empty for the default route, else the kind, ``HTTPRoute``), ``successRate``
(0..1), ``rps`` (requests in the window divided by the window's seconds), ``latencyMsP50/95/99``
(null when unknown) and ``timeoutRate``. Rows with no request in the window are left out.

The counters behind it are the client proxy's ``outbound_http_route_backend_response_statuses_total``
(a 5xx or an error counts as a failure), so the split is what the *caller's* proxy did: Linkerd splits
on the client side.

The judging, in :func:`judge`: each backend's share of the route's requests (its rps over the sum of
the backends' rps) must be within ``tolerance`` (an absolute share, 0.1 = ten points) of its weight
over the sum of the weights; enough requests must have been seen to say so; a backend with weight 0
must see none beyond the tolerance; a backend the route does not name, or requests still on the
default route, mean the route is not (yet) in use.

Also :func:`route_status`: whether Linkerd's policy controller accepted an HTTPRoute (status
``parents[]`` whose ``controllerName`` is ``linkerd.io/policy-controller``, conditions ``Accepted``
and ``ResolvedRefs``).

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import math
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils._text import add_once, clean, cut, json_array

POLICY_CONTROLLER = "linkerd.io/policy-controller"
DEFAULT_ROUTE = "[default]"
_ROW_FIELDS = ("name", "service", "route", "rps")
_WINDOW = re.compile(r"^(?:[0-9]{1,5}[smh]){1,3}$")
_WINDOW_PART = re.compile(r"([0-9]+)([smh])")


def window_seconds(text) -> int | None:
    """The seconds of a stat window in whole seconds, minutes or hours (``30s``, ``1m``, ``1m30s``); None if not one."""
    if not isinstance(text, str) or not _WINDOW.match(text):
        return None
    seconds = sum(int(n) * {"s": 1, "m": 60, "h": 3600}[unit] for n, unit in _WINDOW_PART.findall(text))
    return seconds or None


class ParseError(ValueError):
    """The CLI printed something that is not its documented JSON."""


def parse_rows(text: str) -> list[dict]:
    """The rows of ``stat-outbound -o json``; ParseError naming what is wrong otherwise."""
    data = json_array(text, ParseError, lambda reason: f"not JSON ({cut(clean(reason, keep_newlines=False), 200)})",
                      lambda type_name: f"a JSON {type_name} where a list of rows was expected")
    rows = []
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            raise ParseError(f"row {index} is a {type(row).__name__}, not an object")
        missing = [key for key in _ROW_FIELDS if key not in row]
        if missing:
            raise ParseError(f"row {index} has no {', '.join(missing)}")
        rps = row["rps"]
        if isinstance(rps, bool) or not isinstance(rps, (int, float)) or not math.isfinite(rps) or rps < 0:
            raise ParseError(f"row {index} has rps {cut(clean(repr(rps), keep_newlines=False), 40)}, not a number >= 0")
        success = row.get("successRate")
        if success is not None and (isinstance(success, bool) or not isinstance(success, (int, float))
                                    or not math.isfinite(success) or not 0 <= success <= 1):
            raise ParseError(f"row {index} has successRate {cut(clean(repr(success), keep_newlines=False), 40)}, "
                             "not a number from 0 to 1")
        rows.append({
            "name": clean(str(row["name"]), 253, keep_newlines=False),
            "service": clean(str(row["service"]), 253, keep_newlines=False),
            "port": clean(str(row.get("port") or ""), 16, keep_newlines=False),
            "route": clean(str(row["route"]), 253, keep_newlines=False),
            "route_type": clean(str(row.get("routeType") or ""), 64, keep_newlines=False),
            "backend": clean(str(row.get("backend") or ""), 253, keep_newlines=False),
            "backend_port": clean(str(row.get("backendPort") or ""), 16, keep_newlines=False),
            "rps": float(rps),
            "success_rate": None if success is None else float(success),
        })
    return rows


def normalize_backends(backends) -> list[dict]:
    """``[{name, weight}]`` checked: names unique and non-empty, weights integers 0..1,000,000, one above 0."""
    if not isinstance(backends, list) or not backends:
        raise ValueError("backends must be a non-empty list of {name, weight}")
    out, seen = [], set()
    for index, item in enumerate(backends):
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise ValueError(f"backends[{index}] needs a name")
        name = str(item["name"]).strip()
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1_000_000:
            raise ValueError(f"backends[{index}] ({cut(name, 60)}) has weight {cut(repr(weight), 40)}; "
                             "a weight is an integer from 0 to 1000000 (the Gateway API's range)")
        add_once(seen, name, ValueError, f"backend {cut(name, 60)} is listed twice")
        out.append({"name": name, "weight": weight})
    if sum(b["weight"] for b in out) == 0:
        raise ValueError("every backend has weight 0; at least one must take traffic")
    return out


def observed(rows: list[dict], service: str, route: str, window_s: float) -> dict:
    """What the rows say about ``route`` on parent ``service``, summed over client workloads and ports.

    Returns ``{"backends": {name: {rps, requests, success_rate}}, "default_rps", "other_routes"}``:
    ``default_rps`` is the traffic to the parent still on Linkerd's default route, ``other_routes`` the
    names of other routes on the same parent that carried traffic.
    """
    backends: dict[str, dict] = {}
    default_rps, other = 0.0, set()
    for row in rows:
        if row["service"] != service:
            continue
        if row["route"] != route:
            if not row["backend"]:
                if row["route"] == DEFAULT_ROUTE:
                    default_rps += row["rps"]
                else:
                    other.add(row["route"])
            continue
        if not row["backend"]:
            continue
        entry = backends.setdefault(row["backend"], {"rps": 0.0, "_ok": 0.0, "_known": 0.0})
        entry["rps"] += row["rps"]
        if row["success_rate"] is not None:
            entry["_ok"] += row["success_rate"] * row["rps"]
            entry["_known"] += row["rps"]
    out = {}
    for name, entry in backends.items():
        out[name] = {
            "rps": entry["rps"],
            "requests": int(round(entry["rps"] * window_s)),
            "success_rate": round(entry["_ok"] / entry["_known"], 6) if entry["_known"] > 0 else None,
        }
    return {"backends": out, "default_rps": default_rps, "other_routes": sorted(other)}


def judge(seen: dict, backends: list[dict], tolerance: float, min_requests: int,
          min_success_rate: float = 0.0) -> tuple[list[dict], list[str]]:
    """The split per backend and the problems, one sentence each (empty: the split holds)."""
    total_weight = sum(b["weight"] for b in backends)
    figures = seen["backends"]
    total_rps = sum(f["rps"] for f in figures.values())
    total_requests = sum(f["requests"] for f in figures.values())
    split, problems = [], []
    for backend in backends:
        fig = figures.get(backend["name"], {"rps": 0.0, "requests": 0, "success_rate": None})
        expected = backend["weight"] / total_weight
        share = fig["rps"] / total_rps if total_rps > 0 else 0.0
        split.append({"name": backend["name"], "weight": backend["weight"], "expected_share": round(expected, 6),
                      "share": round(share, 6), "rps": round(fig["rps"], 6), "requests": fig["requests"],
                      "success_rate": fig["success_rate"],
                      "within_tolerance": total_rps > 0 and abs(share - expected) <= tolerance + 1e-9})
    if total_requests < max(min_requests, 1):
        where = (f"; {round(seen['default_rps'], 3)} rps still on the default route: the route is not in use yet "
                 "(not Accepted by the policy controller, or the client proxy has not picked it up)"
                 if seen["default_rps"] > 0 else "")
        problems.append(f"{total_requests} request(s) seen on the route's backends in the window, fewer than the "
                        f"{max(min_requests, 1)} needed to judge the split{where}")
        return split, problems
    for row in split:
        if not row["within_tolerance"]:
            problems.append(f"backend {cut(row['name'], 80)} took {row['share']:.1%} of the requests "
                            f"({row['requests']} of {total_requests}), expected {row['expected_share']:.1%} "
                            f"(weight {row['weight']} of {total_weight}) +/- {tolerance:.1%}")
        rate = row["success_rate"]
        if row["requests"] > 0 and rate is not None and rate < min_success_rate:
            problems.append(f"backend {cut(row['name'], 80)} answered {rate:.1%} of its requests successfully, "
                            f"below {min_success_rate:.1%} (a 500 'Service not found' means its Service is missing)")
    named = {b["name"] for b in backends}
    for name in sorted(set(figures) - named):
        problems.append(f"backend {cut(name, 80)} took requests but the route does not name it")
    if seen["default_rps"] > 0 and seen["default_rps"] > tolerance * (total_rps + seen["default_rps"]):
        problems.append(f"{round(seen['default_rps'], 3)} rps still went by the default route beside the route's "
                        f"{round(total_rps, 3)} rps: some client proxies do not use the route yet")
    return split, problems


def route_status(route) -> dict:
    """Whether Linkerd's policy controller accepted an HTTPRoute object, and why not.

    ``{"accepted", "resolved", "current", "reason", "message"}``: ``current`` is False when the
    controller's conditions are about an older generation of the route (observedGeneration below
    metadata.generation), so a weight just changed is not yet taken as accepted.
    """
    out = {"accepted": False, "resolved": False, "current": False, "reason": "", "message": ""}
    if not isinstance(route, dict):
        out["reason"] = "NotFound"
        out["message"] = "the route does not exist"
        return out
    generation = (route.get("metadata") or {}).get("generation")
    parents = ((route.get("status") or {}).get("parents")) or []
    ours = [p for p in parents if isinstance(p, dict) and p.get("controllerName") == POLICY_CONTROLLER]
    if not ours:
        out["reason"] = "Pending"
        out["message"] = f"no status from {POLICY_CONTROLLER} yet (is Linkerd's policy controller running?)"
        return out
    accepted = resolved = current = True
    reasons, messages = [], []
    for parent in ours:
        conditions = {c.get("type"): c for c in parent.get("conditions") or [] if isinstance(c, dict)}
        for kind in ("Accepted", "ResolvedRefs"):
            cond = conditions.get(kind)
            good = cond is not None and str(cond.get("status")) == "True"
            if kind == "Accepted":
                accepted = accepted and good
            else:
                resolved = resolved and good
            if cond is not None and not good:
                reasons.append(clean(str(cond.get("reason") or kind), 80, keep_newlines=False))
                if cond.get("message"):
                    messages.append(clean(str(cond["message"]), 200, keep_newlines=False))
            if cond is not None and isinstance(generation, int) and isinstance(cond.get("observedGeneration"), int) \
                    and cond["observedGeneration"] < generation:
                current = False
    out.update(accepted=accepted, resolved=resolved, current=current,
               reason=", ".join(dict.fromkeys(reasons)), message=cut("; ".join(dict.fromkeys(messages)), 300))
    return out
