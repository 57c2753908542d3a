#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: traffic_split
short_description: Judge a weighted HTTPRoute split from Linkerd's per-backend figures
version_added: 0.1.0
description:
  - Runs C(linkerd viz stat-outbound <resource> -n <namespace> -o json -t <time_window>) for the client workload
    and judges the split its proxy made on one route of one parent Service. Each backend's share of the route's
    requests must be within O(tolerance) of its weight over the sum of the weights.
  - Linkerd splits on the client side, so O(resource) is the caller (here the wasmCloud host that runs the MCP
    component), not the backends. The figures come from the client proxy's
    C(outbound_http_route_backend_response_statuses_total), through linkerd-viz's Prometheus.
  - Send the load first. While fewer than O(min_requests) requests were seen, or the split is outside the
    tolerance, the command is run again until O(wait_timeout) seconds have passed (the figures settle within
    the time window).
  - Output that is not the CLI's JSON fails at once, whatever O(fail_on_problems) says.
  - The module only reads; it changes nothing.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY, mcpmesh.platform._kubernetes,
                                 mcpmesh.platform._linkerd_viz]
options:
  namespace: {description: The client workload's namespace (C(-n))., type: str, required: true}
  resource:
    description: The client workload, C(<type>/<name>) (V(deploy/hostgroup-default)).
    type: str
    required: true
  service: {description: The route's parent Service (the C(service) column)., type: str, required: true}
  route: {description: The HTTPRoute's name., type: str, required: true}
  backends: {description: "The route's backends and their weights, as the route names them.", type: list, elements: dict, required: true,
    suboptions: {
      name: {description: The backend Service., type: str, required: true},
      weight: {description: "Its weight (the Gateway API's, 0 to 1000000; the share is the weight over the sum).", type: int, default: 1}}}
  tolerance:
    description: How far a backend's observed share may be from its expected share, as a share (V(0.1) is ten points).
    type: float
    default: 0.1
  min_requests:
    description: Requests the backends must have seen in the window before the split is judged.
    type: int
    default: 20
  min_success_rate:
    description: Each backend's success rate (no 5xx, no error) must be at least this (0 to 1); V(0) does not check.
    type: float
    default: 0.0
  time_window:
    description: The CLI's C(--time-window), a Prometheus duration (V(30s), V(1m), V(5m)).
    type: str
    default: 1m
  prometheus_url:
    description: The CLI's C(--prometheusURL), when an external Prometheus holds the figures.
    type: str
  wait_timeout:
    description: Seconds to keep reading while the split cannot be judged or is off. V(0) (or less) reads once.
    type: int
    default: 120
  # poll_interval, linkerd_path and fail_on_problems come from the _linkerd_viz fragment; these fields are this module's.
  poll_interval: {default: 10}
  fail_on_problems: {description: Fail when the split does not hold. With V(false) the findings are only returned (RV(problems)).}
"""

EXAMPLES = r"""
- name: Check that the canary gets its 10 percent.
  mcpmesh.platform.traffic_split:
    namespace: cosmonic-system
    resource: deploy/hostgroup-default
    service: petstore
    route: petstore-split
    backends:
      - name: petstore
        weight: 90
      - name: petstore-canary
        weight: 10
    tolerance: 0.1
    min_requests: 100
  register: petstore_split
"""

RETURN = r"""
split: {description: "Per backend named in O(backends), what was seen against what was expected.", returned: always, type: list, elements: dict,
  contains: {
    name: {description: The backend Service., type: str},
    weight: {description: Its weight., type: int},
    expected_share: {description: Its weight over the sum of the weights., type: float},
    share: {description: Its share of the route's requests in the window., type: float},
    rps: {description: Its requests per second in the window., type: float},
    requests: {description: Its requests in the window (rps times the window)., type: int},
    success_rate: {description: The share of its requests answered without a 5xx or an error; null when unknown., type: float},
    within_tolerance: {description: Whether the share is within O(tolerance) of the expected share., type: bool}},
  sample: [
    {name: petstore, weight: 90, expected_share: 0.9, share: 0.88, rps: 2.2, requests: 132, success_rate: 1.0, within_tolerance: true},
    {name: petstore-canary, weight: 10, expected_share: 0.1, share: 0.12, rps: 0.3, requests: 18, success_rate: 1.0, within_tolerance: true}]}
default_rps:
  description: Requests per second to the parent Service still on Linkerd's default route (the route not in use).
  returned: always
  type: float
rows:
  description: The rows of the CLI's JSON for the parent Service, as read (cleaned and bounded).
  returned: always
  type: list
  elements: dict
problems: {description: "Every failed check, one sentence each.", returned: always, type: list, elements: str}
success: {description: Whether the split holds., returned: always, type: bool}
attempts: {description: How many times the figures were read., returned: always, type: int}
cmd: {description: The last command run., returned: always, type: list, elements: str}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _traffic_split
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import Cli, finish_viz, new_module, options_of, poll_viz, viz_spec
from ansible_collections.mcpmesh.platform.plugins.module_utils._deadline import Deadline
from ansible_collections.mcpmesh.platform.plugins.module_utils._text import quote

MIN_COMMAND_S = 30.0  # a reading may take this long even at the deadline (the CLI checks viz first)
_RESOURCE = re.compile(r"^[a-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def main() -> None:
    module = new_module(AnsibleModule, dict(
        **options_of("str", "namespace", "resource", "service", "route", required=True),
        backends=dict(type="list", elements="dict", required=True,
                      options=dict(name=dict(type="str", required=True), weight=dict(type="int", default=1))),
        tolerance=dict(type="float", default=0.1),
        min_requests=dict(type="int", default=20),
        min_success_rate=dict(type="float", default=0.0),
        time_window=dict(type="str", default="1m"),
        prometheus_url=dict(type="str"),
        **viz_spec(120, 10),
    ), seconds=("wait_timeout", "poll_interval"))
    params = module.params
    try:
        backends = _traffic_split.normalize_backends(params["backends"])
    except ValueError as exc:
        module.fail_json(msg=f"{exc}.")
    if not 0 <= params["tolerance"] < 1:
        module.fail_json(msg=f"tolerance is {quote(params['tolerance'])}; give a share from 0 to below 1 (0.1 is ten points).")
    if not 0 <= params["min_success_rate"] <= 1:
        module.fail_json(msg=f"min_success_rate is {quote(params['min_success_rate'])}; give a share from 0 to 1.")
    if params["min_requests"] < 1:
        module.fail_json(msg="min_requests must be 1 or more: a split is judged on requests seen.")
    window = _traffic_split.window_seconds(params["time_window"])
    if window is None:
        module.fail_json(msg=f"time_window is {quote(params['time_window'])}; give a duration of whole seconds, minutes or hours (30s, 1m, 1m30s).")
    if not _RESOURCE.match(params["resource"]):
        module.fail_json(msg=f"resource is {quote(params['resource'])}; give the client workload as <type>/<name> "
                             "(deploy/hostgroup-default).")
    deadline = Deadline(max(params["wait_timeout"], 0))
    linkerd = Cli(module, "linkerd", "linkerd_path", why="run `linkerd viz stat-outbound`")
    args = linkerd.k8s_args("linkerd") + ["viz", "stat-outbound", params["resource"], "-n", params["namespace"],
                                          "-o", "json", "-t", params["time_window"]]
    if params["prometheus_url"]:
        args += ["--prometheusURL", params["prometheus_url"]]

    def attempt() -> dict:
        run = linkerd.run(args, timeout=max(MIN_COMMAND_S, deadline.remaining()), check_rc=False)
        reading = {"run": run, "rows": [], "split": [], "default_rps": 0.0, "problems": [], "garbage": None}
        failed = linkerd.problem(run, "check that linkerd-viz is installed and ready (`linkerd viz check`)")
        if failed:
            reading["problems"] = [failed]
            return reading
        try:
            rows = _traffic_split.parse_rows(run.stdout)
        except _traffic_split.ParseError as exc:
            reading["garbage"] = str(exc)
            return reading
        seen = _traffic_split.observed(rows, params["service"], params["route"], window)
        split, problems = _traffic_split.judge(seen, backends, params["tolerance"], params["min_requests"],
                                               params["min_success_rate"])
        reading.update(rows=[r for r in rows if r["service"] == params["service"]][:50], split=split,
                       default_rps=round(seen["default_rps"], 6), problems=problems)
        return reading

    reading, attempts = poll_viz(attempt, deadline, params["poll_interval"])
    result = dict(changed=False, split=reading["split"], default_rps=reading["default_rps"], rows=reading["rows"],
                  problems=reading["problems"], attempts=attempts, cmd=list(reading["run"].cmd))
    finish_viz(module, linkerd, reading, result, "its JSON rows", " (stat-outbound needs edge-25.x or later)",
               lambda: f"The split of route {params['route']} on Service {params['service']} seen from "
                       f"{params['resource']} ({params['namespace']}) after {attempts} reading(s): "
                       f"{'; '.join(result['problems'][:5])}. Send more load, or look at "
                       f"`linkerd viz stat-outbound {params['resource']} -n {params['namespace']}`.")


if __name__ == "__main__":
    main()
