# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The Key Metrics verdicts: Good, Warning or Critical for each measured figure.

The bounds are the seed's Key Metrics table (the Petstore MCP demo guide, section "Key Metrics"):

| metric | Good | Critical | unit |
|---|---|---|---|
| ``success_rate`` | > 99.9 % | < 99 % | a 0..1 ratio |
| ``p50_ms`` | < 10 ms | > 100 ms | milliseconds |
| ``p99_ms`` | < 100 ms | > 1 s | milliseconds |
| ``meshed_ratio`` | 100 % | < 90 % | a 0..1 ratio |

Anything between the Good and the Critical bound is Warning, *including the bounds themselves*:
a success rate of exactly 99.9 % is not "> 99.9 %", so it is a warning, and exactly 99 % is not
"< 99 %", so it is a warning too. The seed's Warning column (> 99 %, < 50 ms, < 500 ms, > 90 %)
leaves p50 50..100 ms and p99 500..1000 ms unnamed; they are warnings here, as the issue that asked
for the report says ("anything between is warning").

A figure that was not measured (None or NaN) is Critical with the reason "not measured": a
verification that could not take a figure has not shown it is good.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import math

GOOD, WARNING, CRITICAL = "good", "warning", "critical"
VERDICTS = (GOOD, WARNING, CRITICAL)  # from best to worst
NOT_MEASURED = "not measured"

# metric -> (kind, good bound, critical bound, label). kind "ratio": higher is better, 0..1;
# kind "ms": lower is better, >= 0. For meshed_ratio "good" means exactly 1.0 (100 %).
BOUNDS: dict[str, tuple[str, float, float, str]] = {
    "success_rate": ("ratio", 0.999, 0.99, "Success rate"),
    "p50_ms": ("ms", 10.0, 100.0, "P50 latency"),
    "p99_ms": ("ms", 100.0, 1000.0, "P99 latency"),
    "meshed_ratio": ("ratio", 1.0, 0.9, "Meshed %"),
}
METRICS = tuple(BOUNDS)


def _number(metric: str, value) -> float | None:
    """The value as a float; None for not measured (None or NaN). ValueError for anything unusable."""
    if metric not in BOUNDS:
        raise ValueError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{metric} must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{metric} must be a number, not {str(value)[:40]!r}") from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(f"{metric} must be a finite number, not {number}")
    kind = BOUNDS[metric][0]
    if kind == "ratio" and not 0.0 <= number <= 1.0:
        raise ValueError(f"{metric} is a ratio between 0 and 1 (0.999 for 99.9 %), not {number}")
    if kind == "ms" and number < 0:
        raise ValueError(f"{metric} is a latency in milliseconds and cannot be negative ({number})")
    return number


def assess(metric: str, value) -> dict:
    """``{"value": float|None, "verdict": good|warning|critical, "reason": str}`` for one figure.

    Raises ValueError for an unknown metric or a value that is not a usable number (a ratio
    outside 0..1, a negative latency, infinity, text).
    """
    number = _number(metric, value)
    if number is None:
        return {"value": None, "verdict": CRITICAL, "reason": NOT_MEASURED}
    kind, good, critical, _label = BOUNDS[metric]
    if kind == "ratio":
        is_good = number >= good if good >= 1.0 else number > good
        is_critical = number < critical
    else:
        is_good = number < good
        is_critical = number > critical
    verdict = GOOD if is_good else CRITICAL if is_critical else WARNING
    return {"value": number, "verdict": verdict, "reason": f"{format_value(metric, number)}: {bound_text(metric, verdict)}"}


def classify(metric: str, value) -> str:
    """``good``, ``warning`` or ``critical`` for one figure (see :func:`assess`)."""
    return assess(metric, value)["verdict"]


def worst(verdicts) -> str:
    """The worst of some verdicts; ``critical`` when there are none (nothing was shown to be good)."""
    ranked = [VERDICTS.index(v) for v in verdicts]
    return VERDICTS[max(ranked)] if ranked else CRITICAL


def format_value(metric: str, value: float | None) -> str:
    """A figure as a person reads it: ``99.95 %``, ``12.3 ms``; ``not measured`` for None."""
    if value is None:
        return NOT_MEASURED
    if BOUNDS[metric][0] == "ratio":
        return f"{value * 100:.6g} %"
    return f"{value:.6g} ms"


def _pct(ratio: float) -> str:
    return f"{ratio * 100:g} %"


def bound_text(metric: str, verdict: str) -> str:
    """The rule of the seed's table that gives ``verdict`` for ``metric``, in words."""
    kind, good, critical, _label = BOUNDS[metric]
    if kind == "ratio":
        good_rule = f"= {_pct(good)}" if good >= 1.0 else f"> {_pct(good)}"
        rules = {GOOD: f"good is {good_rule}", CRITICAL: f"critical is < {_pct(critical)}",
                 WARNING: f"warning is {_pct(critical)} .. {_pct(good)}" + (" (below 100 %)" if good >= 1.0 else "")}
    else:
        rules = {GOOD: f"good is < {good:g} ms", CRITICAL: f"critical is > {critical:g} ms",
                 WARNING: f"warning is {good:g} .. {critical:g} ms"}
    return rules[verdict]


def thresholds() -> list[dict]:
    """The table itself, for reports: ``[{metric, label, good, warning, critical}]`` in words."""
    return [{"metric": m, "label": BOUNDS[m][3], **{v: bound_text(m, v).split(" is ", 1)[1] for v in VERDICTS}}
            for m in METRICS]


def assess_workload(measurement: dict) -> dict:
    """Every metric of one measurement: ``{"workload", "metrics": {metric: assess(...)}, "worst"}``.

    A metric missing from the measurement counts as not measured. ValueError names the workload.
    """
    name = measurement.get("workload")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("every measurement needs a workload name")
    metrics = {}
    for metric in METRICS:
        try:
            metrics[metric] = assess(metric, measurement.get(metric))
        except ValueError as exc:
            raise ValueError(f"workload {name}: {exc}") from None
    return {"workload": name, "metrics": metrics, "worst": worst(m["verdict"] for m in metrics.values())}


def gate_failures(assessed: list[dict], gate: str) -> list[str]:
    """The figures that fail the gate, one line each.

    ``critical``: every critical figure; ``warning``: every warning or critical one; ``none``: none.
    """
    if gate not in ("critical", "warning", "none"):
        raise ValueError(f"gate is critical, warning or none, not {gate!r}")
    failing = {"critical": (CRITICAL,), "warning": (WARNING, CRITICAL), "none": ()}[gate]
    return [f"{w['workload']} {metric} is {m['verdict']} ({m['reason']})"
            for w in assessed for metric, m in w["metrics"].items() if m["verdict"] in failing]
