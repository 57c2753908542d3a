# SPDX-License-Identifier: GPL-3.0-or-later
"""grafana_check through ansible-playbook against a stand-in Grafana on loopback (tests/fixtures/grafana).

Every case runs in one playbook (one ansible-playbook start), each task's result kept in a JSON file.
"""
from __future__ import annotations

import json

import pytest

from conftest import free_port, run_module_tasks
from grafana_stand_in import StandInGrafana

pytestmark = pytest.mark.slow
MODULE = "mcpmesh.platform.grafana_check"
QUERIES = [
    {"name": "series", "expr": 'sum by (deployment) (rate(response_total{namespace="petstore"}[5m]))'},
    {"name": "success_rate", "expr": "s", "min_series": 0},
    {"name": "p50_ms", "expr": "p50", "min_series": 0},
    {"name": "p99_ms", "expr": "p99", "min_series": 0},
]
CASES = {
    "ok": (200, "health-ok.json", 200, "ds-query-series.json"),
    "empty": (200, "health-ok.json", 200, "ds-query-empty.json"),
    "bad-expr": (200, "health-ok.json", 400, "ds-query-bad-expr.json"),
    "no-datasource": (200, "health-ok.json", 404, "ds-query-no-datasource.json"),
    "db-failing": (503, "health-database-failing.json", 200, "ds-query-series.json"),
    "hostile": (200, b'{"database": "ok", "version": "\\u001b[31m13' + b"x" * 3000 + b'"}', 200, "ds-query-series.json"),
    "html": (200, b"<html><body>Sign in</body></html>", 200, "ds-query-series.json"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run every case once; return ({case: result}, the recorded requests, the run)."""
    tmp = tmp_path_factory.mktemp("grafana_check")
    dead = f"http://127.0.0.1:{free_port()}"
    with StandInGrafana(CASES) as grafana:
        args = {
            "ok": {"url": f"{grafana.base}/ok/", "queries": QUERIES, "time_range": "10m",
                   "username": "viewer", "password": "s3cret-pass"},
            "health-only": {"url": f"{grafana.base}/ok"},
            "empty": {"url": f"{grafana.base}/empty", "queries": QUERIES},
            "empty-report": {"url": f"{grafana.base}/empty", "queries": QUERIES, "fail_on_problems": False},
            "bad-expr": {"url": f"{grafana.base}/bad-expr", "queries": QUERIES[:1]},
            "no-datasource": {"url": f"{grafana.base}/no-datasource", "queries": QUERIES, "datasource_uid": "nope"},
            "db-failing": {"url": f"{grafana.base}/db-failing", "queries": QUERIES},
            "hostile": {"url": f"{grafana.base}/hostile"},
            "html": {"url": f"{grafana.base}/html"},
            "unreachable": {"url": dead, "queries": QUERIES, "timeout": 2},
            "not-a-url": {"url": "ftp://grafana"},
            "twice": {"url": f"{grafana.base}/ok", "queries": [QUERIES[0], QUERIES[0]]},
            "check-mode": {"url": f"{grafana.base}/ok", "queries": QUERIES[:1]},
        }
        check_mode = {"check-mode": args.pop("check-mode")}
        run, results = run_module_tasks(tmp, MODULE, args)
        check_run, checked = run_module_tasks(tmp, MODULE, check_mode, "--check")
        results.update(checked)
        requests = list(grafana.requests)
    run.stdout += check_run.stdout
    return results, requests, run


def test_all_cases_ran(runs):
    results, run = runs[0], runs[2]
    assert run.rc == 0, run
    assert len(results) == 13, run


def test_healthy_grafana_with_series(runs):
    results, requests = runs[0], runs[1]
    ok = results["ok"]
    assert not ok.get("failed") and ok["changed"] is False
    assert ok["health"] == {"ok": True, "version": "13.2.0", "database": "ok", "commit": "5b85c4c2fc"}
    assert ok["problems"] == []
    assert ok["answers"]["series"]["series"] == 1
    assert ok["answers"]["series"]["labels"] == [{"deployment": "petstore", "namespace": "petstore"}]
    assert (ok["answers"]["success_rate"]["value"], ok["answers"]["p50_ms"]["value"], ok["answers"]["p99_ms"]["value"]) == (0.9995, 3.1, 48.5)
    # What was sent: the health GET, then one POST with every query through the data source uid.
    mine = [r for r in requests if r[0] == "ok" and r[4]]
    assert [(r[1], r[2]) for r in mine] == [("GET", "/api/health"), ("POST", "/api/ds/query")]
    body = mine[1][3]
    assert body["from"] == "now-10m" and body["to"] == "now"
    assert [q["refId"] for q in body["queries"]] == ["series", "success_rate", "p50_ms", "p99_ms"]
    assert all(q["datasource"] == {"uid": "prometheus"} and q["instant"] for q in body["queries"])
    assert mine[0][4].startswith("Basic ")  # basic authentication when a user is given
    assert "s3cret-pass" not in json.dumps(ok)


def test_health_only_sends_no_query(runs):
    results, requests = runs[0], runs[1]
    assert results["health-only"]["answers"] == {} and results["health-only"]["problems"] == []
    assert [r[1] for r in requests if r[0] == "ok" and not r[4]].count("POST") == 1  # check-mode's, not health-only's


def test_no_series_fails_naming_the_query_and_what_to_do(runs):
    results = runs[0]
    empty = results["empty"]
    assert empty["failed"]
    assert "query series: 0 series, at least 1 expected" in empty["msg"]
    assert "port-forward" in empty["msg"] and "traffic ran in the last 5m" in empty["msg"]
    report = results["empty-report"]
    assert not report.get("failed")
    assert report["problems"] == ["query series: 0 series, at least 1 expected "
                                  '(sum by (deployment) (rate(response_total{namespace="petstore"}[5m])))']
    assert report["answers"]["p50_ms"]["value"] is None


@pytest.mark.parametrize("case, said", [
    ("bad-expr", "query series: bad_data: invalid parameter"),
    ("no-datasource", "/api/ds/query answered HTTP 404: Data source not found"),
    ("db-failing", "/api/health answered HTTP 503"),
    ("html", "not a JSON object"),
    ("unreachable", "did not answer /api/health"),
    ("not-a-url", "is not an http:// or https:// URL"),
    ("twice", "is given twice"),
])
def test_failures_say_what_was_answered(runs, case, said):
    results = runs[0]
    assert results[case]["failed"], results[case]
    assert said in results[case]["msg"]
    assert "Traceback" not in results[case]["msg"]


def test_hostile_answers_are_cleaned_and_bounded(runs):
    results = runs[0]
    hostile = results["hostile"]
    assert hostile["health"]["ok"]
    assert "\x1b" not in hostile["health"]["version"] and len(hostile["health"]["version"]) < 200


def test_check_mode_still_asks(runs):
    results = runs[0]
    assert results["check-mode"]["answers"]["series"]["series"] == 1
    assert results["check-mode"]["changed"] is False
