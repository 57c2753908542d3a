# SPDX-License-Identifier: GPL-3.0-or-later
"""The traffic_split module through ansible-playbook, against a stand-in `linkerd`.

The stand-in prints the outputs in tests/fixtures/traffic_split (written from linkerd2's
viz/cmd/stat-outbound.go, see SOURCE.md there), one per call, with the exit status the CLI gives.
Every case is one task of a single playbook (one ansible-playbook run for the file); each task reads
the stand-in's next reply, so the order of CASES is the order of the replies.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_stand_in import Reply, calls, write
from conftest import BIN, run_module_tasks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "traffic_split"
pytestmark = pytest.mark.slow

BASE = {"namespace": "cosmonic-system", "resource": "deploy/hostgroup-default", "service": "petstore",
        "route": "petstore-split", "wait_timeout": 0, "min_requests": 100,
        "backends": [{"name": "petstore", "weight": 90}, {"name": "petstore-canary", "weight": 10}]}

# case id -> (module arguments over BASE, the replies it consumes, extra ansible-playbook flag)
CASES = {
    "holds": ({"kubeconfig": "/tmp/kc", "context": "kind-x", "time_window": "1m"}, [Reply(stdout=FIXTURES / "split-90-10.json")]),
    "holds_in_check_mode": ({}, [Reply(stdout=FIXTURES / "split-90-10.json")]),
    "skewed": ({}, [Reply(stdout=FIXTURES / "split-skewed.json")]),
    "skewed_reported_only": ({"fail_on_problems": False}, [Reply(stdout=FIXTURES / "split-skewed.json")]),
    # Not accepted yet on the first reading, split on the second: read again until it holds.
    "settles": ({"wait_timeout": 30, "poll_interval": 1},
                [Reply(stdout=FIXTURES / "default-route-only.json"), Reply(stdout=FIXTURES / "split-90-10.json")]),
    "missing_canary_service": ({"min_success_rate": 0.99}, [Reply(stdout=FIXTURES / "canary-service-missing.json")]),
    "table_output": ({}, [Reply(stdout=FIXTURES / "table.txt")]),
    "viz_missing": ({}, [Reply(stderr=FIXTURES / "viz-missing.stderr", rc=1)]),
    "external_prometheus": ({"prometheus_url": "http://prom.example:9090", "time_window": "30s", "min_requests": 50},
                            [Reply(stdout=FIXTURES / "split-90-10.json")]),
    # Refused before the CLI runs: no reply consumed.
    "bad_weight": ({"backends": [{"name": "petstore", "weight": -5}]}, []),
    "bad_window": ({"time_window": "a minute"}, []),
    "bad_resource": ({"resource": "hostgroup-default"}, []),
}
CHECK_MODE = {"holds_in_check_mode"}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("traffic-split")
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    replies = [reply for _args, consumed in CASES.values() for reply in consumed]
    write(bin_dir, "linkerd", replies)
    env = {"PATH": f"{bin_dir}:{BIN}:/bin"}
    results = {}
    for case, (args, _consumed) in CASES.items():  # in order: the stand-in answers them in turn
        _run, result = run_module_tasks(tmp, "mcpmesh.platform.traffic_split", {case: {**BASE, **args}},
                                        *(["--check"] if case in CHECK_MODE else []), env=env)
        results[case] = result[case]
    return {"results": results, "calls": calls(bin_dir, "linkerd")}


def test_a_split_within_the_tolerance_passes_and_changes_nothing(outcome):
    for case in ("holds", "holds_in_check_mode"):
        result = outcome["results"][case]
        assert not result.get("failed"), result
        assert result["changed"] is False and result["success"] is True and result["problems"] == []
        assert result["attempts"] == 1
        by_name = {b["name"]: b for b in result["split"]}
        assert by_name["petstore-canary"]["requests"] == 27 and by_name["petstore"]["requests"] == 273
    assert outcome["calls"][0] == ("--kubeconfig /tmp/kc --context kind-x viz stat-outbound deploy/hostgroup-default "
                                   "-n cosmonic-system -o json -t 1m")


def test_a_skewed_split_fails_with_the_numbers(outcome):
    result = outcome["results"]["skewed"]
    assert result["failed"] is True and result["success"] is False
    assert "The split of route petstore-split on Service petstore seen from deploy/hostgroup-default" in result["msg"]
    assert "petstore-canary took 40.0% of the requests (120 of 300), expected 10.0%" in result["msg"]
    reported = outcome["results"]["skewed_reported_only"]
    assert not reported.get("failed") and reported["success"] is False and len(reported["problems"]) == 2


def test_the_figures_are_read_again_until_the_route_is_in_use(outcome):
    result = outcome["results"]["settles"]
    assert not result.get("failed"), result
    assert result["attempts"] == 2 and result["success"] is True


def test_a_missing_canary_service_fails_on_its_500s(outcome):
    result = outcome["results"]["missing_canary_service"]
    assert result["failed"] is True
    assert "petstore-canary answered 0.0% of its requests successfully" in result["msg"]


def test_output_that_is_not_the_json_fails_at_once(outcome):
    result = outcome["results"]["table_output"]
    assert result["failed"] is True and "is not its JSON rows (not JSON" in result["msg"]
    assert "cmd" in result and result["rc"] == 0


def test_viz_missing_fails_saying_what_to_check(outcome):
    result = outcome["results"]["viz_missing"]
    assert result["failed"] is True
    assert "failed (rc 1)" in result["msg"] and "linkerd viz check" in result["msg"]


def test_an_external_prometheus_and_window_reach_the_cli(outcome):
    result = outcome["results"]["external_prometheus"]
    assert not result.get("failed"), result
    assert result["cmd"][-4:] == ["-t", "30s", "--prometheusURL", "http://prom.example:9090"]


def test_wrong_options_are_refused_before_the_cli_runs(outcome):
    assert "integer from 0 to 1000000" in outcome["results"]["bad_weight"]["msg"]
    assert "time_window is 'a minute'" in outcome["results"]["bad_window"]["msg"]
    assert "give the client workload as <type>/<name>" in outcome["results"]["bad_resource"]["msg"]
    # One call per reply consumed: the refused cases never ran the CLI.
    assert len(outcome["calls"]) == sum(len(consumed) for _args, consumed in CASES.values())
