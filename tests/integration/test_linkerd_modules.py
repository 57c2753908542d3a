# SPDX-License-Identifier: GPL-3.0-or-later
"""The linkerd_check, linkerd_mesh and linkerd_identity modules through ansible-playbook.

The stand-in ``linkerd`` prints the outputs in tests/fixtures/linkerd (written from the documented
format, see SOURCE.md there) with the exit status the CLI gives for them, and logs its arguments.
A counter lets one stand-in answer differently on later calls (a control plane that settles).
"""
from __future__ import annotations

import json
from base64 import b64decode
from pathlib import Path

import pytest

from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linkerd"
pytestmark = pytest.mark.slow


def stand_in(bin_dir: Path, answers: dict[str, list[tuple[str, int]]]) -> Path:
    """A `linkerd` answering `check`, `viz check` and `viz stat` with (fixture, rc), one per call, the last repeated."""
    log = bin_dir / "calls.log"
    lines = ["#!/bin/sh", f'echo "$*" >> "{log}"', 'case " $* " in']
    for pattern, replies in sorted(answers.items(), key=lambda kv: -len(kv[0])):  # `viz check` before `check`
        counter = bin_dir / f"count-{pattern.replace(' ', '-')}"
        body = [f'n=$(cat "{counter}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{counter}"']
        for index, (name, rc) in enumerate(replies, start=1):
            cond = f'[ "$n" -le {index} ]' if index < len(replies) else "true"
            body.append(f"if {cond}; then cat '{FIXTURES / name}'; exit {rc}; fi")
        lines.append(f'  *" {pattern} "*) ' + "; ".join(body) + " ;;")
    lines += ['  *) echo "stand-in linkerd: unexpected arguments: $*" >&2; exit 99 ;;', "esac"]
    path = bin_dir / "linkerd"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return log


def run(tmp_path, module, args, check_mode=False):
    res = run_module(tmp_path, module, args, *(["--check"] if check_mode else []), bin_dir=tmp_path / "bin")
    res.stdout = " ".join(res.stdout.split())  # the callback's line wrapping undone
    return res


def test_check_success_with_viz_passes_kubeconfig_and_context(tmp_path, bin_dir):
    log = stand_in(bin_dir, {"check": [("check-success.json", 0)], "viz check": [("check-concatenated.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_check",
              {"viz": True, "kubeconfig": "/tmp/kc", "context": "kind-x", "wait_timeout": 0}, check_mode=True)
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0
    assert res.result["success"] is True and res.result["attempts"] == 1
    assert len(res.result["warning_lines"]) == 1 and "viz extension proxies" in res.result["warning_lines"][0]
    calls = log.read_text().splitlines()
    assert calls[0] == "--kubeconfig /tmp/kc --context kind-x --linkerd-namespace linkerd check -o json --wait 0s"
    assert calls[1].startswith("--kubeconfig /tmp/kc --context kind-x --linkerd-namespace linkerd viz check -o json")


def test_warnings_pass_unless_asked_to_fail(tmp_path, bin_dir):
    stand_in(bin_dir, {"check": [("check-warnings.json", 0)]})
    ok = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 0})
    assert ok.rc == 0, ok
    assert len(ok.result["warning_checks"]) == 3 and ok.result["error_checks"] == []
    strict = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 0, "fail_on_warnings": True})
    assert strict.rc == 2, strict
    assert "issuer cert is valid for at least 60 days" in strict.stdout


def test_errors_are_retried_until_the_deadline_then_fail_naming_the_check(tmp_path, bin_dir):
    log = stand_in(bin_dir, {"check": [("check-errors.json", 1)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 3, "poll_interval": 1})
    assert res.rc == 2, res
    assert "[gateway-api-crd] Gateway API CRDs are installed" in res.stdout, res
    assert res.result["attempts"] >= 2
    assert len(log.read_text().splitlines()) == res.result["attempts"]
    assert "Traceback" not in res.stdout + res.stderr


def test_a_control_plane_that_settles_passes_on_a_later_attempt(tmp_path, bin_dir):
    stand_in(bin_dir, {"check": [("check-errors.json", 1), ("check-errors.json", 1), ("check-success.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 30, "poll_interval": 1})
    assert res.rc == 0, res
    assert res.result["attempts"] == 3 and res.result["success"] is True


def test_compact_concatenated_viz_error_fails(tmp_path, bin_dir):
    stand_in(bin_dir, {"viz check": [("viz-check-compact-error.json", 1)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_check", {"core": False, "viz": True, "wait_timeout": 0})
    assert res.rc == 2, res
    assert "data plane namespace exists" in res.stdout


def test_garbage_output_fails_at_once(tmp_path, bin_dir):
    log = stand_in(bin_dir, {"check": [("check-garbage.txt", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 30})
    assert res.rc == 2, res
    assert "is not linkerd check JSON" in res.stdout, res
    assert len(log.read_text().splitlines()) == 1


def test_missing_cli_is_reported(tmp_path, bin_dir):
    res = run(tmp_path, "mcpmesh.platform.linkerd_check", {"wait_timeout": 0})
    assert res.rc == 2, res
    assert "The linkerd CLI is not on PATH" in res.stdout


POD_MESHED = {"metadata": {"name": "petstore-1", "labels": {"app": "petstore"}}, "status": {"phase": "Running"},
              "spec": {"initContainers": [{"name": "linkerd-init"}, {"name": "linkerd-proxy"}], "containers": [{"name": "api"}]}}
POD_BARE = {"metadata": {"name": "petstore-2", "labels": {"app": "petstore"}}, "status": {"phase": "Running"},
            "spec": {"containers": [{"name": "api"}]}}


def test_mesh_share_and_traffic_pass(tmp_path, bin_dir):
    log = stand_in(bin_dir, {"viz stat": [("viz-stat-traffic.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh", {
        "namespace": "petstore", "pods": [POD_MESHED], "traffic": True, "context": "kind-x",
        "min_success_rate": 0.99, "max_p50_ms": 100, "max_p99_ms": 1000, "wait_timeout": 0})
    assert res.rc == 0, res
    assert res.result["share"]["ratio"] == 1.0 and res.result["stats"][0]["name"] == "petstore"
    assert log.read_text().strip() == "--context kind-x viz stat deployment -n petstore -t 1m -o json"


def test_mesh_share_under_the_threshold_fails_naming_the_pod(tmp_path, bin_dir):
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh", {"namespace": "petstore", "pods": [POD_MESHED, POD_BARE]})
    assert res.rc == 2, res
    assert "1/2 running pods in namespace petstore carry a linkerd-proxy (50%" in res.stdout
    assert "petstore-2" in res.stdout
    half = run(tmp_path, "mcpmesh.platform.linkerd_mesh",
               {"namespace": "petstore", "pods": [POD_MESHED, POD_BARE], "min_meshed_ratio": 0.5})
    assert half.rc == 0, half


def test_no_traffic_is_retried_then_fails(tmp_path, bin_dir):
    log = stand_in(bin_dir, {"viz stat": [("viz-stat-no-traffic.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh",
              {"namespace": "petstore", "traffic": True, "wait_timeout": 3, "poll_interval": 1})
    assert res.rc == 2, res
    assert "no request was seen in the window" in res.stdout
    assert len(log.read_text().splitlines()) >= 2


def test_traffic_that_arrives_later_passes(tmp_path, bin_dir):
    stand_in(bin_dir, {"viz stat": [("viz-stat-no-traffic.json", 0), ("viz-stat-traffic.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh",
              {"namespace": "petstore", "traffic": True, "wait_timeout": 30, "poll_interval": 1, "min_success_rate": 0.99})
    assert res.rc == 0, res
    assert res.result["stats"][0]["success"] == 1.0


def test_degraded_traffic_fails_with_every_figure(tmp_path, bin_dir):
    stand_in(bin_dir, {"viz stat": [("viz-stat-degraded.json", 0)]})
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh", {
        "namespace": "petstore", "traffic": True, "wait_timeout": 0,
        "min_success_rate": 0.99, "max_p50_ms": 100, "max_p99_ms": 1000})
    assert res.rc == 2, res
    for text in ("success rate 0.9512 is under 0.99", "p50 latency 140 ms is over 100", "p99 latency 1900 ms is over 1000"):
        assert text in res.stdout, (text, res)


def test_percent_instead_of_ratio_is_refused(tmp_path, bin_dir):
    res = run(tmp_path, "mcpmesh.platform.linkerd_mesh", {"namespace": "x", "min_success_rate": 99})
    assert res.rc == 2, res
    assert "ratio between 0 and 1" in res.stdout


def test_identity_generates_then_reuses_and_reports_no_change(tmp_path, bin_dir):
    first = run(tmp_path, "mcpmesh.platform.linkerd_identity", {})
    assert first.rc == 0, first
    assert first.localhost["changed"] == 1
    assert first.result["anchor_action"] == "generated" and first.result["issuer"]["path_length"] == 0
    assert "issuer_key_pem" not in first.result, "a PEM key is only returned base64-encoded, in the Secret data"
    issuer, anchor = first.result["issuer_secret_data"], first.result["anchor_secret_data"]
    again = run(tmp_path, "mcpmesh.platform.linkerd_identity", {
        "current_issuer_cert_pem": b64decode(issuer["tls.crt"]).decode(), "current_issuer_key_pem": b64decode(issuer["tls.key"]).decode(),
        "current_issuer_ca_pem": b64decode(issuer["ca.crt"]).decode(),
        "current_anchor_cert_pem": b64decode(anchor["tls.crt"]).decode(), "current_anchor_key_pem": b64decode(anchor["tls.key"]).decode()})
    assert again.rc == 0, again
    assert again.localhost["changed"] == 0
    assert again.result["issuer_action"] == "reused"
    # The keys went in as no_log options; the data they come back in is intact, not masked.
    assert again.result["issuer_secret_data"] == issuer and again.result["anchor_secret_data"] == anchor
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in json.dumps(again.result) and "********" not in json.dumps(again.result)
    assert b64decode(issuer["tls.key"]).decode() not in again.stdout


def test_identity_renews_with_a_kept_anchor_and_returns_unmasked_data(tmp_path, bin_dir):
    first = run(tmp_path, "mcpmesh.platform.linkerd_identity", {}).result
    anchor = first["anchor_secret_data"]
    # No issuer in the cluster any more, the anchor kept: a new issuer, signed by the kept anchor.
    res = run(tmp_path, "mcpmesh.platform.linkerd_identity", {
        "current_anchor_cert_pem": b64decode(anchor["tls.crt"]).decode(), "current_anchor_key_pem": b64decode(anchor["tls.key"]).decode()})
    assert res.rc == 0, res
    assert res.result["anchor_action"] == "reused" and res.result["issuer_action"] == "generated"
    assert res.result["issuer_secret_data"]["ca.crt"] == anchor["tls.crt"]
    assert res.result["anchor_secret_data"] == anchor


def test_identity_refuses_a_foreign_issuer(tmp_path, bin_dir):
    one = run(tmp_path, "mcpmesh.platform.linkerd_identity", {}).result
    other = run(tmp_path, "mcpmesh.platform.linkerd_identity", {}).result
    res = run(tmp_path, "mcpmesh.platform.linkerd_identity", {
        "anchor_cert_pem": one["trust_anchor_pem"],
        "issuer_cert_pem": other["issuer_cert_pem"], "issuer_key_pem": b64decode(other["issuer_secret_data"]["tls.key"]).decode()})
    assert res.rc == 2, res
    assert "does not chain to the trust anchor" in res.stdout
