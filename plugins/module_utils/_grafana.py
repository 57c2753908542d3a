# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Judging Grafana's answers: the health endpoint and a data source query (pure logic).

Formats (Grafana's HTTP API documentation, docs/sources/developers/http_api/ in grafana/grafana,
https://grafana.com/docs/grafana/latest/developers/http_api/):

* ``GET /api/health`` answers a JSON object with ``database`` (``"ok"`` when Grafana can reach its
  database), ``version`` and ``commit``; the Helm chart's readiness probe asks the same path.
* ``POST /api/ds/query`` takes ``{"from", "to", "queries": [{"refId", "datasource": {"uid"}, ...}]}``
  and answers ``{"results": {<refId>: {"status", "frames": [...], "error"?}}}``. A frame is a data
  frame: ``schema.fields`` (one ``time`` field and one ``number`` field carrying the series'
  ``labels``) and ``data.values`` (one column per field). An instant Prometheus query gives one frame
  per series; no series gives no frame or frames with empty columns. A failed query has ``error``
  (and often ``status`` 400); a refused request has a top-level ``message``.

No Ansible imports: the module does the HTTP, this file says what the answers mean.
"""
from __future__ import annotations

import json
import math

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

LABEL_LIMIT = 10  # label sets kept per query result


class GrafanaRefused(ValueError):
    """A query that cannot be sent as given (what to fix is in the message)."""


def _quote(text, limit: int = _text.MESSAGE_LIMIT) -> str:
    return _text.cut(_text.strip_control(text, keep_newlines=False).strip(), limit)


def _json(body):
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def health(status, body) -> dict:
    """``{"ok", "version", "database", "commit", "problem"}`` from ``GET /api/health``'s answer."""
    out = {"ok": False, "version": None, "database": None, "commit": None, "problem": None}
    data = _json(body)
    if isinstance(data, dict):
        for key in ("version", "database", "commit"):
            if isinstance(data.get(key), (str, int, float)) and not isinstance(data.get(key), bool):
                out[key] = _quote(data[key], 80)
    if status != 200:
        said = f": {_quote(body, 200)}" if body else ""
        out["problem"] = f"/api/health answered HTTP {status}{said}"
    elif not isinstance(data, dict):
        out["problem"] = f"/api/health answered something that is not a JSON object: {_quote(body, 200)!r}"
    elif out["database"] != "ok":
        out["problem"] = f"/api/health says the database is {out['database'] or 'not reported'!r}, not 'ok'"
    else:
        out["ok"] = True
    return out


def query_body(datasource_uid: str, queries, time_range: str = "5m") -> dict:
    """The ``/api/ds/query`` body: one instant Prometheus query per ``{"name", "expr"}``, refId = name."""
    if not isinstance(datasource_uid, str) or not datasource_uid.strip():
        raise GrafanaRefused("datasource_uid is empty: give the uid of the provisioned data source")
    if not isinstance(queries, list) or not queries:
        raise GrafanaRefused("queries is empty: give at least one {name, expr}")
    if not isinstance(time_range, str) or not time_range.strip():
        raise GrafanaRefused("time_range is empty: give a Grafana relative range such as 5m")
    seen, out = set(), []
    for index, query in enumerate(queries, start=1):
        if not isinstance(query, dict):
            raise GrafanaRefused(f"query {index} is not a dict with name and expr")
        name, expr = query.get("name"), query.get("expr")
        if not isinstance(name, str) or not name.strip():
            raise GrafanaRefused(f"query {index} has no name")
        _text.add_once(seen, name, GrafanaRefused, f"query name {_quote(name, 60)!r} is given twice; names must differ")
        if not isinstance(expr, str) or not expr.strip():
            raise GrafanaRefused(f"query {_quote(name, 60)!r} has no expr (a PromQL expression)")
        out.append({"refId": name, "datasource": {"uid": datasource_uid}, "expr": expr,
                    "instant": True, "range": False, "intervalMs": 1000, "maxDataPoints": 100})
    return {"from": f"now-{time_range.strip()}", "to": "now", "queries": out}


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def frame_series(frame) -> tuple[dict, float | None] | None:
    """``(labels, last value)`` of one data frame, or None when it holds no sample."""
    if not isinstance(frame, dict):
        return None
    schema, data = frame.get("schema"), frame.get("data")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(fields, list) or not isinstance(values, list):
        return None
    for index, field in enumerate(fields):
        if not isinstance(field, dict) or field.get("type") != "number" or index >= len(values):
            continue
        column = values[index]
        if not isinstance(column, list) or not column:
            continue
        labels = field.get("labels") if isinstance(field.get("labels"), dict) else {}
        labels = {_quote(k, 60): _quote(v, 120) for k, v in list(labels.items())[:20]}
        return labels, _number(column[-1])
    return None


def query_results(status, body, queries) -> tuple[dict, list[str]]:
    """Per query name ``{"series", "value", "labels", "error"}``, and the problems, from the answer.

    ``series`` counts the frames that hold a sample; ``value`` is the first such frame's last
    sample (None when it is NaN or there is none). A query with fewer series than its
    ``min_series`` (default 1) is a problem, and so is every error Grafana reports.
    """
    data = _json(body)
    results: dict = {}
    problems: list[str] = []
    if status != 200 and not (isinstance(data, dict) and isinstance(data.get("results"), dict)):
        said = data.get("message") if isinstance(data, dict) else body
        problems.append(f"/api/ds/query answered HTTP {status}: {_quote(said, 200) or 'no message'}")
        for query in queries:
            results[query["name"]] = {"series": 0, "value": None, "labels": [], "error": "no answer"}
        return results, problems
    answers = data.get("results") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        problems.append(f"/api/ds/query answered without results: {_quote(body, 200)!r}")
        answers = {}
    for query in queries:
        name = query["name"]
        answer = answers.get(name)
        entry = {"series": 0, "value": None, "labels": [], "error": None}
        if not isinstance(answer, dict):
            entry["error"] = "not in the answer"
            problems.append(f"query {name}: Grafana's answer has no result for it")
            results[name] = entry
            continue
        if answer.get("error"):
            entry["error"] = _quote(answer["error"], 200)
            problems.append(f"query {name}: {entry['error']}")
        frames = answer.get("frames") if isinstance(answer.get("frames"), list) else []
        for frame in frames:
            series = frame_series(frame)
            if series is None:
                continue
            entry["series"] += 1
            if entry["series"] == 1:
                entry["value"] = series[1]
            if len(entry["labels"]) < LABEL_LIMIT:
                entry["labels"].append(series[0])
        wanted = query.get("min_series", 1)
        wanted = 1 if wanted is None else int(wanted)
        if entry["error"] is None and entry["series"] < wanted:
            problems.append(f"query {name}: {entry['series']} series, at least {wanted} expected "
                            f"({_quote(query['expr'], 200)})")
        results[name] = entry
    return results, problems
