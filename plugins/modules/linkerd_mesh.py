#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linkerd_mesh
short_description: Check how much of a namespace is meshed by Linkerd, and its traffic figures
version_added: 0.1.0
description:
  - The mesh share. Of the given O(pods) (as C(kubernetes.core.k8s_info) returns them), those running and not
    terminating count; a pod is meshed when it has a C(linkerd-proxy) container or, with native sidecars (the
    default since Linkerd 2.20), a C(linkerd-proxy) init container. Fails when the share is under
    O(min_meshed_ratio), or fewer than O(min_running_pods) pods run.
  - The Deployments that should be meshed but are not. Of the given O(deployments), those whose new pods the injector
    would mesh (C(linkerd.io/inject) on the pod template, else on the namespace, see O(namespace_annotations)) and
    that still have a running pod without a proxy (pods created before the injector was ready come up unmeshed,
    because its webhook ignores failures). They are returned in RV(unmeshed_deployments) for a restart.
  - The traffic figures (O(traffic=true)). Runs C(linkerd viz stat <resource> -n <namespace> -o json) and checks
    each row that saw requests against O(min_success_rate) (a 0..1 ratio, as the CLI prints it), O(max_p50_ms) and
    O(max_p99_ms). The CLI prints null figures when the window saw no request; with O(require_traffic=true) that is
    a failure; so is a figure that is NaN, infinite or negative. With O(from_resource), only the requests that
    resource sent count. While a figure fails, the command is run again until O(wait_timeout) seconds have passed
    (viz's Prometheus scrapes every few seconds).
  - Pods and Deployments whose fields have a type the API server never returns are refused with a message
    naming the field.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY, mcpmesh.platform._kubernetes,
                                 mcpmesh.platform._linkerd_viz]
options:
  namespace: {description: The namespace checked., type: str, required: true}
  pods:
    description: The namespace's Pod objects. When not given, the mesh share is not checked.
    type: list
    elements: dict
  min_meshed_ratio:
    description: The least share (0..1) of running pods that must carry a proxy.
    type: float
    default: 1.0
  min_running_pods:
    description: The least number of running pods; fewer is a failure (there is nothing meshed to speak of).
    type: int
    default: 1
  deployments:
    description: The namespace's Deployment objects, to find those to restart (RV(unmeshed_deployments)).
    type: list
    elements: dict
    default: []
  namespace_annotations:
    description: The namespace's annotations (where C(linkerd.io/inject) is usually set).
    type: dict
    default: {}
  traffic: {description: Check the traffic figures of C(linkerd viz stat)., type: bool, default: false}
  resource:
    description: The resource type C(linkerd viz stat) reports on (V(deployment), V(pod), V(namespace), V(deploy/NAME), ...).
    type: str
    default: deployment
  from_resource:
    description:
      - Count only the requests sent by this resource (C(--from), for example V(deploy/hostgroup-default)), so the
        kubelet's probes and other clients do not count in the figures.
    type: str
  from_namespace:
    description: The namespace of O(from_resource) (C(--from-namespace)); by default O(namespace).
    type: str
  time_window: {description: The window of the figures (C(-t)); the CLI's minimum is 15s., type: str, default: 1m}
  min_success_rate: {description: The least success rate (0..1) of each resource that saw requests., type: float}
  max_p50_ms: {description: The greatest p50 latency in milliseconds., type: float}
  max_p99_ms: {description: The greatest p99 latency in milliseconds., type: float}
  require_traffic: {description: Fail when no resource saw a request in the window., type: bool, default: true}
  wait_timeout:
    description: Seconds to keep reading the traffic figures while they fail. V(0) reads them once.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Read the pods of the namespace.
  kubernetes.core.k8s_info:
    kind: Pod
    namespace: petstore
  register: pods

- name: Check every running pod is meshed and the traffic meets the service levels.
  mcpmesh.platform.linkerd_mesh:
    namespace: petstore
    pods: "{{ pods.resources }}"
    min_meshed_ratio: 1.0
    traffic: true
    min_success_rate: 0.99
    max_p50_ms: 100
    max_p99_ms: 1000
"""

RETURN = r"""
share: {description: The mesh share of the running pods; RV(share.ratio) is V(null) when no pod runs., returned: when O(pods) is given, type: dict,
  contains: {
    running: {description: "Running pods, not terminating.", type: int},
    meshed: {description: "Of those, the ones with a C(linkerd-proxy).", type: int},
    ratio: {description: meshed / running., type: float},
    unmeshed: {description: Names of the running pods without a proxy., type: list, elements: str}},
  sample: {running: 2, meshed: 1, ratio: 0.5, unmeshed: [petstore-6d5f7c9b8-x2k4q]}}
unmeshed_deployments:
  description: Deployments the injector would mesh that still have a running pod without a proxy.
  returned: always
  type: list
  elements: dict
  sample: [{name: petstore, pods: [petstore-6d5f7c9b8-x2k4q]}]
stats:
  description: The rows of C(linkerd viz stat -o json) last read (C(success) is a 0..1 ratio; figures are null without traffic).
  returned: when O(traffic=true)
  type: list
  elements: dict
  sample:
    - {namespace: petstore, kind: deployment, name: petstore, success: 1.0, rps: 2.35,
       latency_ms_p50: 3, latency_ms_p95: 8, latency_ms_p99: 12}
problems: {description: "Every failed check, one line each.", returned: always, type: list, elements: str}
success: {description: Whether every check passed., returned: always, type: bool}
cmd: {description: The last C(linkerd viz stat) command., returned: when O(traffic=true), type: list, elements: str}
"""

import math

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _deadline, _linkerd, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import Cli, check_seconds, finish, new_module, option_args, options_of, viz_spec

STAT_TIMEOUT = 60  # one `linkerd viz stat` run


def stat_args(cli: Cli, params: dict) -> list[str]:
    args = [*cli.k8s_args("linkerd"), "viz", "stat", params["resource"], "-n", params["namespace"],
            "-t", params["time_window"]]
    # from_namespace comes only with from_resource (required_by).
    return args + option_args(params, {"from_resource": "--from", "from_namespace": "--from-namespace"}) + ["-o", "json"]


def read_traffic(module: AnsibleModule, cli: Cli, params: dict) -> dict:
    """Read the figures until they pass or the deadline comes. Returns rows, problems, the last run."""
    args = stat_args(cli, params)

    def attempt() -> dict:
        res = cli.run(args, timeout=STAT_TIMEOUT, check_rc=False)
        if res.rc != 0:
            return {"rows": [], "run": res,
                    "problems": [f"`linkerd viz stat` failed (rc {res.rc}): "
                                 f"{_text.clean((res.stderr or res.stdout).strip(), 500, keep_newlines=False)}"]}
        try:
            rows = _linkerd.parse_stat(res.stdout)
        except _linkerd.ParseError as exc:
            cli.fail(f"`linkerd viz stat -o json` printed something that is not its JSON rows ({exc}). "
                     "Check that linkerd_path is the linkerd CLI.", res, changed=False)
        return {"rows": rows, "run": res,
                "problems": _linkerd.stat_problems(rows, params["min_success_rate"], params["max_p50_ms"],
                                                   params["max_p99_ms"], params["require_traffic"])}

    last, _attempts = _deadline.poll(attempt, max(params["wait_timeout"], 0), max(params["poll_interval"], 1),
                                     done=lambda r: not r["problems"])
    return last


def check_numbers(module: AnsibleModule, params: dict) -> None:
    for name in ("min_meshed_ratio", "min_success_rate"):
        if params[name] is not None and not 0.0 <= params[name] <= 1.0:
            module.fail_json(msg=f"{name} is a ratio between 0 and 1 (0.99 for 99 %), not {params[name]}.")
    for name in ("max_p50_ms", "max_p99_ms"):
        if params[name] is not None and not (math.isfinite(params[name]) and params[name] >= 0):
            module.fail_json(msg=f"{name} is a number of milliseconds, 0 or more, not {params[name]}.")
    check_seconds(module, "wait_timeout", "poll_interval")


def main() -> None:
    module = new_module(AnsibleModule, dict(
        namespace=dict(type="str", required=True),
        pods=dict(type="list", elements="dict"),
        min_meshed_ratio=dict(type="float", default=1.0),
        min_running_pods=dict(type="int", default=1),
        deployments=dict(type="list", elements="dict", default=[]),
        namespace_annotations=dict(type="dict", default={}),
        traffic=dict(type="bool", default=False),
        resource=dict(type="str", default="deployment"),
        from_resource=dict(type="str"),
        from_namespace=dict(type="str"),
        time_window=dict(type="str", default="1m"),
        **options_of("float", "min_success_rate", "max_p50_ms", "max_p99_ms"),
        require_traffic=dict(type="bool", default=True),
        **viz_spec(60),
    ), required_by=dict(from_namespace="from_resource"))
    params = module.params
    ns = params["namespace"]
    check_numbers(module, params)
    wrong = _linkerd.pod_problems(params["pods"]) + _linkerd.pod_problems(params["deployments"])
    if wrong:
        module.fail_json(msg="pods and deployments must be the objects kubernetes.core.k8s_info returns (its "
                             f"resources list); these are not: {_text.names(wrong, sep='; ')}.")

    result: dict = {"changed": False, "problems": []}
    if params["pods"] is not None:
        share = _linkerd.mesh_share(params["pods"])
        result["share"] = share
        if share["running"] < params["min_running_pods"]:
            result["problems"].append(
                f"{share['running']} running pod(s) in namespace {ns}, expected at least {params['min_running_pods']}")
        elif share["ratio"] is not None and share["ratio"] < params["min_meshed_ratio"]:
            result["problems"].append(
                f"{share['meshed']}/{share['running']} running pods in namespace {ns} carry a linkerd-proxy "
                f"({share['ratio']:.0%}, expected at least {params['min_meshed_ratio']:.0%}); without one: "
                f"{_text.names(share['unmeshed'])}. Annotate the namespace (linkerd.io/inject: enabled) and restart "
                "them (the linkerd role's restart_unmeshed), and check the injector with `linkerd check`.")
    result["unmeshed_deployments"] = _linkerd.unmeshed_deployments(
        params["namespace_annotations"], params["deployments"], params["pods"] or [])

    if params["traffic"]:
        cli = Cli(module, "linkerd", "linkerd_path", missing="The linkerd CLI is not on PATH (needed for `linkerd viz "
                  "stat`). Install it, or set linkerd_path.")
        traffic = read_traffic(module, cli, params)
        run = traffic["run"]
        result["stats"] = traffic["rows"]
        result["cmd"] = run.cmd
        result["problems"] += [f"traffic in {ns}: {p}" for p in traffic["problems"]]
        if traffic["problems"]:
            result.update(rc=run.rc, stdout=_text.clean(run.stdout), stderr=_text.clean(run.stderr))

    result["success"] = not result["problems"]
    finish(module, result, result["problems"], lambda: _text.clean(_text.names(result["problems"], sep="; "), 4000))


if __name__ == "__main__":
    main()
