# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod_disruption logic against recorded ``kubectl get pods -o json`` outputs (tests/fixtures/pod_disruption)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _disruption

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pod_disruption"
A, B, C = ("hostgroup-default-7d9c6b5f4-abcde", "hostgroup-default-7d9c6b5f4-fghij",
           "hostgroup-default-7d9c6b5f4-klmno")


def pods(name):
    return _disruption.parse_pods(json.loads((FIXTURES / name).read_text()))


def test_the_victim_is_the_oldest_ready_pod_whatever_the_listing_order():
    listed = pods("pods-two-ready.json")
    assert [p["name"] for p in listed] == [B, A]
    assert _disruption.choose_victim(listed)["name"] == A


def test_a_workload_with_one_ready_pod_is_refused_naming_the_pods():
    with pytest.raises(_disruption.DisruptionError) as err:
        _disruption.choose_victim(pods("pods-one-ready.json"), 2, "wasmCloud host")
    text = str(err.value)
    assert "wasmCloud host has 1 Ready pod(s), fewer than the 2" in text
    assert f"{B} (Running, not Ready)" in text and "outage" in text


def test_min_ready_one_allows_the_single_ready_pod():
    assert _disruption.choose_victim(pods("pods-one-ready.json"), 1)["name"] == A


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_min_ready_must_be_a_whole_number_one_or_more(bad):
    with pytest.raises(_disruption.DisruptionError):
        _disruption.choose_victim(pods("pods-two-ready.json"), bad)


def test_a_terminating_pod_is_not_ready_although_its_condition_still_says_so():
    by_name = {p["name"]: p for p in pods("pods-deleting.json")}
    assert by_name[A]["deleting"] and not by_name[A]["ready"]
    assert _disruption.describe(by_name[A]) == "terminating"
    assert by_name[C]["phase"] == "Pending" and not by_name[C]["ready"]


@pytest.mark.parametrize(("fixture", "recovered", "replacements"), [
    ("pods-two-ready.json", False, []),          # the victim itself does not count
    ("pods-deleting.json", False, []),
    ("pods-replacement-starting.json", False, []),
    ("pods-recovered.json", True, [C]),
])
def test_recovery_needs_as_many_ready_pods_as_before_without_the_victim(fixture, recovered, replacements):
    r = _disruption.recovery(pods(fixture), A, [A, B])
    assert r["recovered"] is recovered
    assert r["replacements"] == replacements


def test_state_line_names_every_pod_and_its_state():
    assert _disruption.state_line(pods("pods-deleting.json")) == (
        f"{A} (terminating), {B} (Ready), {C} (Pending, not Ready)")


@pytest.mark.parametrize("doc", [None, [], {}, {"items": {}}, {"items": [1]}, {"items": [{"metadata": {}}]},
                                 {"items": [{"metadata": {"name": ""}}]}])
def test_what_is_not_a_pod_list_is_refused(doc):
    with pytest.raises(_disruption.DisruptionError):
        _disruption.parse_pods(doc)


def test_hostile_pod_names_are_cleaned():
    doc = {"items": [{"metadata": {"name": "evil\x1b[31m\u202eeman", "creationTimestamp": "x"},
                      "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}]}
    assert _disruption.parse_pods(doc)[0]["name"] == "evileman"


@pytest.mark.parametrize(("a", "b", "want"), [
    ((0, 10), (5, 20), 5.0),
    ((5, 20), (0, 10), 5.0),
    ((0, 10), (10, 20), 0.0),
    ((0, 10), (11, 20), 0.0),
    ((0, 10), (2, 3), 1.0),
])
def test_overlap_of_two_windows(a, b, want):
    assert _disruption.overlap_seconds(a, b) == want
