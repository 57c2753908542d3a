# SPDX-License-Identifier: GPL-3.0-or-later
"""Judging a canary split from `linkerd viz stat-outbound -o json`, and an HTTPRoute's status
(module_utils/_traffic_split.py).

The outputs are in tests/fixtures/traffic_split (written from linkerd2's viz/cmd/stat-outbound.go, see
SOURCE.md there). The route statuses below follow linkerd2's policy-controller/k8s/status/src/index.rs:
one `status.parents[]` entry per parent with `controllerName: linkerd.io/policy-controller` and the
conditions `Accepted` and `ResolvedRefs` (reasons `NoMatchingParent`, `BackendNotFound`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _traffic_split as ts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "traffic_split"
WEIGHTS_90_10 = [{"name": "petstore", "weight": 90}, {"name": "petstore-canary", "weight": 10}]


def judged(fixture: str, backends=None, tolerance=0.1, min_requests=100, min_success_rate=0.0, route="petstore-split"):
    rows = ts.parse_rows((FIXTURES / fixture).read_text())
    seen = ts.observed(rows, "petstore", route, 60)
    return ts.judge(seen, ts.normalize_backends(backends or WEIGHTS_90_10), tolerance, min_requests, min_success_rate)


def test_the_recorded_90_10_split_holds():
    split, problems = judged("split-90-10.json")
    assert problems == []
    by_name = {b["name"]: b for b in split}
    assert by_name["petstore"]["requests"] == 273 and by_name["petstore-canary"]["requests"] == 27
    assert by_name["petstore-canary"]["share"] == pytest.approx(0.09)
    assert by_name["petstore-canary"]["expected_share"] == pytest.approx(0.1)
    assert all(b["within_tolerance"] and b["success_rate"] == 1.0 for b in split)


def test_a_skewed_split_fails_naming_the_backend_and_the_numbers():
    split, problems = judged("split-skewed.json")
    assert not any(b["within_tolerance"] for b in split)
    assert any("petstore-canary took 40.0% of the requests (120 of 300), expected 10.0%" in p for p in problems)


def test_the_tolerance_decides_at_its_edge():
    # 40 % against 10 %: 30 points off; a tolerance of 0.3 passes it, 0.29 does not.
    assert judged("split-skewed.json", tolerance=0.3)[1] == []
    assert judged("split-skewed.json", tolerance=0.29)[1] != []


def test_a_route_not_in_use_is_said_so():
    split, problems = judged("default-route-only.json")
    assert len(problems) == 1
    assert "0 request(s) seen on the route's backends" in problems[0]
    assert "still on the default route: the route is not in use yet" in problems[0]
    assert all(b["requests"] == 0 and not b["within_tolerance"] for b in split)


def test_a_missing_canary_service_fails_on_its_success_rate():
    # The share is right (30 of 300), but every canary answer was a 500 from the client proxy.
    _split, problems = judged("canary-service-missing.json", min_success_rate=0.99)
    assert len(problems) == 1 and "petstore-canary answered 0.0% of its requests successfully" in problems[0]
    assert judged("canary-service-missing.json", min_success_rate=0.0)[1] == []


def test_too_few_requests_are_not_judged():
    _split, problems = judged("few-requests.json", min_requests=100)
    assert problems == ["12 request(s) seen on the route's backends in the window, fewer than the 100 needed to judge the split"]
    # With a bar the 12 requests clear, 1 of 12 (8 %) is within ten points of 10 %.
    assert judged("few-requests.json", min_requests=10)[1] == []


def test_no_traffic_at_all():
    _split, problems = judged("empty.json")
    assert problems and "0 request(s)" in problems[0]
    assert "default route" not in problems[0]


def test_promote_shift_all_to_the_canary():
    backends = [{"name": "petstore", "weight": 0}, {"name": "petstore-canary", "weight": 100}]
    split, problems = judged("split-0-100.json", backends=backends)
    assert problems == []
    assert {b["name"]: b["share"] for b in split} == {"petstore": 0.0, "petstore-canary": 1.0}
    # The same figures judged against the 90/10 route: the stable backend got nothing.
    assert judged("split-0-100.json")[1] != []


def test_a_backend_the_route_does_not_name_is_a_problem():
    _split, problems = judged("split-90-10.json", backends=[{"name": "petstore", "weight": 100}], tolerance=0.1)
    assert "backend petstore-canary took requests but the route does not name it" in problems


def test_other_services_and_routes_do_not_count():
    rows = ts.parse_rows((FIXTURES / "split-90-10.json").read_text())
    seen = ts.observed(rows, "petstore", "petstore-split", 60)
    assert set(seen["backends"]) == {"petstore", "petstore-canary"}
    assert seen["default_rps"] == 0
    assert ts.observed(rows, "nats", "petstore-split", 60)["backends"] == {}
    assert ts.observed(rows, "nats", "petstore-split", 60)["default_rps"] == 2.0


def test_rows_of_several_clients_add_up():
    rows = ts.parse_rows((FIXTURES / "split-90-10.json").read_text())
    twice = rows + [dict(r, name="hostgroup-other") for r in rows]
    seen = ts.observed(twice, "petstore", "petstore-split", 60)
    assert seen["backends"]["petstore"]["requests"] == 546
    assert seen["backends"]["petstore-canary"]["requests"] == 54


def test_requests_still_on_the_default_route_beside_the_route():
    rows = ts.parse_rows((FIXTURES / "split-90-10.json").read_text())
    rows += ts.parse_rows((FIXTURES / "default-route-only.json").read_text())
    seen = ts.observed(rows, "petstore", "petstore-split", 60)
    _split, problems = ts.judge(seen, ts.normalize_backends(WEIGHTS_90_10), 0.1, 100)
    assert any("still went by the default route" in p for p in problems)


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"),
    ("[" * 100000, "not JSON"),
    ('{"a": 1}', "a JSON dict where a list of rows was expected"),
    ("[1]", "row 0 is a int"),
    ('[{"name": "x", "service": "s", "route": "r"}]', "row 0 has no rps"),
    ('[{"name": "x", "service": "s", "route": "r", "rps": -1}]', "not a number >= 0"),
    ('[{"name": "x", "service": "s", "route": "r", "rps": true}]', "not a number >= 0"),
    ('[{"name": "x", "service": "s", "route": "r", "rps": 1, "successRate": 2}]', "not a number from 0 to 1"),
])
def test_garbage_is_refused_naming_what_is_wrong(text, message):
    with pytest.raises(ts.ParseError, match=message.replace("(", r"\(")):
        ts.parse_rows(text)


def test_the_table_format_is_not_json():
    with pytest.raises(ts.ParseError, match="not JSON"):
        ts.parse_rows((FIXTURES / "table.txt").read_text())


def test_control_characters_in_names_are_stripped():
    rows = ts.parse_rows(json.dumps([{"name": "a\x1b[31mb\x00", "service": "s", "route": "r", "rps": 1}]))
    assert rows[0]["name"] == "ab"


@pytest.mark.parametrize("backends, message", [
    ([], "non-empty list"),
    ([{"weight": 1}], "needs a name"),
    ([{"name": "a", "weight": -1}], "integer from 0 to 1000000"),
    ([{"name": "a", "weight": 1_000_001}], "integer from 0 to 1000000"),
    ([{"name": "a", "weight": True}], "integer from 0 to 1000000"),
    ([{"name": "a", "weight": 1}, {"name": "a", "weight": 2}], "listed twice"),
    ([{"name": "a", "weight": 0}, {"name": "b", "weight": 0}], "every backend has weight 0"),
])
def test_backends_are_checked(backends, message):
    with pytest.raises(ValueError, match=message):
        ts.normalize_backends(backends)


def test_a_missing_weight_is_one_like_the_gateway_api_default():
    assert ts.normalize_backends([{"name": "a"}, {"name": "b", "weight": 3}]) == [
        {"name": "a", "weight": 1}, {"name": "b", "weight": 3}]


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("1m", 60), ("1m30s", 90), ("1h", 3600), ("0s", None),
                                           ("1d", None), ("", None), ("m", None), (None, None), ("1.5m", None)])
def test_window_seconds(text, seconds):
    assert ts.window_seconds(text) == seconds


@settings(max_examples=200, deadline=None)
@given(stable=st.integers(0, 2000), canary=st.integers(0, 2000), weight=st.integers(0, 100),
       tolerance=st.floats(0, 0.5))
def test_the_verdict_matches_the_arithmetic(stable, canary, weight, tolerance):
    rows = [{"name": "h", "service": "petstore", "route": "r", "backend": name, "rps": n / 60, "successRate": 1}
            for name, n in (("petstore", stable), ("petstore-canary", canary)) if n]
    seen = ts.observed(ts.parse_rows(json.dumps(rows)), "petstore", "r", 60)
    backends = ts.normalize_backends([{"name": "petstore", "weight": 100 - weight},
                                      {"name": "petstore-canary", "weight": weight}])
    _split, problems = ts.judge(seen, backends, tolerance, 1)
    total = stable + canary
    if total == 0:
        assert problems and "0 request(s)" in problems[0]
        return
    off = abs(canary / total - weight / 100)
    assert (problems == []) == (off <= tolerance + 1e-9)


ACCEPTED = {"type": "Accepted", "status": "True", "reason": "Accepted", "observedGeneration": 2}
RESOLVED = {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "observedGeneration": 2}


def route(*conditions, controller=ts.POLICY_CONTROLLER, generation=2):
    return {"metadata": {"name": "petstore-split", "generation": generation},
            "status": {"parents": [{"controllerName": controller,
                                    "parentRef": {"group": "core", "kind": "Service", "name": "petstore"},
                                    "conditions": list(conditions)}]}}


def test_an_accepted_route_with_resolved_backends():
    assert ts.route_status(route(ACCEPTED, RESOLVED)) == {
        "accepted": True, "resolved": True, "current": True, "reason": "", "message": ""}


def test_a_missing_backend_service_is_not_resolved():
    missing = {"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound",
               "message": "backend petstore-canary not found"}
    status = ts.route_status(route(ACCEPTED, missing))
    assert status["accepted"] and not status["resolved"]
    assert status["reason"] == "BackendNotFound" and "petstore-canary" in status["message"]


def test_a_parent_that_is_not_a_service_is_not_accepted():
    refused = {"type": "Accepted", "status": "False", "reason": "NoMatchingParent",
               "message": "parent service must have a ClusterIP"}
    status = ts.route_status(route(refused, RESOLVED))
    assert not status["accepted"] and status["reason"] == "NoMatchingParent"


def test_status_of_an_older_generation_is_not_current():
    status = ts.route_status(route(ACCEPTED, RESOLVED, generation=3))
    assert status["accepted"] and not status["current"]


def test_no_status_from_linkerd_yet():
    assert ts.route_status(route(ACCEPTED, RESOLVED, controller="example.com/gateway"))["reason"] == "Pending"
    assert ts.route_status({"metadata": {}})["reason"] == "Pending"
    assert ts.route_status(None)["reason"] == "NotFound"
    assert ts.route_status(route())["accepted"] is False  # no condition at all
