# SPDX-License-Identifier: GPL-3.0-or-later
"""The Key Metrics report files (module_utils/_slo_report.py): slo.json, slo.md and index.html.

The page is parsed with html.parser: the table's cells carry the figures and verdicts given, the
latency SVG is there with the samples' percentiles, nothing runs or loads, every string is escaped.
"""
from __future__ import annotations

import json
import math
import random
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _slo_report as rep

random.seed(7)
SAMPLES = [round(random.lognormvariate(3.4, 0.6), 3) for _index in range(500)]
PETSTORE = {"workload": "petstore", "success_rate": 0.9995, "p50_ms": 34.0, "p99_ms": 120.5, "meshed_ratio": 1.0,
            "latency_samples_ms": SAMPLES, "source": "linkerd viz stat --from deploy/hostgroup-default"}
ECHO = {"workload": "echo", "success_rate": None, "p50_ms": 1.5, "p99_ms": 2.0, "meshed_ratio": 0.5}
EVIL = '<script>alert("x")</script>&<img src=x onerror=1>|*_`'


class Page(HTMLParser):
    """Every start tag with its attributes, the text of each table cell, and the raw SVG pieces."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.cells: dict[tuple[str, str], dict] = {}
        self.row = None
        self.cell = None
        self.texts: list[str] = []
        self.svg_texts: list[list[str]] = []  # [class, text] of each SVG <text>
        self.in_svg_text = False
        self.style = ""
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "tr" and "data-workload" in attrs:
            self.row = attrs["data-workload"]
        if tag == "td" and self.row is not None:
            self.cell = dict(attrs, text="")
            self.cells[(self.row, attrs["data-metric"])] = self.cell
        if tag == "text":
            self.in_svg_text = True
            self.svg_texts.append([attrs.get("class", ""), ""])
        if tag == "style":
            self.in_style = True

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        if tag == "tr":
            self.row = None
        if tag == "text":
            self.in_svg_text = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        self.texts.append(data)
        if self.cell is not None:
            self.cell["text"] += data
        if self.in_svg_text:
            self.svg_texts[-1][1] += data
        if self.in_style:
            self.style += data


def page_of(*measurements, title="Key Metrics") -> tuple[Page, str]:
    html = rep.render_html(rep.build(list(measurements), title))
    page = Page()
    page.feed(html)
    page.close()
    return page, html


def test_table_cells_carry_the_figures_and_verdicts():
    page, _html = page_of(PETSTORE, ECHO)
    expected = {
        ("petstore", "success_rate"): (0.9995, "good", "99.95 %"),
        ("petstore", "p50_ms"): (34.0, "warning", "34 ms"),
        ("petstore", "p99_ms"): (120.5, "warning", "120.5 ms"),
        ("petstore", "meshed_ratio"): (1.0, "good", "100 %"),
        ("echo", "success_rate"): (None, "critical", "not measured"),
        ("echo", "p50_ms"): (1.5, "good", "1.5 ms"),
        ("echo", "meshed_ratio"): (0.5, "critical", "50 %"),
    }
    for key, (value, verdict, shown) in expected.items():
        cell = page.cells[key]
        assert cell["data-verdict"] == verdict, key
        assert (float(cell["data-value"]) if cell["data-value"] else None) == value, key
        assert f"v-{verdict}" in cell["class"].split(), key
        assert cell["text"] == f"{shown}{verdict}", key  # the verdict is written, not only coloured
    assert page.cells[("petstore", "worst")]["data-verdict"] == "warning"
    assert page.cells[("echo", "worst")]["data-verdict"] == "critical"
    overall = [a for t, a in page.tags if "overall" in a.get("class", "")]
    assert overall[0]["data-verdict"] == "critical"


def test_each_verdict_has_a_distinct_colour():
    page, _html = page_of(PETSTORE)
    colours = {}
    for verdict in ("good", "warning", "critical"):
        rule = page.style.split(f".v-{verdict} {{", 1)[1].split("}", 1)[0]
        colours[verdict] = rule
    assert len(set(colours.values())) == 3


def test_latency_svg_is_there_with_the_samples_percentiles():
    page, _html = page_of(PETSTORE, ECHO)
    svgs = [a for t, a in page.tags if t == "svg"]
    assert len(svgs) == 1  # echo gave no samples
    svg = svgs[0]
    ordered = sorted(SAMPLES)
    p50 = ordered[math.ceil(0.50 * len(ordered)) - 1]
    p99 = ordered[math.ceil(0.99 * len(ordered)) - 1]
    assert int(svg["data-samples"]) == len(SAMPLES)
    assert float(svg["data-p50-ms"]) == p50 and float(svg["data-p99-ms"]) == p99
    labels = [text for cls, text in page.svg_texts if cls == "marker-label"]
    assert labels == [f"p50 {p50:.2f}".rstrip("0").rstrip(".") + " ms (warning)",
                      f"p99 {p99:.2f}".rstrip("0").rstrip(".") + " ms (" + rep._slo.classify("p99_ms", p99) + ")"]
    curve = [a for t, a in page.tags if t == "polyline"][0]
    points = [tuple(map(float, p.split(","))) for p in curve["points"].split()]
    assert len(points) == rep.PLOT_POINTS
    ys = [y for _x, y in points]
    assert ys == sorted(ys, reverse=True)  # latency rises with the percentile (y grows downwards)
    bounds = [a for t, a in page.tags if t == "line" and a.get("class") == "bound"]
    assert len(bounds) == 3  # 10 ms, 100 ms, 1 s
    assert [text for cls, text in page.svg_texts if cls == "bound-label"] == [
        "p50 good < 10 ms", "p50 critical > 100 ms / p99 good < 100 ms", "p99 critical > 1 s"]
    figure = [a for t, a in page.tags if t == "figure"][0]
    assert figure["data-workload"] == "petstore"


def test_few_or_equal_samples_still_draw():
    page, _html = page_of(dict(PETSTORE, latency_samples_ms=[5.0]))
    curve = [a for t, a in page.tags if t == "polyline"][0]
    assert len(curve["points"].split()) == 1
    page, _html = page_of(dict(PETSTORE, latency_samples_ms=[0.0, 0.0, 0.0]))
    assert [a for t, a in page.tags if t == "svg"][0]["data-p99-ms"] == "0.0"


def test_nothing_runs_and_nothing_is_loaded():
    page, html = page_of(PETSTORE, dict(ECHO, workload=EVIL, source=EVIL), title=EVIL)
    tags = {t for t, _a in page.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link", "base", "form", "audio", "video"}
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("src", "href", "action", "srcset", "xlink:href"), (tag, name)
            assert "javascript:" not in (value or "").lower()
    assert "url(" not in page.style and "@import" not in page.style
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_every_string_is_escaped():
    page, html = page_of(dict(ECHO, workload=EVIL, source=EVIL), title=EVIL)
    assert "<script>" not in html and "<img" not in html
    assert EVIL in "".join(page.texts)  # shown as text, as given
    assert (EVIL, "success_rate") in page.cells  # and the attribute round-trips
    markdown = rep.render_markdown(rep.build([dict(ECHO, workload=EVIL)], EVIL))
    assert "<script>" not in markdown and "|*" not in markdown
    table_row = [line for line in markdown.splitlines() if "alert" in line and line.startswith("| ")][0]
    assert len(re.findall(r"(?<!\\)\|", table_row)) == 7  # six columns: the workload's "|" did not add one


def test_control_characters_are_stripped_and_names_bounded():
    report = rep.build([dict(ECHO, workload="ec\x1bho\u202e" + "x" * 500)])
    name = report["workloads"][0]["workload"]
    assert name.startswith("echo") and "\x1b" not in name and "\u202e" not in name
    assert len(name) < 300


def test_json_holds_every_figure_verdict_and_reason_and_no_samples():
    data = json.loads(rep.render_json(rep.build([PETSTORE, ECHO])))
    assert data["worst"] == "critical"
    pet = data["workloads"][0]
    assert pet["metrics"]["p99_ms"] == {"value": 120.5, "verdict": "warning", "reason": "120.5 ms: warning is 100 .. 1000 ms"}
    assert pet["latency"]["count"] == len(SAMPLES) and "_samples" not in pet
    assert data["workloads"][1]["metrics"]["success_rate"]["reason"] == "not measured"
    assert [t["metric"] for t in data["thresholds"]] == ["success_rate", "p50_ms", "p99_ms", "meshed_ratio"]


def test_markdown_table_rows():
    table = rep.markdown_table(rep.build([PETSTORE, ECHO]))
    lines = table.splitlines()
    assert lines[0] == "| workload | Success rate | P50 latency | P99 latency | Meshed % | worst |"
    assert lines[2] == "| petstore | 99.95 % (good) | 34 ms (warning) | 120.5 ms (warning) | 100 % (good) | **warning** |"
    assert lines[3] == "| echo | not measured (critical) | 1.5 ms (good) | 2 ms (good) | 50 % (critical) | **critical** |"


def test_same_measurements_give_the_same_bytes():
    first = rep.render_all(rep.build([PETSTORE, ECHO]))
    second = rep.render_all(rep.build([dict(PETSTORE), dict(ECHO)]))
    assert first == second
    assert set(first) == {"slo.json", "slo.md", "index.html"}


def test_verdicts():
    assert rep.verdicts(rep.build([PETSTORE])) == {"petstore": {
        "success_rate": "good", "p50_ms": "warning", "p99_ms": "warning", "meshed_ratio": "good", "worst": "warning"}}


@pytest.mark.parametrize("measurements, message", [
    ([], "measurements is empty"),
    ([ECHO, dict(ECHO)], "measured twice"),
    ([dict(ECHO, workload="")], "no workload name"),
    (["echo"], "not a dict"),
    ([dict(ECHO, latency_samples_ms=[1, float("nan")])], "not a finite number"),
    ([dict(ECHO, latency_samples_ms=[1, -2])], "not a finite number"),
    ([dict(ECHO, latency_samples_ms="1,2")], "must be a list"),
    ([dict(ECHO, meshed_ratio=90)], "workload echo: meshed_ratio is a ratio"),
])
def test_bad_measurements(measurements, message):
    with pytest.raises(ValueError, match=message):
        rep.build(measurements)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_workload_name_round_trips_through_the_page_as_text(name):
    try:
        report = rep.build([dict(ECHO, workload=name, source=name)], title=name)
    except ValueError:
        assert not name.strip() or not rep._text(name, rep.NAME_LIMIT)  # only names that clean to nothing
        return
    shown = report["workloads"][0]["workload"]
    page = Page()
    page.feed(rep.render_html(report))
    page.close()
    assert (shown, "success_rate") in page.cells
    tags = {t for t, _a in page.tags}
    assert "script" not in tags and "img" not in tags
