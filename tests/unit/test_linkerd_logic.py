# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading linkerd check / linkerd viz stat output and pods (module_utils/_linkerd.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd as lk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linkerd"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("name, success, errors, warnings, objects", [
    ("check-success.json", True, 0, 0, 1),
    ("check-warnings.json", True, 0, 3, 1),
    ("check-errors.json", False, 1, 1, 1),
    ("check-concatenated.json", True, 0, 1, 2),
    ("viz-check-compact-error.json", False, 1, 0, 2),
])
def test_parse_check(name, success, errors, warnings, objects):
    text = fixture(name)
    parsed = lk.parse_check(text)
    assert parsed["success"] is success
    assert len(parsed["errors"]) == errors
    assert len(parsed["warnings"]) == warnings
    assert len(lk.json_objects(text)) == objects


def test_concatenated_output_keeps_both_objects_checks_in_order():
    parsed = lk.parse_check(fixture("check-concatenated.json"))
    assert parsed["categories"][0] == "kubernetes-api" and parsed["categories"][-1] == "linkerd-viz"
    assert parsed["warnings"][0]["category"] == "linkerd-viz"
    assert "viz extension proxies and cli versions match" in lk.check_line(parsed["warnings"][0])


def test_error_rows_keep_the_cli_s_message_and_hint():
    error = lk.parse_check(fixture("check-errors.json"))["errors"][0]
    assert error["category"] == "gateway-api-crd"
    assert error["hint"] == "https://linkerd.io/2/checks/#gateway-api-crds"
    line = lk.check_line(error)
    assert line.startswith("[gateway-api-crd] Gateway API CRDs are installed: Gateway API CRDs are not installed")
    assert line.endswith("(see https://linkerd.io/2/checks/#gateway-api-crds)")


def test_an_object_saying_failure_fails_even_without_an_error_row():
    assert lk.parse_check('{"success": false, "categories": []}')["success"] is False


@pytest.mark.parametrize("text, message", [
    (None, "not JSON"),  # the table output
    ("", "no output"),
    ("   \n", "no output"),
    ('{"success": true}', "no list of categories"),
    ("[1, 2]", "no list of categories"),
    ('{"success": true, "categories": [{"categoryName": "x", "checks": [{"result": "maybe"}]}]}', "result 'maybe'"),
    ('{"success": true, "categories": []} trailing words', "not JSON at character"),
])
def test_parse_check_refuses_what_is_not_its_format(text, message):
    with pytest.raises(lk.ParseError, match=message):
        lk.parse_check(fixture("check-garbage.txt") if text is None else text)


def test_parse_stat_rows_and_nulls():
    rows = lk.parse_stat(fixture("viz-stat-traffic.json"))
    assert rows[0]["success"] == 1.0 and rows[0]["latency_ms_p99"] == 12
    assert lk.has_traffic(rows[0])
    idle = lk.parse_stat(fixture("viz-stat-no-traffic.json"))
    assert not lk.has_traffic(idle[0])
    assert lk.parse_stat("") == []


@pytest.mark.parametrize("text, message", [
    ('{"name": "x"}', "expected a JSON array"),
    ('[{"success": 1}]', "has no name"),
    ('[{"name": "x", "success": "100%"}]', "expected a number or null"),
    ("No traffic found.", "not JSON"),
])
def test_parse_stat_refuses_other_output(text, message):
    with pytest.raises(lk.ParseError, match=message):
        lk.parse_stat(text)


THRESHOLDS = {"min_success_rate": 0.99, "max_p50_ms": 100, "max_p99_ms": 1000}


@pytest.mark.parametrize("name, thresholds, require, expected", [
    ("viz-stat-traffic.json", THRESHOLDS, True, []),
    ("viz-stat-no-traffic.json", THRESHOLDS, True, ["no request was seen in the window (deployment/petstore)"]),
    ("viz-stat-no-traffic.json", THRESHOLDS, False, []),
    ("viz-stat-degraded.json", THRESHOLDS, True, [
        "deployment/petstore: success rate 0.9512 is under 0.99",
        "deployment/petstore: p50 latency 140 ms is over 100 ms",
        "deployment/petstore: p99 latency 1900 ms is over 1000 ms",
    ]),
    ("viz-stat-degraded.json", {"min_success_rate": 0.95, "max_p50_ms": 150, "max_p99_ms": 2000}, True, []),
    ("viz-stat-degraded.json", {}, True, []),
])
def test_stat_problems(name, thresholds, require, expected):
    rows = lk.parse_stat(fixture(name))
    problems = lk.stat_problems(rows, require_traffic=require, **thresholds)
    assert [p.split(": success, rps", maxsplit=1)[0] for p in problems] == expected


def pod(name, phase="Running", containers=("app",), init=(), labels=None, deleting=False):
    meta = {"name": name, "labels": labels or {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-11-24T12:00:00Z"
    return {"metadata": meta, "status": {"phase": phase},
            "spec": {"containers": [{"name": c} for c in containers], "initContainers": [{"name": c} for c in init]}}


PODS = [
    pod("classic", containers=("app", "linkerd-proxy")),
    pod("native", init=("linkerd-init", "linkerd-proxy")),
    pod("bare"),
    pod("old", deleting=True),                        # terminating: not counted
    pod("done", phase="Succeeded"),                   # not running: not counted
    pod("other-bare", labels={"app": "other"}),
]


def test_mesh_share_counts_containers_and_native_sidecars():
    share = lk.mesh_share(PODS)
    assert share == {"running": 4, "meshed": 2, "ratio": 0.5, "unmeshed": ["bare", "other-bare"]}
    assert lk.mesh_share([])["ratio"] is None
    assert lk.mesh_share(PODS[:2])["ratio"] == 1.0


def deployment(name, labels, annotation=None):
    template = {"metadata": {"annotations": {"linkerd.io/inject": annotation}} if annotation else {}}
    return {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": labels}, "template": template}}


@pytest.mark.parametrize("ns_annotations, deployments, expected", [
    ({"linkerd.io/inject": "enabled"}, [deployment("web", {"app": "web"}), deployment("other", {"app": "other"})],
     [{"name": "web", "pods": ["bare"]}, {"name": "other", "pods": ["other-bare"]}]),
    # the pod template opts out: never restarted
    ({"linkerd.io/inject": "enabled"}, [deployment("web", {"app": "web"}, "disabled")], []),
    # namespace not annotated: only a template that opts in counts
    ({}, [deployment("web", {"app": "web"}), deployment("other", {"app": "other"}, "enabled")],
     [{"name": "other", "pods": ["other-bare"]}]),
    # everything meshed
    ({"linkerd.io/inject": "enabled"}, [deployment("none", {"app": "none"})], []),
])
def test_unmeshed_deployments(ns_annotations, deployments, expected):
    assert lk.unmeshed_deployments(ns_annotations, deployments, PODS) == expected


@pytest.mark.parametrize("selector, labels, selected", [
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"b": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"b": "1"}, True),
])
def test_selects(selector, labels, selected):
    assert lk.selects(selector, labels) is selected
