# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/_resilience.py: the fault-injection objects and the judging of the client
proxy's metrics, against the outputs in tests/fixtures/mesh_policy_faults (SOURCE.md names their format)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _policy, _resilience

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mesh_policy_faults"
PROBES = json.loads((FIXTURES / "probe-outputs.json").read_text())
BEFORE = (FIXTURES / "proxy-metrics-before.txt").read_text()
AFTER = (FIXTURES / "proxy-metrics-after.txt").read_text()
NOT_IN_FORCE = (FIXTURES / "proxy-metrics-after-not-in-force.txt").read_text()
NS = "mesh-policy-faults"
RESILIENCE = {"policy": "petstore", "namespace": "petstore", "service": "petstore", "port": 8080,
              "settings": dict(_policy.DEFAULT_RESILIENCE),
              "annotations": _policy.resilience_annotations(_policy.DEFAULT_RESILIENCE)}
SETTINGS = {"namespace": NS, "client_image": "curl@sha256:" + "a" * 64, "fail_image": "echo@sha256:" + "b" * 64,
            "slow_image": "curl@sha256:" + "a" * 64, "deadline": 780}


def retries(output=PROBES["fail_injected"], after=AFTER, **extra):
    return _resilience.judge_retries({"policy": "petstore", "service": "policy-fault-fail", "namespace": NS,
                                      "fail_status": 503, "retry_limit": 2, "output": output, "before": BEFORE,
                                      "after": after, **extra})


def timeout(output=PROBES["slow_cut"], after=AFTER, **extra):
    return _resilience.judge_timeout({"policy": "petstore", "service": "policy-fault-slow", "namespace": NS,
                                      "timeout_s": 10.0, "first_cut_s": 3.0, "output": output, "before": BEFORE,
                                      "after": after, **extra})


def test_the_recorded_metrics_parse_with_labels_and_without_exemplars():
    samples = _resilience.parse_metrics(AFTER)
    scope = {"parent_name": "policy-fault-fail", "parent_namespace": NS}
    assert _resilience.total(samples, _resilience.RETRIES, scope) == 6
    assert _resilience.total(samples, _resilience.RETRY_LIMIT_EXCEEDED, scope) == 3
    slow = {"parent_name": "policy-fault-slow"}
    assert _resilience.total(samples, _resilience.ROUTE_STATUSES, slow, lambda labels: labels["error"] == "REQUEST_TIMEOUT") == 1
    assert _resilience.parse_metrics(BEFORE)[0] == ("request_total", {
        "direction": "inbound", "target_addr": "0.0.0.0:4191", "target_ip": "0.0.0.0", "target_port": "4191",
        "tls": "disabled"}, 4.0)


def test_escaped_label_values_and_timestamps_are_read():
    (sample,) = _resilience.parse_metrics('m_total{a="x\\"y\\\\z\\n",b=""} 2 1700000000\n')
    assert sample == ("m_total", {"a": 'x"y\\z\n', "b": ""}, 2.0)


@pytest.mark.parametrize("text", ["Error: pods \"policy-fault-client\" not found",
                                  "linkerd diagnostics proxy-metrics failed: exit status 1",
                                  'm{a="unterminated} 1', "m_total notanumber"])
def test_what_is_not_metrics_is_refused(text):
    with pytest.raises(_resilience.MetricsError):
        _resilience.parse_metrics(text)


def test_retries_counted_for_every_failing_request_pass():
    verdict = retries()
    assert verdict["ok"], verdict
    assert verdict["observed"] == {"requests": 3, "statuses": [503, 503, 503], "retries": 6, "limit_exceeded": 3}
    assert "6 retries for 3 failing requests" in verdict["reason"]


def test_no_retry_counted_fails_naming_the_policy_and_what_was_seen():
    verdict = retries(after=NOT_IN_FORCE, annotations={"retry.linkerd.io/http": "gateway-error"})
    assert not verdict["ok"]
    assert "0 retries counted in outbound_http_route_retry_requests_total for 3 requests answered 503" in verdict["reason"]
    assert "retry.linkerd.io/http=gateway-error" in verdict["reason"]
    (problem,) = _policy.summarize([verdict])
    assert problem.startswith("policy petstore: retries (meshed client -> svc/policy-fault-fail) failed")


def test_fewer_retries_than_requests_fail():
    after = AFTER.replace('route_name="default"} 6', 'route_name="default"} 2')
    verdict = retries(after=after)
    assert not verdict["ok"] and "2 retries counted" in verdict["reason"]


def test_a_fault_that_was_not_injected_leaves_retries_unproven():
    verdict = retries(output=PROBES["fail_not_injected"])
    assert not verdict["ok"] and "the fault was not injected" in verdict["reason"]


def test_retries_of_another_service_do_not_count():
    verdict = retries(after=AFTER.replace('parent_name="policy-fault-fail"', 'parent_name="other"'))
    assert not verdict["ok"] and "0 retries counted" in verdict["reason"]


@pytest.mark.parametrize("before, after, reason", [
    ("", AFTER, "no samples: before"),
    (BEFORE, "linkerd diagnostics proxy-metrics failed: Error: no such pod", "could not be read"),
])
def test_unreadable_metrics_fail_saying_so(before, after, reason):
    verdict = _resilience.judge_retries({"policy": "p", "service": "s", "namespace": NS, "fail_status": 503,
                                         "output": PROBES["fail_injected"], "before": before, "after": after})
    assert not verdict["ok"] and reason in verdict["reason"]
    assert "linkerd diagnostics proxy-metrics" in verdict["reason"]


def test_a_slow_request_cut_at_the_timeout_passes():
    verdict = timeout()
    assert verdict["ok"], verdict
    assert verdict["observed"] == {"status": 504, "seconds": 9.006211, "curl_exit": 0, "timeouts_counted": 1}


@pytest.mark.parametrize("output, after, reason", [
    (PROBES["slow_not_cut"], NOT_IN_FORCE, "did not cut the slow request"),
    (PROBES["slow_not_held"], AFTER, "did not hold the request"),
    (PROBES["slow_cut_late"], AFTER, "later than the 10 s timeout"),
    (PROBES["slow_cut"], NOT_IN_FORCE, "counts no *TIMEOUT error"),
    ("504 1.000000 rc=0\n", AFTER, "sooner than the first cut at 3 s"),
    ("", AFTER, "no result line"),
])
def test_a_slow_request_not_cut_by_the_policy_fails(output, after, reason):
    verdict = timeout(output=output, after=after)
    assert not verdict["ok"], verdict
    assert reason in verdict["reason"], verdict["reason"]


def test_the_fault_objects_carry_the_backends_timeout_and_retries_only():
    faults = _resilience.fault_objects(RESILIENCE, SETTINGS)
    kinds = [(o["kind"], o["metadata"]["name"]) for o in faults["objects"]]
    assert kinds == [("Namespace", NS), ("Pod", "policy-fault-client"), ("Pod", "policy-fault-fail"),
                     ("Pod", "policy-fault-slow"), ("Service", "policy-fault-fail"), ("Service", "policy-fault-slow")]
    service = faults["objects"][4]
    assert service["metadata"]["annotations"] == {
        "retry.linkerd.io/http": "gateway-error", "retry.linkerd.io/limit": "2", "retry.linkerd.io/timeout": "3s",
        "timeout.linkerd.io/request": "10s"}
    fail = faults["objects"][2]["spec"]["containers"][0]
    assert fail["args"][-1] == "-status-code=503" and fail["readinessProbe"]["httpGet"]["path"] == "/health"
    assert all(o["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"} for o in faults["objects"][1:4])
    assert (faults["timeout_s"], faults["first_cut_s"], faults["retry_limit"], faults["fail_status"]) == (10.0, 3.0, 2, 503)


@pytest.mark.parametrize("retry_on, status", [("5xx", 503), ("gateway-error", 503), ("429,500-504", 429), ("502-504", 502)])
def test_the_failing_server_answers_a_status_the_retry_policy_covers(retry_on, status):
    res = dict(RESILIENCE, settings=dict(RESILIENCE["settings"], retry_on=retry_on))
    assert _resilience.fault_objects(res, SETTINGS)["fail_status"] == status


def test_a_backend_without_timeout_or_retries_cannot_be_proven():
    assert _resilience.fault_problems({}) == ["no service of the graph has resilience settings: nothing to prove"]
    bare = {"service": "api", "settings": {"failure_accrual": "consecutive"}}
    assert _resilience.fault_problems(bare) == [
        "api: no request timeout to prove (resilience.timeout)",
        "api: no retries to prove (resilience.retry_on and retry_limit)"]
    assert _resilience.fault_problems(RESILIENCE) == []
