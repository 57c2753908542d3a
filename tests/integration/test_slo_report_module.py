# SPDX-License-Identifier: GPL-3.0-or-later
"""The slo_report module through ansible-playbook: files, idempotence, check mode, the gate."""
from __future__ import annotations

import json

import pytest

from conftest import run_module

MODULE = "mcpmesh.platform.slo_report"
GOOD = {"workload": "petstore", "success_rate": 1.0, "p50_ms": 4, "p99_ms": 40, "meshed_ratio": 1.0,
        "latency_samples_ms": [3.5, 4.0, 4.2, 5.0, 39.0], "source": "linkerd viz stat --from deploy/hostgroup-default"}
WARN = {"workload": "echo", "success_rate": 0.995, "p50_ms": 4, "p99_ms": 40, "meshed_ratio": 1.0}
CRIT = {"workload": "cosmonic-system/hostgroup", "success_rate": 1.0, "p50_ms": 150, "p99_ms": 400, "meshed_ratio": 1.0}
pytestmark = pytest.mark.slow


def run(tmp_path, args, *extra):
    res = run_module(tmp_path, MODULE, args, *extra)
    res.stdout = " ".join(res.stdout.split())
    return res


def snapshot(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_writes_the_three_files_then_changes_nothing(tmp_path):
    dest = tmp_path / "report" / "nested"
    first = run(tmp_path, {"measurements": [GOOD, WARN], "dest": str(dest)})
    assert first.rc == 0, first
    assert first.localhost["changed"] == 1
    result = first.result
    assert result["worst"] == "warning"
    assert result["verdicts"]["echo"] == {"success_rate": "warning", "p50_ms": "good", "p99_ms": "good",
                                          "meshed_ratio": "good", "worst": "warning"}
    assert result["changed_files"] == ["index.html", "slo.json", "slo.md"]
    assert result["files"] == {"json": str(dest / "slo.json"), "markdown": str(dest / "slo.md"),
                               "html": str(dest / "index.html")}
    assert json.loads((dest / "slo.json").read_text()) == result["report"]
    assert result["table"] in (dest / "slo.md").read_text()
    assert "<svg" in (dest / "index.html").read_text()
    assert oct((dest / "index.html").stat().st_mode & 0o777) == "0o644"
    before = snapshot(dest)

    second = run(tmp_path, {"measurements": [GOOD, WARN], "dest": str(dest)})
    assert second.rc == 0, second
    assert second.localhost["changed"] == 0 and second.result["changed_files"] == []
    assert snapshot(dest) == before  # not even rewritten with the same bytes


def test_one_changed_figure_rewrites_only_what_changed(tmp_path):
    dest = tmp_path / "r"
    assert run(tmp_path, {"measurements": [GOOD], "dest": str(dest)}).rc == 0
    (dest / "slo.md").write_text("edited by hand\n")
    res = run(tmp_path, {"measurements": [GOOD], "dest": str(dest)})
    assert res.rc == 0, res
    assert res.localhost["changed"] == 1 and res.result["changed_files"] == ["slo.md"]


def test_check_mode_writes_nothing_but_says_what_would_change(tmp_path):
    dest = tmp_path / "r"
    res = run(tmp_path, {"measurements": [GOOD], "dest": str(dest)}, "--check")
    assert res.rc == 0, res
    assert res.localhost["changed"] == 1 and res.result["changed_files"] == ["index.html", "slo.json", "slo.md"]
    assert not dest.exists()


@pytest.mark.parametrize("gate, measurements, fails", [
    ("critical", [GOOD, WARN], False),
    ("critical", [GOOD, CRIT], True),
    ("warning", [GOOD, WARN], True),
    ("warning", [GOOD], False),
    ("none", [CRIT, WARN], False),
])
def test_gate(tmp_path, gate, measurements, fails):
    dest = tmp_path / "r"
    res = run(tmp_path, {"measurements": measurements, "dest": str(dest), "gate": gate})
    assert res.rc == (2 if fails else 0), res
    assert (dest / "index.html").exists()  # written before failing, so the page shows why
    if fails:
        assert f"The Key Metrics fail the gate '{gate}'" in res.stdout
        assert str(dest / "index.html") in res.stdout
        assert res.result["problems"]
    else:
        assert res.result["problems"] == []


def test_critical_names_the_workload_metric_and_rule(tmp_path):
    res = run(tmp_path, {"measurements": [CRIT], "dest": str(tmp_path / "r")})
    assert res.rc == 2, res
    assert "cosmonic-system/hostgroup p50_ms is critical (150 ms: critical is > 100 ms)" in res.stdout


def test_not_measured_is_critical(tmp_path):
    res = run(tmp_path, {"measurements": [{"workload": "petstore", "success_rate": "nan", "p50_ms": 1, "p99_ms": 2,
                                           "meshed_ratio": 1}], "dest": str(tmp_path / "r")})
    assert res.rc == 2, res
    assert "petstore success_rate is critical (not measured)" in res.stdout


@pytest.mark.parametrize("measurement, message", [
    (dict(GOOD, success_rate=99.95), "success_rate is a ratio between 0 and 1"),
    (dict(GOOD, p50_ms=-1), "cannot be negative"),
    (dict(GOOD, p99=3), "Unsupported parameters"),
    (dict(GOOD, success_rate="fast"), "cannot be converted to a float"),
])
def test_bad_figures_fail_clearly(tmp_path, measurement, message):
    res = run(tmp_path, {"measurements": [measurement], "dest": str(tmp_path / "r")})
    assert res.rc == 2, res
    assert message in res.stdout, res
    assert "Traceback" not in res.stdout + res.stderr
    assert not (tmp_path / "r").exists()


def test_dest_that_is_a_file_fails_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run(tmp_path, {"measurements": [GOOD], "dest": str(blocker)})
    assert res.rc == 2, res
    assert "Cannot write the report into" in res.stdout and "Traceback" not in res.stdout
