# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retries and timeouts proven by Linkerd's own metrics under injected faults (no Ansible imports).

The mcpmesh.platform.mesh_policy role's verify entry point starts, in a short-lived namespace, a
meshed client pod and two fault servers behind their own Services: one that always answers an HTTP
error the retry policy covers, one that accepts connections and never answers. Both Services carry
the timeout and retry annotations of the backend under test. The client calls each Service
through its outbound proxy, and the client proxy's metrics (``linkerd diagnostics proxy-metrics``,
Prometheus/OpenMetrics text) are read before and after. This module builds those objects and
judges what was observed:

* retries: ``outbound_http_route_retry_requests_total`` of the failing Service must grow by at
  least one retry per failing request (the limit times the requests when every attempt fails);
* timeout: the slow request must come back as 504 from the client's proxy no later than the
  request timeout (plus slack) and no sooner than the first cut, and
  ``outbound_http_route_request_statuses_total`` must count it with a ``*TIMEOUT`` error.

Metric names and labels: linkerd2-proxy ``linkerd/http/retry/src/lib.rs`` (``MetricFamilies``
under the ``outbound_http_route`` prefix with the ``retry`` sub-prefix; prometheus-client adds
``_total``) and ``linkerd/app/outbound/src/http/policy/route/metrics`` (``parent_*`` labels,
``error`` on the request statuses), the same in the 2.19 line and edge-26.8.3.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ansible_collections.mcpmesh.platform.plugins.module_utils._policy import duration_seconds, shorten
from ansible_collections.mcpmesh.platform.plugins.module_utils._text import line_matches

RETRIES = "outbound_http_route_retry_requests_total"
RETRY_LIMIT_EXCEEDED = "outbound_http_route_retry_limit_exceeded_total"
RETRY_SUCCESSES = "outbound_http_route_retry_successes_total"
ROUTE_STATUSES = "outbound_http_route_request_statuses_total"

# The annotations a fault Service gets from the backend's: timeouts and retries only. Failure
# accrual is left out on purpose: an always-failing endpoint would be tripped after a few
# requests, and the proxy would then answer without trying it, hiding the retries.
FAULT_ANNOTATION_PREFIXES = ("timeout.linkerd.io/", "retry.linkerd.io/")
# Seconds a cut may come after the timeout (the proxy's timer, the exec round trip).
SLACK_S = 2.0
# Bounds of what is read: a proxy's metrics are a few hundred kB.
MAX_METRICS_CHARS = 4_000_000

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>.*)\}})?\s+(?P<value>\S+)(?:\s+\S+)?\s*$")
_LABEL = re.compile(r'\s*(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
# What the fault probes print: curl's --write-out '%{http_code} %{time_total}', then ' rc=<exit>'.
PROBE_LINE = re.compile(r"^\s*(?P<code>\d{3})\s+(?P<seconds>[0-9]+(?:[.,][0-9]+)?)\s+rc=(?P<rc>\d+)\s*$")


class MetricsError(ValueError):
    """The text is not Prometheus or OpenMetrics exposition."""


def _labels(text: str) -> dict[str, str]:
    out, pos = {}, 0
    while pos < len(text):
        match = _LABEL.match(text, pos)
        if not match or match.end() == pos:
            raise MetricsError(f"unreadable labels {shorten(text, 120)!r}")
        value = re.sub(r'\\[\\"n]', lambda m: _UNESCAPE[m.group(0)], match["value"])
        out[match["key"]] = value
        pos = match.end()
    return out


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text or OpenMetrics exposition: ``[(name, labels, value)]``.

    Comments (``# HELP``, ``# TYPE``, ``# EOF``, the CLI's ``# POD`` banners) are skipped, exemplars
    (`` # {...} v``) dropped. A line that is neither raises MetricsError (a CLI error message is not
    metrics).
    """
    text = str(text or "")
    if len(text) > MAX_METRICS_CHARS:
        raise MetricsError(f"the metrics are longer than {MAX_METRICS_CHARS} characters")
    samples = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split(" # ", 1)[0]
        match = _SAMPLE.match(line)
        if not match:
            raise MetricsError(f"line {number} is not a metric sample: {shorten(raw, 160)!r}")
        try:
            value = float(match["value"])
        except ValueError as exc:
            raise MetricsError(f"line {number} has no number: {shorten(raw, 160)!r}") from exc
        samples.append((match["name"], _labels(match["labels"] or ""), value))
    return samples


def total(samples: list, name: str, labels: Mapping, where=None) -> float:
    """The sum of the finite samples of ``name`` whose labels include ``labels`` (and pass ``where``)."""
    out = 0.0
    for sample_name, sample_labels, value in samples:
        if sample_name != name or not math.isfinite(value):
            continue
        if all(sample_labels.get(k) == v for k, v in labels.items()) and (where is None or where(sample_labels)):
            out += value
    return out


def _is_timeout(labels: Mapping) -> bool:
    return "TIMEOUT" in labels.get("error", "").upper()


def parse_probe(output: str) -> list[dict]:
    """The ``<code> <seconds> rc=<exit>`` lines a fault probe printed, in order."""
    return [{"status": int(match["code"]) or None, "seconds": float(match["seconds"].replace(",", ".")),
             "curl_exit": int(match["rc"])} for match in line_matches(PROBE_LINE, output)]


def fault_annotations(annotations: Mapping) -> dict[str, str]:
    """The backend's timeout and retry annotations, for a fault Service (no failure accrual)."""
    return {k: str(v) for k, v in sorted(annotations.items()) if k.startswith(FAULT_ANNOTATION_PREFIXES)}


def fault_problems(resilience: Mapping | None) -> list[str]:
    """Why the retries and timeouts of ``resilience`` (an item of the plan) cannot be proven."""
    if not resilience:
        return ["no service of the graph has resilience settings: nothing to prove"]
    settings = resilience.get("settings") or {}
    out = []
    if not settings.get("timeout") or duration_seconds(str(settings["timeout"])) in (None, 0):
        out.append(f"{resilience.get('service')}: no request timeout to prove (resilience.timeout)")
    if not settings.get("retry_on") or not settings.get("retry_limit"):
        out.append(f"{resilience.get('service')}: no retries to prove (resilience.retry_on and retry_limit)")
    return out


def _status_for(retry_on: str) -> int | None:
    """An HTTP status the ``retry.linkerd.io/http`` list covers (the fault server answers it)."""
    for item in str(retry_on or "").split(","):
        item = item.strip()
        if item in ("5xx", "gateway-error"):
            return 503
        if re.fullmatch(r"[1-5][0-9]{2}", item):
            return int(item)
        if re.fullmatch(r"[1-5][0-9]{2}-[1-5][0-9]{2}", item):
            return int(item.split("-")[0])
    return None


def fault_objects(resilience: Mapping, settings: Mapping) -> dict:
    """The fault-injection objects for one backend's resilience (an item of the plan's ``resilience``).

    settings: ``namespace``, ``client_image`` (curl and a shell), ``fail_image`` (hashicorp/http-echo,
    which answers every path but ``/health`` with ``-status-code``), ``slow_image`` (a shell with
    busybox ``nc``), ``deadline`` (seconds the pods may live). Returns ``{objects, fail_status,
    services: {fail, slow}, client, timeout_s, first_cut_s, retry_limit}``.
    """
    ns = settings["namespace"]
    labels = {"app.kubernetes.io/managed-by": "mcpmesh.platform.mesh_policy",
              "app.kubernetes.io/part-of": "mesh-policy-faults"}
    res = resilience.get("settings") or {}
    annotations = fault_annotations(resilience.get("annotations") or {})
    status = _status_for(res.get("retry_on", "")) or 503
    deadline = int(settings.get("deadline", 900))
    security = {"runAsNonRoot": True, "runAsUser": 65532, "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    resources = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}}

    def pod(name: str, role: str, image: str, run: dict, ports: list, probe: dict | None = None) -> dict:
        container = {"name": role, "image": image, "imagePullPolicy": "IfNotPresent", **run,
                     "securityContext": security, "resources": resources}
        if ports:
            container["ports"] = ports
        if probe:
            container["readinessProbe"] = probe
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns,
                             "labels": {**labels, "app.kubernetes.io/name": name},
                             "annotations": {"linkerd.io/inject": "enabled"}},
                "spec": {"automountServiceAccountToken": False, "restartPolicy": "Never",
                         "activeDeadlineSeconds": deadline, "terminationGracePeriodSeconds": 1,
                         "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                         "containers": [container]}}

    def service(name: str) -> dict:
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
                "spec": {"selector": {"app.kubernetes.io/name": name},
                         "ports": [{"name": "http", "port": 8080, "targetPort": "http", "appProtocol": "http"}]}}

    http_port = [{"name": "http", "containerPort": 8080}]
    # The busybox nc of the slow server reads a request and never answers; while it holds one
    # connection, the next ones wait in the kernel's accept queue: every request stays unanswered.
    slow_loop = "while true; do nc -l -p 8080 >/dev/null 2>&1 || sleep 1; done"
    objects = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": ns, "labels": labels,
                      "annotations": {"config.linkerd.io/default-inbound-policy": "all-unauthenticated"}}},
        pod("policy-fault-client", "curl", settings["client_image"], {"command": ["sleep", str(deadline)]}, []),
        pod("policy-fault-fail", "fail", settings["fail_image"],
            {"args": ["-listen=:8080", "-text=injected failure", f"-status-code={status}"]}, http_port,
            {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 2}),
        pod("policy-fault-slow", "slow", settings["slow_image"], {"command": ["sh", "-c", slow_loop]}, http_port),
        service("policy-fault-fail"),
        service("policy-fault-slow"),
    ]
    timeout_s = duration_seconds(str(res.get("timeout") or "")) or 0.0
    # The first attempt is cut by the per-attempt timeout when it is the shorter one.
    cuts = [t for t in (timeout_s, duration_seconds(str(res.get("retry_timeout") or "")) or 0.0) if t]
    return {"objects": objects, "fail_status": status, "namespace": ns, "client": "policy-fault-client",
            "services": {"fail": "policy-fault-fail", "slow": "policy-fault-slow"},
            "timeout_s": timeout_s, "first_cut_s": min(cuts) if cuts else 0.0,
            "retry_limit": int(res.get("retry_limit") or 0), "annotations": annotations}


def _metrics_pair(observation: Mapping, verdict: dict) -> tuple[list, list] | None:
    try:
        pair = parse_metrics(observation.get("before", "")), parse_metrics(observation.get("after", ""))
        if not pair[0] or not pair[1]:
            raise MetricsError("no samples: " + ("before" if not pair[0] else "after") + " the requests")
    except MetricsError as exc:
        verdict.update(ok=False, reason=f"the client proxy's metrics could not be read ({exc}); run "
                                        "`linkerd diagnostics proxy-metrics` on the client pod to see why")
        return None
    return pair


def _observe(observation: Mapping, check: str, expected: str):
    """The verdict of one check so far, the probe's lines, and ``delta(metric, where)`` (the growth of
    a counter of the fault Service between the two readings), None when the metrics are unreadable."""
    service = observation.get("service", "?")
    probes = parse_probe(observation.get("output", ""))
    verdict = {"policy": observation.get("policy", "?"), "check": check, "target": f"svc/{service}",
               "client": "meshed", "expected": expected}
    pair = _metrics_pair(observation, verdict)
    if pair is None:
        verdict["observed"] = {"requests": len(probes)}
        return verdict, probes, None
    scope = {"parent_name": service, "parent_namespace": observation.get("namespace", "?")}

    def delta(name: str, where=None) -> float:
        return total(pair[1], name, scope, where) - total(pair[0], name, scope, where)

    return verdict, probes, delta


def _no_result_line(observation: Mapping) -> str:
    return f"the probe printed no result line: {shorten(observation.get('output', ''), 200)!r}"


def judge_retries(observation: Mapping) -> dict:
    """Whether the retry policy retried requests the fault server failed.

    observation: ``{policy, service, namespace, fail_status, retry_limit, output, before, after}``:
    output is what the probe printed (one line per request), before/after the client proxy's metrics.
    """
    limit = int(observation.get("retry_limit") or 0)
    status = observation.get("fail_status")
    expected = f"at least one retry per request answered {status} ({limit} when every attempt fails)"
    verdict, probes, delta = _observe(observation, "retries", expected)
    if delta is None:
        return verdict
    retries, exceeded = delta(RETRIES), delta(RETRY_LIMIT_EXCEEDED)
    statuses = [p["status"] for p in probes]
    verdict["observed"] = {"requests": len(probes), "statuses": statuses, "retries": retries,
                           "limit_exceeded": exceeded}
    if not probes:
        return dict(verdict, ok=False, reason=_no_result_line(observation))
    if any(s != status for s in statuses):
        return dict(verdict, ok=False, reason=f"the fault server was to answer {status} to every request, the client "
                                              f"saw {statuses}: the fault was not injected, so retries are unproven")
    if retries < len(probes):
        return dict(verdict, ok=False, reason=(
            f"{retries:g} retries counted in {RETRIES} for {len(probes)} requests answered {status}: the retry policy "
            f"({', '.join(f'{k}={v}' for k, v in sorted((observation.get('annotations') or {}).items())) or 'none'}) "
            "is not in force for this Service (a ServiceProfile disables it; a bad annotation is ignored)"))
    return dict(verdict, ok=True, reason=f"{retries:g} retries for {len(probes)} failing requests "
                                         f"(limit {limit}, {exceeded:g} exhausted it)")


def judge_timeout(observation: Mapping) -> dict:
    """Whether a request the slow fault server never answers was cut at the request timeout.

    observation: ``{policy, service, namespace, timeout_s, first_cut_s, output, before, after}``.
    The client's proxy answers a policy timeout with 504; it must come no later than the timeout plus
    SLACK_S and no sooner than the first cut (the per-attempt timeout, else the request timeout).
    """
    service = observation.get("service", "?")
    timeout_s = float(observation.get("timeout_s") or 0)
    first_cut = float(observation.get("first_cut_s") or timeout_s)
    verdict, probes, delta = _observe(observation, "timeout",
                                      f"504 from the client's proxy after {first_cut:g}-{timeout_s + SLACK_S:g} s")
    if delta is None:
        return verdict
    timeouts = delta(ROUTE_STATUSES, _is_timeout)
    probe = probes[-1] if probes else None
    verdict["observed"] = {"status": probe and probe["status"], "seconds": probe and probe["seconds"],
                           "curl_exit": probe and probe["curl_exit"], "timeouts_counted": timeouts}
    if probe is None:
        return dict(verdict, ok=False, reason=_no_result_line(observation))
    seconds = probe["seconds"]
    if probe["curl_exit"] == 28 or probe["status"] is None:
        return dict(verdict, ok=False, reason=f"no answer within {seconds:g} s (curl exit {probe['curl_exit']}): the "
                                              f"request timeout ({timeout_s:g} s) did not cut the slow request")
    if probe["status"] != 504:
        return dict(verdict, ok=False, reason=(
            f"answered {probe['status']} after {seconds:g} s, not the 504 of a timeout: "
            + ("the slow fault server did not hold the request (its image needs busybox nc), so the timeout is unproven"
               if seconds < first_cut else "not a Linkerd timeout")))
    if seconds > timeout_s + SLACK_S:
        return dict(verdict, ok=False, reason=f"cut after {seconds:g} s, later than the {timeout_s:g} s timeout")
    if seconds + 0.05 < first_cut:
        return dict(verdict, ok=False, reason=f"504 after {seconds:g} s, sooner than the first cut at {first_cut:g} s: "
                                              "the slow server was not what answered")
    if timeouts < 1:
        return dict(verdict, ok=False, reason=f"504 after {seconds:g} s, but {ROUTE_STATUSES} of svc/{service} "
                                              "counts no *TIMEOUT error: not proven to be the policy's timeout")
    return dict(verdict, ok=True, reason=f"cut with 504 after {seconds:g} s (timeout {timeout_s:g} s), "
                                         f"{timeouts:g} timeout(s) counted")
