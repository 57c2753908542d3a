# SPDX-License-Identifier: GPL-3.0-or-later
"""The Key Metrics classification (module_utils/_slo.py), at and around every bound of the seed's table.

Good: success > 99.9 %, p50 < 10 ms, p99 < 100 ms, meshed == 100 %.
Critical: success < 99 %, p50 > 100 ms, p99 > 1 s, meshed < 90 %. Between (bounds included): warning.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _slo

EPS = 1e-9  # "just above / just below" a ratio bound
MS = 0.001  # "just above / just below" a latency bound (1 µs)


@pytest.mark.parametrize("value, verdict", [
    (1.0, "good"),
    (0.9995, "good"),
    (0.999 + EPS, "good"),
    (0.999, "warning"),          # exactly 99.9 % is not "> 99.9 %"
    (0.999 - EPS, "warning"),
    (0.995, "warning"),
    (0.99 + EPS, "warning"),
    (0.99, "warning"),           # exactly 99 % is not "< 99 %"
    (0.99 - EPS, "critical"),
    (0.5, "critical"),
    (0.0, "critical"),
    (999 / 1000, "warning"),     # the ratio as a load check computes it
    (9991 / 10000, "good"),
    (989 / 1000, "critical"),
])
def test_success_rate(value, verdict):
    assert _slo.classify("success_rate", value) == verdict


@pytest.mark.parametrize("value, verdict", [
    (0, "good"),
    (3, "good"),
    (10 - MS, "good"),
    (10, "warning"),             # exactly 10 ms is not "< 10 ms"
    (10 + MS, "warning"),
    (50, "warning"),             # the seed's Warning column ends at 50 ms; 50..100 is still warning
    (75, "warning"),
    (100 - MS, "warning"),
    (100, "warning"),            # exactly 100 ms is not "> 100 ms"
    (100 + MS, "critical"),
    (5000, "critical"),
])
def test_p50(value, verdict):
    assert _slo.classify("p50_ms", value) == verdict


@pytest.mark.parametrize("value, verdict", [
    (0, "good"),
    (100 - MS, "good"),
    (100, "warning"),            # exactly 100 ms is not "< 100 ms"
    (100 + MS, "warning"),
    (500, "warning"),
    (1000 - MS, "warning"),
    (1000, "warning"),           # exactly 1 s is not "> 1 s"
    (1000 + MS, "critical"),
    (60000, "critical"),
])
def test_p99(value, verdict):
    assert _slo.classify("p99_ms", value) == verdict


@pytest.mark.parametrize("value, verdict", [
    (1.0, "good"),               # exactly 100 % is the only good share
    (1, "good"),
    (1.0 - EPS, "warning"),      # one pod in a billion without a proxy is not 100 %
    (0.95, "warning"),
    (0.9 + EPS, "warning"),
    (0.9, "warning"),            # exactly 90 % is not "< 90 %"
    (9 / 10, "warning"),
    (0.9 - EPS, "critical"),
    (8 / 9, "critical"),
    (0.0, "critical"),
])
def test_meshed_ratio(value, verdict):
    assert _slo.classify("meshed_ratio", value) == verdict


@pytest.mark.parametrize("metric", _slo.METRICS)
@pytest.mark.parametrize("value", [None, float("nan"), "nan", "NaN"])
def test_not_measured_is_critical(metric, value):
    result = _slo.assess(metric, value)
    assert result == {"value": None, "verdict": "critical", "reason": "not measured"}


@pytest.mark.parametrize("metric, value, message", [
    ("success_rate", 99.9, "ratio between 0 and 1"),   # a percentage given as a ratio
    ("success_rate", -0.1, "ratio between 0 and 1"),
    ("meshed_ratio", 1.0 + EPS, "ratio between 0 and 1"),
    ("meshed_ratio", 100, "ratio between 0 and 1"),
    ("p50_ms", -1, "cannot be negative"),
    ("p99_ms", -MS, "cannot be negative"),
    ("p99_ms", float("inf"), "finite"),
    ("success_rate", float("-inf"), "finite"),
    ("p50_ms", "fast", "must be a number"),
    ("p50_ms", True, "must be a number"),
    ("p50_ms", [3], "must be a number"),
    ("p95_ms", 3, "unknown metric"),
])
def test_unusable_values_are_refused(metric, value, message):
    with pytest.raises(ValueError, match=message):
        _slo.classify(metric, value)


def test_numeric_text_is_read_as_a_number():
    assert _slo.assess("p50_ms", "12.5")["value"] == 12.5
    assert _slo.classify("success_rate", "0.9999") == "good"


@pytest.mark.parametrize("metric, value, reason", [
    ("success_rate", 0.9995, "99.95 %: good is > 99.9 %"),
    ("success_rate", 0.999, "99.9 %: warning is 99 % .. 99.9 %"),
    ("success_rate", 0.98, "98 %: critical is < 99 %"),
    ("p50_ms", 34, "34 ms: warning is 10 .. 100 ms"),
    ("p99_ms", 1200.5, "1200.5 ms: critical is > 1000 ms"),
    ("meshed_ratio", 1.0, "100 %: good is = 100 %"),
    ("meshed_ratio", 0.5, "50 %: critical is < 90 %"),
])
def test_reasons_quote_the_value_and_the_rule(metric, value, reason):
    assert _slo.assess(metric, value)["reason"] == reason


def test_worst():
    assert _slo.worst(["good", "good"]) == "good"
    assert _slo.worst(["good", "warning", "good"]) == "warning"
    assert _slo.worst(["warning", "critical", "good"]) == "critical"
    assert _slo.worst([]) == "critical"
    assert _slo.worst(iter(["good"])) == "good"


def test_assess_workload_counts_a_missing_metric_as_not_measured():
    result = _slo.assess_workload({"workload": "petstore", "success_rate": 1.0, "p50_ms": 3, "p99_ms": 20})
    assert {m: r["verdict"] for m, r in result["metrics"].items()} == {
        "success_rate": "good", "p50_ms": "good", "p99_ms": "good", "meshed_ratio": "critical"}
    assert result["metrics"]["meshed_ratio"]["reason"] == "not measured"
    assert result["worst"] == "critical"


def test_assess_workload_names_the_workload_in_errors():
    with pytest.raises(ValueError, match="workload echo: success_rate is a ratio"):
        _slo.assess_workload({"workload": "echo", "success_rate": 99.0})
    with pytest.raises(ValueError, match="workload name"):
        _slo.assess_workload({"workload": " ", "success_rate": 1.0})


@pytest.mark.parametrize("gate, expected", [
    ("none", []),
    ("critical", ["a p99_ms is critical (2000 ms: critical is > 1000 ms)"]),
    ("warning", ["a p50_ms is warning (20 ms: warning is 10 .. 100 ms)",
                 "a p99_ms is critical (2000 ms: critical is > 1000 ms)"]),
])
def test_gate_failures(gate, expected):
    assessed = [_slo.assess_workload({"workload": "a", "success_rate": 1.0, "p50_ms": 20, "p99_ms": 2000,
                                      "meshed_ratio": 1.0}),
                _slo.assess_workload({"workload": "b", "success_rate": 1.0, "p50_ms": 1, "p99_ms": 2,
                                      "meshed_ratio": 1.0})]
    assert _slo.gate_failures(assessed, gate) == expected


def test_unknown_gate_is_refused():
    with pytest.raises(ValueError, match="gate is critical, warning or none"):
        _slo.gate_failures([], "good")


def test_thresholds_table_matches_the_seed():
    rows = {r["metric"]: (r["good"], r["warning"], r["critical"]) for r in _slo.thresholds()}
    assert rows == {
        "success_rate": ("> 99.9 %", "99 % .. 99.9 %", "< 99 %"),
        "p50_ms": ("< 10 ms", "10 .. 100 ms", "> 100 ms"),
        "p99_ms": ("< 100 ms", "100 .. 1000 ms", "> 1000 ms"),
        "meshed_ratio": ("= 100 %", "90 % .. 100 % (below 100 %)", "< 90 %"),
    }


RANK = {"good": 0, "warning": 1, "critical": 2}


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_ratios_never_get_better_as_they_fall(a, b):
    low, high = sorted((a, b))
    for metric in ("success_rate", "meshed_ratio"):
        assert RANK[_slo.classify(metric, low)] >= RANK[_slo.classify(metric, high)]


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.0, max_value=1e7), st.floats(min_value=0.0, max_value=1e7))
def test_latencies_never_get_better_as_they_grow(a, b):
    low, high = sorted((a, b))
    for metric in ("p50_ms", "p99_ms"):
        assert RANK[_slo.classify(metric, low)] <= RANK[_slo.classify(metric, high)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_slo.METRICS), st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_gives_a_verdict_or_a_value_error(metric, value):
    try:
        result = _slo.assess(metric, value)
    except ValueError:
        return
    assert result["verdict"] in _slo.VERDICTS and isinstance(result["reason"], str)
