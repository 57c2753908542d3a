# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Reading what the linkerd CLI and the cluster say about the mesh.

* ``linkerd check -o json`` (stack-facts.md section 3.5): one JSON object
  ``{"success": bool, "categories": [{"categoryName": ..., "checks": [{"description",
  "result": success|warning|error, "error"?, "hint"?}]}]}``; with extensions installed the CLI
  prints further objects on the same stdout, one after the other, so the output is read as a
  stream of objects.
* ``linkerd viz stat -o json`` (section 3.6): a JSON array of rows; ``success`` is a 0..1 ratio
  and ``success``, ``rps`` and the latencies are all null when the window saw no request.
* Pods: a pod is meshed when it has a ``linkerd-proxy`` container, or (native sidecars, Linkerd
  2.20's default) a ``linkerd-proxy`` init container.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import json

PROXY = "linkerd-proxy"
INJECT = "linkerd.io/inject"
RESULTS = ("success", "warning", "error")


class ParseError(ValueError):
    """The CLI printed something that is not what its documented format says."""


# ---------------------------------------------------------------- linkerd check


def json_objects(text: str) -> list:
    """Every JSON value in ``text``, in order, whether separated by whitespace or not."""
    decoder = json.JSONDecoder()
    values, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return values
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            snippet = text[pos:pos + 80].replace("\n", " ")
            raise ParseError(f"not JSON at character {pos} ({exc.msg}): {snippet!r}") from exc
        values.append(value)


def parse_check(text: str) -> dict:
    """Read ``linkerd check -o json`` (or ``linkerd viz check -o json``) output.

    Returns ``{"success": bool, "checks": [...], "errors": [...], "warnings": [...],
    "categories": [...]}``, every check row being ``{"category", "description", "result",
    "error", "hint"}``. ``success`` is false when any object says so or any check is an error.
    Raises ParseError for output that is not that format (empty, garbage, an unknown result).
    """
    objects = json_objects(text)
    if not objects:
        raise ParseError("no output")
    checks, categories, success = [], [], True
    for index, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict) or "categories" not in obj or not isinstance(obj["categories"], list):
            raise ParseError(f"JSON object {index} has no list of categories: {json.dumps(obj)[:120]}")
        if obj.get("success") is False:
            success = False
        for category in obj["categories"]:
            if not isinstance(category, dict) or not isinstance(category.get("checks", []), list):
                raise ParseError(f"a category of object {index} is not {{categoryName, checks}}")
            name = str(category.get("categoryName", ""))
            categories.append(name)
            for check in category.get("checks") or []:
                result = check.get("result") if isinstance(check, dict) else None
                if result not in RESULTS:
                    raise ParseError(f"check in {name!r} has result {result!r}, expected one of {', '.join(RESULTS)}")
                checks.append({
                    "category": name,
                    "description": str(check.get("description", "")),
                    "result": result,
                    "error": str(check.get("error", "") or ""),
                    "hint": str(check.get("hint", "") or ""),
                })
    errors = [c for c in checks if c["result"] == "error"]
    warnings = [c for c in checks if c["result"] == "warning"]
    return {
        "success": success and not errors,
        "checks": checks,
        "errors": errors,
        "warnings": warnings,
        "categories": categories,
    }


def check_line(row: dict) -> str:
    """One check as a line: ``[category] description: error (hint)``."""
    line = f"[{row['category']}] {row['description']}"
    if row.get("error"):
        line += f": {row['error']}"
    if row.get("hint"):
        line += f" (see {row['hint']})"
    return line


# ---------------------------------------------------------------- linkerd viz stat


STAT_NUMBERS = ("success", "rps", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99")


def parse_stat(text: str) -> list[dict]:
    """Read ``linkerd viz stat ... -o json``: a JSON array of rows (an empty output is no rows)."""
    if not text.strip():
        return []
    values = json_objects(text)
    rows = []
    for value in values:
        if not isinstance(value, list):
            raise ParseError(f"expected a JSON array of rows, got {type(value).__name__}")
        for row in value:
            if not isinstance(row, dict) or "name" not in row:
                raise ParseError(f"a row has no name: {json.dumps(row)[:120]}")
            for key in STAT_NUMBERS:
                if row.get(key) is not None and not isinstance(row[key], (int, float)):
                    raise ParseError(f"{row['name']}: {key} is {row[key]!r}, expected a number or null")
            rows.append(row)
    return rows


def has_traffic(row: dict) -> bool:
    return row.get("success") is not None or row.get("rps") is not None


def stat_problems(rows: list[dict], min_success_rate: float | None = None, max_p50_ms: float | None = None,
                  max_p99_ms: float | None = None, require_traffic: bool = True) -> list[str]:
    """The figures that break a threshold. Rows without traffic are not judged; when
    ``require_traffic`` is set and no row has traffic, that is itself the problem."""
    problems = []
    judged = [row for row in rows if has_traffic(row)]
    if require_traffic and not judged:
        names = ", ".join(f"{r.get('kind', '?')}/{r['name']}" for r in rows) or "no resource at all"
        return [f"no request was seen in the window ({names}): success, rps and latencies are all null"]
    for row in judged:
        name = f"{row.get('kind', 'resource')}/{row['name']}"
        success, p50, p99 = row.get("success"), row.get("latency_ms_p50"), row.get("latency_ms_p99")
        if min_success_rate is not None and success is not None and success < min_success_rate:
            problems.append(f"{name}: success rate {success:.4f} is under {min_success_rate}")
        if max_p50_ms is not None and p50 is not None and p50 > max_p50_ms:
            problems.append(f"{name}: p50 latency {p50} ms is over {max_p50_ms} ms")
        if max_p99_ms is not None and p99 is not None and p99 > max_p99_ms:
            problems.append(f"{name}: p99 latency {p99} ms is over {max_p99_ms} ms")
    return problems


# ---------------------------------------------------------------- pods


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def is_running(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not _meta(pod).get("deletionTimestamp")


def has_proxy(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
    return PROXY in names


def mesh_share(pods: list[dict]) -> dict:
    """``{"running", "meshed", "ratio", "unmeshed"}`` over the running pods (ratio None when none runs)."""
    running = [p for p in pods if is_running(p)]
    meshed = [p for p in running if has_proxy(p)]
    return {
        "running": len(running),
        "meshed": len(meshed),
        "ratio": (len(meshed) / len(running)) if running else None,
        "unmeshed": sorted(_meta(p).get("name", "?") for p in running if not has_proxy(p)),
    }


def selects(selector: dict, labels: dict) -> bool:
    """Whether a ``matchLabels``/``matchExpressions`` selector selects these labels (an empty one selects nothing)."""
    match = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match and not expressions:
        return False
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in expressions:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def injection_enabled(namespace_annotations: dict, deployment: dict) -> bool:
    """Whether Linkerd's injector would add a proxy to this Deployment's new pods."""
    template = ((deployment.get("spec") or {}).get("template") or {})
    own = (_meta(template).get("annotations") or {}).get(INJECT)
    if own is not None:
        return own in ("enabled", "ingress")
    return (namespace_annotations or {}).get(INJECT) in ("enabled", "ingress")


def unmeshed_deployments(namespace_annotations: dict, deployments: list[dict], pods: list[dict]) -> list[dict]:
    """Deployments that should be meshed but have a running pod without a proxy: created
    before the injector was ready (its webhook ignores failures) or before the annotation."""
    out = []
    for deployment in deployments:
        if not injection_enabled(namespace_annotations, deployment):
            continue
        selector = (deployment.get("spec") or {}).get("selector") or {}
        bare = sorted(
            _meta(p).get("name", "?") for p in pods
            if is_running(p) and not has_proxy(p) and selects(selector, _meta(p).get("labels") or {})
        )
        if bare:
            out.append({"name": _meta(deployment).get("name"), "pods": bare})
    return out
