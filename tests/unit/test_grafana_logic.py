# SPDX-License-Identifier: GPL-3.0-or-later
"""Judging Grafana's answers (module_utils/_grafana.py) against the documented formats in tests/fixtures/grafana."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _grafana

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grafana"
QUERIES = [{"name": "series", "expr": 'sum by (deployment) (rate(response_total{namespace="petstore"}[5m]))'},
           {"name": "success_rate", "expr": "s", "min_series": 1},
           {"name": "p50_ms", "expr": "p50", "min_series": 0},
           {"name": "p99_ms", "expr": "p99", "min_series": 0}]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_healthy_grafana():
    judged = _grafana.health(200, fixture("health-ok.json"))
    assert judged == {"ok": True, "version": "13.2.0", "database": "ok", "commit": "5b85c4c2fc", "problem": None}


def test_database_failing_is_a_problem_with_the_state_named():
    judged = _grafana.health(503, fixture("health-database-failing.json"))
    assert not judged["ok"]
    assert judged["database"] == "failing"
    assert "HTTP 503" in judged["problem"]


@pytest.mark.parametrize("status, body, said", [
    (200, "<html>login</html>", "not a JSON object"),
    (200, "[1, 2]", "not a JSON object"),
    (200, '{"version": "13.2.0"}', "not reported"),
    (200, '{"database": "migrating"}', "'migrating'"),
    (502, "", "HTTP 502"),
])
def test_unhealthy_answers(status, body, said):
    judged = _grafana.health(status, body)
    assert not judged["ok"]
    assert said in judged["problem"]


def test_hostile_health_text_is_cut_and_cleaned():
    body = json.dumps({"database": "ok", "version": "\x1b[31m13\x00" + "x" * 5000, "commit": True})
    judged = _grafana.health(200, body)
    assert judged["ok"]
    assert "\x1b" not in judged["version"] and "\x00" not in judged["version"]
    assert len(judged["version"]) < 200
    assert judged["commit"] is None  # not a string: not reported


def test_query_body_asks_instant_queries_through_the_uid():
    body = _grafana.query_body("prometheus", QUERIES, "10m")
    assert body["from"] == "now-10m" and body["to"] == "now"
    assert [q["refId"] for q in body["queries"]] == ["series", "success_rate", "p50_ms", "p99_ms"]
    first = body["queries"][0]
    assert first["datasource"] == {"uid": "prometheus"}
    assert first["expr"] == QUERIES[0]["expr"]
    assert first["instant"] is True and first["range"] is False


@pytest.mark.parametrize("uid, queries, time_range, said", [
    ("", QUERIES, "5m", "datasource_uid is empty"),
    ("prometheus", [], "5m", "queries is empty"),
    ("prometheus", QUERIES, " ", "time_range is empty"),
    ("prometheus", ["up"], "5m", "not a dict"),
    ("prometheus", [{"expr": "up"}], "5m", "has no name"),
    ("prometheus", [{"name": "a", "expr": ""}], "5m", "has no expr"),
    ("prometheus", [{"name": "a", "expr": "up"}, {"name": "a", "expr": "up"}], "5m", "given twice"),
])
def test_query_body_refusals(uid, queries, time_range, said):
    with pytest.raises(_grafana.GrafanaRefused, match=said):
        _grafana.query_body(uid, queries, time_range)


def test_series_and_values_are_read_from_the_frames():
    results, problems = _grafana.query_results(200, fixture("ds-query-series.json"), QUERIES)
    assert problems == []
    assert results["series"] == {"series": 1, "value": 0.4, "labels": [{"deployment": "petstore", "namespace": "petstore"}],
                                 "error": None}
    assert results["success_rate"]["value"] == 0.9995
    assert results["p50_ms"]["value"] == 3.1
    assert results["p99_ms"]["value"] == 48.5


def test_no_traffic_yet_counts_no_series_and_names_the_query():
    results, problems = _grafana.query_results(200, fixture("ds-query-empty.json"), QUERIES)
    assert results["series"]["series"] == 0  # an empty frame holds no sample
    assert results["success_rate"]["series"] == 0  # no frame at all
    assert results["p50_ms"] == {"series": 1, "value": None, "labels": [{}], "error": None}  # NaN quantile
    assert len(problems) == 2  # series and success want one; p50 and p99 ask for none
    assert problems[0].startswith("query series: 0 series, at least 1 expected")
    assert "response_total" in problems[0]


def test_a_failed_query_passes_on_prometheus_message():
    results, problems = _grafana.query_results(400, fixture("ds-query-bad-expr.json"), QUERIES[:1])
    assert results["series"]["error"].startswith("bad_data: invalid parameter")
    assert problems == [f"query series: {results['series']['error']}"]


def test_a_refused_request_quotes_grafanas_message():
    results, problems = _grafana.query_results(404, fixture("ds-query-no-datasource.json"), QUERIES[:2])
    assert problems == ["/api/ds/query answered HTTP 404: Data source not found"]
    assert results["success_rate"]["error"] == "no answer"


def test_a_query_missing_from_the_answer_is_a_problem():
    results, problems = _grafana.query_results(200, '{"results": {}}', QUERIES[:1])
    assert results["series"]["error"] == "not in the answer"
    assert problems == ["query series: Grafana's answer has no result for it"]


def test_labels_are_bounded():
    frames = [{"schema": {"fields": [{"type": "time"}, {"type": "number", "labels": {"pod": f"p{i}"}}]},
               "data": {"values": [[1], [i]]}} for i in range(30)]
    body = json.dumps({"results": {"series": {"frames": frames}}})
    results = _grafana.query_results(200, body, QUERIES[:1])[0]
    assert results["series"]["series"] == 30
    assert len(results["series"]["labels"]) == _grafana.LABEL_LIMIT
    assert results["series"]["value"] == 0.0


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from([200, 400, 404, 500]), body=st.one_of(st.text(max_size=300), st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30).map(json.dumps)))
def test_any_answer_is_judged_without_an_exception(status, body):
    results, problems = _grafana.query_results(status, body, QUERIES)
    assert set(results) == {q["name"] for q in QUERIES}
    assert all(isinstance(p, str) and len(p) < 1000 for p in problems)
    judged = _grafana.health(status, body)
    assert judged["ok"] is (judged["problem"] is None)
