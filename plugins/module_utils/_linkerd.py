# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Reading what the linkerd CLI and the cluster say about the mesh.

* ``linkerd check -o json`` (linkerd2 pkg/healthcheck, ``JSON`` output of cli/cmd/check.go): one JSON object
  ``{"success": bool, "categories": [{"categoryName": ..., "checks": [{"description",
  "result": success|warning|error, "error"?, "hint"?}]}]}``; with extensions installed the CLI
  prints further objects on the same stdout, one after the other, so the output is read as a
  stream of objects.
* ``linkerd viz stat -o json`` (linkerd2 viz/cmd/stat.go, ``jsonStats``): a JSON array of rows; ``success`` is a 0..1 ratio
  and ``success``, ``rps`` and the latencies are all null when the window saw no request.
* Pods: a pod is meshed when it has a ``linkerd-proxy`` container, or (native sidecars, Linkerd
  2.20's default) a ``linkerd-proxy`` init container.

Everything quoted from these outputs is cleaned and cut (module_utils/_text.py); fields of the
wrong type raise ParseError, never anything else.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import json
import math

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

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
            raise ParseError(f"not JSON at character {pos} ({exc.msg}): {_text.quote(text[pos:pos + 80])}") from None
        except RecursionError:
            raise ParseError(f"JSON at character {pos} is nested too deeply to read") from None
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
            raise ParseError(f"JSON object {index} has no list of categories: {_text.quote(obj, 120)}")
        if obj.get("success") is False:
            success = False
        for category in obj["categories"]:
            if not isinstance(category, dict) or not isinstance(category.get("checks", []), list):
                raise ParseError(f"a category of object {index} is not {{categoryName, checks}}")
            name = _field(category.get("categoryName", ""), 100)
            categories.append(name)
            for check in category.get("checks") or []:
                result = check.get("result") if isinstance(check, dict) else None
                if not isinstance(result, str) or result not in RESULTS:
                    raise ParseError(f"check in {name!r} has result {_text.quote(result)}, "
                                     f"expected one of {', '.join(RESULTS)}")
                checks.append({
                    "category": name,
                    "description": _field(check.get("description", ""), 300),
                    "result": result,
                    "error": _field(check.get("error", "") or "", 1000),
                    "hint": _field(check.get("hint", "") or "", 300),
                })
    errors = [c for c in checks if c["result"] == "error"]
    warnings = [c for c in checks if c["result"] == "warning"]
    if not checks:
        # `{"success": true, "categories": []}`: no check ran, which proves nothing.
        errors.append({"category": "cli", "description": "checks ran", "result": "error",
                       "error": "the output lists no check at all", "hint": ""})
    return {
        "success": success and not errors,
        "checks": checks,
        "errors": errors,
        "warnings": warnings,
        "categories": categories,
    }


def _field(value, limit: int) -> str:
    """A text field of the CLI's JSON, whatever its type, as a clean bounded one-line string."""
    if isinstance(value, str):
        return _text.clean(value, limit, keep_newlines=False)
    return _text.quote(value, limit)


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
            if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"]:
                raise ParseError(f"a row has no name: {_text.quote(row, 120)}")
            name = _field(row["name"], 200)
            for key in ("namespace", "kind"):
                if row.get(key) is not None and not isinstance(row[key], str):
                    raise ParseError(f"{name}: {key} is {_text.quote(row[key])}, expected a string")
            for key in STAT_NUMBERS:
                value = row.get(key)
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                    raise ParseError(f"{name}: {key} is {_text.quote(value)}, expected a number or null")
            clean = {key: (_field(value, 200) if isinstance(value, str) else value) for key, value in row.items()
                     if key in STAT_NUMBERS or key in ("name", "namespace", "kind") or not isinstance(value, (dict, list))}
            rows.append(clean)
    return rows


def has_traffic(row: dict) -> bool:
    return row.get("success") is not None or row.get("rps") is not None


def _bad_figure(key: str, value) -> str | None:
    """Why a figure is not a measurement (NaN, infinite, negative, a ratio over 1), or None."""
    if value is None:
        return None
    if not math.isfinite(value):
        return f"{key} is {value}, not a measurement"
    if value < 0:
        return f"{key} is negative ({value})"
    if key == "success" and value > 1:
        return f"success is {value}, more than a ratio of 1"
    return None


def stat_problems(rows: list[dict], min_success_rate: float | None = None, max_p50_ms: float | None = None,
                  max_p99_ms: float | None = None, require_traffic: bool = True) -> list[str]:
    """The figures that break a threshold. Rows without traffic are not judged; when
    ``require_traffic`` is set and no row has traffic, that is itself the problem. A figure
    that is NaN, infinite or negative is a problem whatever the thresholds (it passed them
    silently before: every comparison with NaN is false)."""
    problems = []
    for row in rows:
        name = f"{row.get('kind', 'resource')}/{row['name']}"
        problems += [f"{name}: {why}" for why in (_bad_figure(key, row.get(key)) for key in STAT_NUMBERS) if why]
    if problems:
        return problems
    judged = [row for row in rows if has_traffic(row)]
    if require_traffic and not judged:
        names = _text.names([f"{r.get('kind', '?')}/{r['name']}" for r in rows]) or "no resource at all"
        return [f"no request was seen in the window ({names}): success, rps and latencies are all null"]
    for row in judged:
        name = f"{row.get('kind', 'resource')}/{row['name']}"
        success, p50, p99 = row.get("success"), row.get("latency_ms_p50"), row.get("latency_ms_p99")
        if min_success_rate is not None and success is not None and not success >= min_success_rate:
            problems.append(f"{name}: success rate {success:.4f} is under {min_success_rate}")
        if max_p50_ms is not None and p50 is not None and not p50 <= max_p50_ms:
            problems.append(f"{name}: p50 latency {p50} ms is over {max_p50_ms} ms")
        if max_p99_ms is not None and p99 is not None and not p99 <= max_p99_ms:
            problems.append(f"{name}: p99 latency {p99} ms is over {max_p99_ms} ms")
    return problems


# ---------------------------------------------------------------- pods


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _meta(obj) -> dict:
    return _dict(_dict(obj).get("metadata"))


def _name(obj) -> str:
    name = _meta(obj).get("name")
    return _text.clean(name, 253, keep_newlines=False) if isinstance(name, str) and name else "?"


def pod_problems(pods) -> list[str]:
    """The pods (or fields of theirs) of a type the API server never returns, one line each (at most 10)."""
    problems = []
    for index, pod in enumerate(pods or []):
        where = f"pods[{index}]"
        if not isinstance(pod, dict):
            problems.append(f"{where} is a {type(pod).__name__}, not a Pod object")
            continue
        for key in ("metadata", "spec", "status"):
            if pod.get(key) is not None and not isinstance(pod[key], dict):
                problems.append(f"{where}.{key} is a {type(pod[key]).__name__}, not an object")
        spec = _dict(pod.get("spec"))
        for key in ("containers", "initContainers"):
            if spec.get(key) is not None and not isinstance(spec[key], list):
                problems.append(f"{where}.spec.{key} is a {type(spec[key]).__name__}, not a list")
        meta = _meta(pod)
        if meta.get("labels") is not None and not isinstance(meta["labels"], dict):
            problems.append(f"{where}.metadata.labels is a {type(meta['labels']).__name__}, not an object")
        if len(problems) >= 10:
            break
    return problems


def is_running(pod) -> bool:
    return _dict(_dict(pod).get("status")).get("phase") == "Running" and not _meta(pod).get("deletionTimestamp")


def has_proxy(pod) -> bool:
    spec = _dict(_dict(pod).get("spec"))
    names = [_dict(c).get("name") for c in _list(spec.get("containers")) + _list(spec.get("initContainers"))]
    return PROXY in names


def mesh_share(pods: list[dict]) -> dict:
    """``{"running", "meshed", "ratio", "unmeshed"}`` over the running pods (ratio None when none runs)."""
    running = [p for p in pods if is_running(p)]
    meshed = [p for p in running if has_proxy(p)]
    return {
        "running": len(running),
        "meshed": len(meshed),
        "ratio": (len(meshed) / len(running)) if running else None,
        "unmeshed": sorted(_name(p) for p in running if not has_proxy(p)),
    }


def selects(selector, labels) -> bool:
    """Whether a ``matchLabels``/``matchExpressions`` selector selects these labels (an empty one selects nothing)."""
    selector, labels = _dict(selector), _dict(labels)
    match = _dict(selector.get("matchLabels"))
    expressions = _list(selector.get("matchExpressions"))
    if not match and not expressions:
        return False
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in expressions:
        expr = _dict(expr)
        key, op, values = expr.get("key"), expr.get("operator"), _list(expr.get("values"))
        if not isinstance(key, str):
            return False
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def injection_enabled(namespace_annotations, deployment) -> bool:
    """Whether Linkerd's injector would add a proxy to this Deployment's new pods."""
    template = _dict(_dict(_dict(deployment).get("spec")).get("template"))
    own = _dict(_meta(template).get("annotations")).get(INJECT)
    if own is not None:
        return own in ("enabled", "ingress")
    return _dict(namespace_annotations).get(INJECT) in ("enabled", "ingress")


def unmeshed_deployments(namespace_annotations: dict, deployments: list[dict], pods: list[dict]) -> list[dict]:
    """Deployments that should be meshed but have a running pod without a proxy: created
    before the injector was ready (its webhook ignores failures) or before the annotation."""
    out = []
    for deployment in deployments:
        if not injection_enabled(namespace_annotations, deployment):
            continue
        selector = _dict(_dict(deployment).get("spec")).get("selector")
        bare = sorted(
            _name(p) for p in pods
            if is_running(p) and not has_proxy(p) and selects(selector, _meta(p).get("labels"))
        )
        if bare:
            out.append({"name": _name(deployment), "pods": bare})
    return out
