# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The Key Metrics report: slo.json, slo.md and a self-contained index.html.

The page is one file a person opens from disk: the table coloured by verdict (the verdict is also
written in each cell, so it does not rest on colour alone), the bounds it was judged by, and for
each workload with load-check samples an inline SVG of its latency distribution (the latency at
every percentile, log scale, with the Good/Critical latency bounds and the samples' p50/p99 marked).
No JavaScript, no fonts, images or styles from elsewhere: a Content-Security-Policy of
``default-src 'none'`` says so to the browser too. Every string from outside (workload names,
sources, the title) is stripped of control characters and escaped for where it goes.

Everything is deterministic (no timestamps, sorted keys), so the same measurements give the same
bytes and a module writing the files can be idempotent.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import html
import json
import math
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _slo
from ansible_collections.mcpmesh.platform.plugins.module_utils._mcp import percentile
from ansible_collections.mcpmesh.platform.plugins.module_utils._text import add_once, clean

NAME_LIMIT = 200
SOURCE_LIMIT = 300
PLOT_POINTS = 200  # points of the percentile curve, whatever the number of samples
COLUMNS = [(m, _slo.BOUNDS[m][3]) for m in _slo.METRICS]


def _text(value, limit: int) -> str:
    return clean("" if value is None else str(value), limit, keep_newlines=False).strip()


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _samples(name: str, samples) -> list[float]:
    if samples is None:
        return []
    if not isinstance(samples, (list, tuple)):
        raise ValueError(f"workload {name}: latency_samples_ms must be a list of milliseconds")
    out = []
    for sample in samples:
        if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not math.isfinite(sample) or sample < 0:
            raise ValueError(f"workload {name}: latency_samples_ms holds {str(sample)[:40]!r}, "
                             "not a finite number of milliseconds, 0 or more")
        out.append(float(sample))
    return out


def latency_summary(samples: list[float]) -> dict | None:
    """count, min, p50, p90, p99 and max (nearest-rank, as mcp_verify's load check computes them)."""
    if not samples:
        return None
    return {"count": len(samples), "min_ms": min(samples), "p50_ms": percentile(samples, 50),
            "p90_ms": percentile(samples, 90), "p99_ms": percentile(samples, 99), "max_ms": max(samples)}


def build(measurements: list[dict], title: str = "Key Metrics") -> dict:
    """The report: ``{"title", "worst", "thresholds", "workloads": [...]}``.

    Each workload: ``{"workload", "source", "metrics": {metric: {value, verdict, reason}}, "worst",
    "latency": latency_summary(...) or None}`` plus, not written to slo.json, ``"_samples"``.
    ValueError for a measurement that cannot be judged (no name, a duplicate name, a bad figure).
    """
    if not isinstance(measurements, list) or not measurements:
        raise ValueError("measurements is empty: give at least one workload's figures")
    workloads, seen = [], set()
    for index, measurement in enumerate(measurements, start=1):
        if not isinstance(measurement, dict):
            raise ValueError(f"measurement {index} is not a dict of figures")
        name = _text(measurement.get("workload"), NAME_LIMIT)
        if not name:
            raise ValueError(f"measurement {index} has no workload name")
        add_once(seen, name, ValueError, f"workload {name} is measured twice; give each workload once")
        assessed = _slo.assess_workload(dict(measurement, workload=name))
        samples = _samples(name, measurement.get("latency_samples_ms"))
        assessed.update(source=_text(measurement.get("source"), SOURCE_LIMIT),
                        latency=latency_summary(samples), _samples=samples)
        workloads.append(assessed)
    return {"title": _text(title, NAME_LIMIT) or "Key Metrics",
            "worst": _slo.worst(w["worst"] for w in workloads),
            "thresholds": _slo.thresholds(), "workloads": workloads}


def verdicts(report: dict) -> dict:
    """``{workload: {metric: verdict, ..., "worst": verdict}}``."""
    return {w["workload"]: dict({m: r["verdict"] for m, r in w["metrics"].items()}, worst=w["worst"])
            for w in report["workloads"]}


# ---------------------------------------------------------------------------------- slo.json


def render_json(report: dict) -> str:
    public = dict(report, workloads=[{k: v for k, v in w.items() if not k.startswith("_")} for w in report["workloads"]])
    return json.dumps(public, indent=2, sort_keys=True, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------------- slo.md

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~&])")


def md(text: str) -> str:
    """Text for a Markdown table cell: every character Markdown or HTML could read escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_table(report: dict) -> str:
    head = ["workload"] + [label for _m, label in COLUMNS] + ["worst"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in report["workloads"]:
        cells = [md(w["workload"])]
        for metric, _label in COLUMNS:
            result = w["metrics"][metric]
            cells.append(f"{_slo.format_value(metric, result['value'])} ({result['verdict']})")
        cells.append(f"**{w['worst']}**")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(report: dict) -> str:
    out = [f"# {md(report['title'])}", "", f"Overall: **{report['worst']}**", "", markdown_table(report).rstrip("\n"), ""]
    notes = []
    for w in report["workloads"]:
        said = [f"figures from {md(w['source'])}"] if w["source"] else []
        lat = w["latency"]
        if lat:
            said.append(f"{lat['count']} load-check latency samples: p50 {_num(lat['p50_ms'])} ms, "
                        f"p90 {_num(lat['p90_ms'])} ms, p99 {_num(lat['p99_ms'])} ms, max {_num(lat['max_ms'])} ms")
        if said:
            notes.append(f"- {md(w['workload'])}: " + "; ".join(said))
    if notes:
        out += notes + [""]
    out += ["Bounds (the seed's Key Metrics table; between Good and Critical, the bounds included, is Warning; "
            "a figure not measured is Critical):", "", "| metric | good | warning | critical |", "|---|---|---|---|"]
    out += [f"| {t['label']} | {t['good']} | {t['warning']} | {t['critical']} |" for t in report["thresholds"]]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------- index.html


def esc(text) -> str:
    return html.escape(str(text), quote=True)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; background: #fff; }
h1 { margin-bottom: .25rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #c8c8cc; padding: .45rem .8rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f5; }
td .verdict, .overall strong { text-transform: uppercase; font-size: .8em; font-weight: 700; letter-spacing: .04em; }
.v-good { background: #d9f2de; color: #0b4d1c; }
.v-warning { background: #fff1c7; color: #5c4300; }
.v-critical { background: #fbd5d5; color: #7a0d0d; }
.overall { display: inline-block; padding: .3rem .8rem; border-radius: .3rem; }
small { color: #555; }
figure { margin: 1.5rem 0; }
figcaption { font-size: .9em; color: #333; max-width: 44rem; }
"""


def latency_svg(samples: list[float], label: str) -> str:
    """The latency at every percentile of ``samples`` as an inline SVG (log scale, ms).

    The dashed lines are the seed's latency bounds (10 ms and 100 ms for p50, 100 ms and 1 s for
    p99); the two markers are the samples' own p50 and p99 (nearest rank), coloured by verdict.
    """
    width, height, left, right, top, bottom = 640, 280, 64, 24, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    ordered = sorted(samples)
    lowest, highest = max(ordered[0], 0.1), max(ordered[-1], 1000.0)
    lo_exp = min(0, math.floor(math.log10(lowest)))
    hi_exp = math.ceil(math.log10(highest))
    if hi_exp <= lo_exp:
        hi_exp = lo_exp + 1

    def y(ms: float) -> float:
        value = math.log10(max(ms, 10.0 ** lo_exp))
        return top + plot_h - (value - lo_exp) / (hi_exp - lo_exp) * plot_h

    def x(pct: float) -> float:
        return left + pct / 100.0 * plot_w

    p50, p99 = percentile(ordered, 50), percentile(ordered, 99)
    title = (f"Latency of {label}: {len(ordered)} samples, p50 {_num(p50)} ms, p99 {_num(p99)} ms, "
             f"max {_num(ordered[-1])} ms")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="latency" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" data-samples="{len(ordered)}" data-p50-ms="{p50!r}" data-p99-ms="{p99!r}">',
             f"<title>{esc(title)}</title>",
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafc" stroke="#c8c8cc"/>']
    for exp in range(lo_exp, hi_exp + 1):  # one grid line and label per decade
        ms = 10.0 ** exp
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(ms):.1f}" y2="{y(ms):.1f}" stroke="#e2e2e8"/>')
        parts.append(f'<text x="{left - 6}" y="{y(ms) + 4:.1f}" text-anchor="end" font-size="11">{_num(ms)} ms</text>')
    for pct in (0, 25, 50, 75, 90, 100):
        parts.append(f'<text x="{x(pct):.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11">{pct}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12">'
                 "percentile of the samples</text>")
    for ms, name in ((10.0, "p50 good < 10 ms"), (100.0, "p50 critical > 100 ms / p99 good < 100 ms"),
                     (1000.0, "p99 critical > 1 s")):
        if 10.0 ** lo_exp <= ms <= 10.0 ** hi_exp:
            parts.append(f'<line class="bound" x1="{left}" x2="{left + plot_w}" y1="{y(ms):.1f}" y2="{y(ms):.1f}" '
                         f'stroke="#8a8a99" stroke-dasharray="5 4"><title>{esc(name)}</title></line>')
            parts.append(f'<text class="bound-label" x="{left + plot_w / 2:.1f}" y="{y(ms) - 4:.1f}" text-anchor="middle" '
                         f'font-size="10" fill="#6a6a78">{esc(name)}</text>')
    count = len(ordered)
    points = []
    steps = min(PLOT_POINTS, count)
    for i in range(steps):
        pct = 100.0 * i / (steps - 1) if steps > 1 else 100.0
        rank = max(1, math.ceil(pct / 100.0 * count))
        points.append(f"{x(pct):.1f},{y(ordered[rank - 1]):.1f}")
    parts.append(f'<polyline class="curve" fill="none" stroke="#2a5db0" stroke-width="2" points="{" ".join(points)}"/>')
    colours = {"good": "#1e8a3a", "warning": "#b07d00", "critical": "#c0392b"}
    for pct, value, metric in ((50, p50, "p50_ms"), (99, p99, "p99_ms")):
        verdict = _slo.classify(metric, value)
        parts.append(f'<circle class="marker" data-metric="{metric}" data-verdict="{verdict}" cx="{x(pct):.1f}" '
                     f'cy="{y(value):.1f}" r="5" fill="{colours[verdict]}"/>')
        # Up and to the left of the marker: the curve only rises to the right, so the label stays off it.
        parts.append(f'<text class="marker-label" x="{x(pct) - 8:.1f}" y="{y(value) - 10:.1f}" text-anchor="end" '
                     f'font-size="12" fill="{colours[verdict]}">p{pct} {_num(value)} ms ({verdict})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(report: dict) -> str:
    rows = []
    for w in report["workloads"]:
        source = f"<br><small>{esc(w['source'])}</small>" if w["source"] else ""
        cells = [f'<th scope="row">{esc(w["workload"])}{source}</th>']
        for metric, _label in COLUMNS:
            r = w["metrics"][metric]
            value = "" if r["value"] is None else repr(r["value"])
            cells.append(f'<td class="v-{r["verdict"]}" data-metric="{metric}" data-value="{value}" '
                         f'data-verdict="{r["verdict"]}" title="{esc(r["reason"])}">'
                         f'{esc(_slo.format_value(metric, r["value"]))}<br><span class="verdict">{r["verdict"]}</span></td>')
        cells.append(f'<td class="v-{w["worst"]}" data-metric="worst" data-verdict="{w["worst"]}">'
                     f'<span class="verdict">{w["worst"]}</span></td>')
        rows.append(f'<tr data-workload="{esc(w["workload"])}">' + "".join(cells) + "</tr>")
    head = "".join(f"<th>{esc(label)}</th>" for _m, label in COLUMNS)
    bounds = "".join(f"<tr><td>{esc(t['label'])}</td><td class=\"v-good\">{esc(t['good'])}</td>"
                     f"<td class=\"v-warning\">{esc(t['warning'])}</td><td class=\"v-critical\">{esc(t['critical'])}</td></tr>"
                     for t in report["thresholds"])
    figures = []
    for w in report["workloads"]:
        if w["_samples"]:
            lat = w["latency"]
            figures.append(
                f'<figure data-workload="{esc(w["workload"])}">\n{latency_svg(w["_samples"], w["workload"])}\n'
                f"<figcaption>Latency of {esc(w['workload'])} at every percentile of its {lat['count']} load-check "
                f"samples (log scale): p50 {_num(lat['p50_ms'])} ms, p90 {_num(lat['p90_ms'])} ms, "
                f"p99 {_num(lat['p99_ms'])} ms, max {_num(lat['max_ms'])} ms. Dashed lines: the latency bounds "
                "(10 ms, 100 ms, 1 s). The table's latencies can come from another source (see under the workload's "
                "name), so they need not equal these.</figcaption>\n</figure>")
    title = esc(report["title"])
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}: {report['worst']}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        f'<p class="overall v-{report["worst"]}" data-verdict="{report["worst"]}">Overall: <strong>{report["worst"]}</strong></p>',
        '<table id="key-metrics">',
        f"<thead><tr><th>Workload</th>{head}<th>Worst</th></tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        *figures,
        "<h2>Bounds</h2>",
        "<p>The seed's Key Metrics table. Between Good and Critical, the bounds included, is Warning; "
        "a figure that was not measured is Critical.</p>",
        '<table id="bounds"><thead><tr><th>Metric</th><th>Good</th><th>Warning</th><th>Critical</th></tr></thead>',
        f"<tbody>{bounds}</tbody></table>",
        "</body>",
        "</html>",
        "",
    ])


def render_all(report: dict) -> dict[str, str]:
    """File name -> content."""
    return {"slo.json": render_json(report), "slo.md": render_markdown(report), "index.html": render_html(report)}
