#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: mesh_policy_check
short_description: Plan, check and judge the Linkerd zero-trust and traffic policy of a service graph
version_added: 0.1.0
description:
  - The logic of the C(mcpmesh.platform.mesh_policy) role, kept out of Jinja so it is tested directly. It reads
    only its options and files; it touches no cluster and never changes anything.
  - With O(services), checks the service graph (who may call what, on which port) and returns the Linkerd objects
    that express it (RV(plan)).
  - With O(services) and O(pods), checks that every C(Server) selects a running, meshed pod that has the port,
    and returns one probe target per C(Server) (RV(targets)).
  - With O(restart), returns the Deployments whose meshed pods were admitted under another default inbound policy.
  - With O(manifests), validates the rendered policy resources against the collection's schemas for them.
  - With O(denials), O(rate_limits) and O(client_policies), judges what the verification observed (refused probes,
    HTTP 429 proportions of a load, the client policy Linkerd serves for a Service).
  - With O(discover), reads the pod selector, ServiceAccounts and HTTP port of workloads whose charts are not
    published from their live Deployments (RV(discovered)).
  - With O(faults), returns the fault-injection objects that prove a backend's retries and timeouts (RV(faults));
    with O(resilience_checks), judges the client proxy's metrics and answers under those faults.
requirements:
  - jsonschema (for O(manifests))
  - PyYAML (for O(manifests))
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
options:
  services:
    description:
      - The service graph, one item per protected workload port; see C(docs/policy.md) for every key
        (C(name), C(namespace), C(selector), C(port), C(protocol), C(allow), C(paths), C(probe_paths),
        C(rate_limit), C(resilience), C(backend_service), C(verify)).
    type: list
    elements: dict
  settings:
    description:
      - The graph-wide settings, C(mode) (V(enforce), V(audit) or V(off)), C(distribution) (V(enterprise) or
        V(edge)), C(namespaces) (extra namespaces that get the default inbound policy), C(probe_networks),
        C(viz) (C(enabled), C(namespace), C(prometheus_service_account)), and the default C(rate_limit) and
        C(resilience) settings the services' own override.
    type: dict
    default: {}
  pods:
    description: The pods of the services' namespaces (C(kubernetes.core.k8s_info) resources), for RV(targets).
    type: list
    elements: dict
  restart: {description: Find Deployments whose running meshed pods carry another default inbound policy., type: dict,
    suboptions: {
      deployments: {description: The namespace's Deployments., type: list, elements: dict, required: true},
      pods: {description: The namespace's pods., type: list, elements: dict, required: true},
      expected: {description: The default inbound policy the pods should carry; empty when the annotation was removed., type: str, default: ""}}}
  manifests:
    description: Rendered files of policy resources to validate against the collection's schemas.
    type: list
    elements: path
  denials: {description: Probe results that must show a refusal., type: list, elements: dict,
    suboptions: {
      policy: {description: The Server the probe targets., type: str, required: true},
      client: {description: Which probe client made the request., type: str, choices: [meshed, unmeshed], required: true},
      target: {description: The URL probed., type: str, required: true},
      protocol: {description: The Server's C(proxyProtocol)., type: str, default: unknown},
      output: {description: "What the probe printed, ending with a C(<http_code> rc=<curl exit>) line.", type: str, required: true}}}
  rate_limits: {description: Load results (the C(load) result of M(mcpmesh.platform.mcp_verify)) to judge., type: list, elements: dict,
    suboptions: {
      policy: {description: The rate-limited Server., type: str, required: true},
      limit_rps: {description: The requests per second the load's client identity may send., type: int, required: true},
      replicas: {description: How many pods serve the Server (each proxy limits on its own)., type: int, default: 1},
      expect: {description: V(over) (a burst that must see HTTP 429s in proportion) or V(under) (a load that must see none).,
        type: str,
        choices: [over, under],
        required: true},
      load: {description: "The load result, with C(status_counts) and C(wall_s) (its duration).", type: dict, required: true}}}
  client_policies: {
    description: "C(linkerd diagnostics policy -o json) outputs for backend Services, to prove their annotations are served.",
    type: list, elements: dict,
    suboptions: {
      policy: {description: The service graph item the Service belongs to., type: str, required: true},
      service: {description: The Service's name., type: str, required: true},
      output: {description: The CLI's JSON output., type: str, required: true},
      settings: {description: The resilience settings of the plan (C(settings) of an item of RV(plan.resilience))., type: dict, required: true}}}
  discover:
    description: Find workloads among Deployments by ordered label selectors (the first that matches wins).
    type: dict
    suboptions:
      deployments:
        description: The Deployments to search (C(kubernetes.core.k8s_info) resources).
        type: list
        elements: dict
        required: true
      workloads:
        description:
          - One item per workload, C(name), C(selectors) (C(key=value) or C(key)), optionally C(port) (kept as
            given) and C(variable) (what the user sets when the workload cannot be found, for the message).
        type: list
        elements: dict
        required: true
  faults:
    description:
      - Build the fault-injection objects for one backend's retries and timeouts, a meshed client pod, a server that
        answers every request with an error the retry policy covers, a server that never answers, and a Service for
        each carrying the backend's timeout and retry annotations (not its failure accrual).
    type: dict
    suboptions:
      resilience:
        description: An item of RV(plan.resilience) (its C(service), C(settings) and C(annotations)).
        type: dict
        required: true
      namespace: {description: The short-lived namespace of the fault objects., type: str, required: true}
      client_image:
        description: The client pod's image, with C(curl), C(sh) and C(sleep).
        type: str
        required: true
      fail_image:
        description: The failing server's image, C(hashicorp/http-echo) 1.0.0 or later (C(-status-code)).
        type: str
        required: true
      slow_image: {description: "The slow server's image, with C(sh) and busybox C(nc).", type: str, required: true}
      deadline: {description: Seconds the fault pods may live (C(activeDeadlineSeconds))., type: int, default: 900}
  resilience_checks: {
    description: "What the fault probes saw, with the client proxy's metrics before and after, to judge.",
    type: list, elements: dict,
    suboptions: {
      policy: {description: The service graph item whose resilience is proven., type: str, required: true},
      check: {description: V(retries) (the failing server) or V(timeout) (the slow server)., type: str, choices: [retries, timeout], required: true},
      service: {description: The fault Service called., type: str, required: true},
      namespace: {description: Its namespace., type: str, required: true},
      output: {description: "What the probe printed, one C(<http_code> <seconds> rc=<curl exit>) line per request.", type: str, required: true},
      before: {description: C(linkerd diagnostics proxy-metrics) of the client pod before the requests., type: str, required: true},
      after: {description: The same after the requests., type: str, required: true},
      fail_status: {description: The status the failing server answers (V(retries))., type: int},
      retry_limit: {description: The retry limit in force (V(retries))., type: int, default: 0},
      annotations: {description: "The Service's timeout and retry annotations, for the message.", type: dict, default: {}},
      timeout_s: {description: The request timeout in seconds (V(timeout))., type: float, default: 0.0},
      first_cut_s: {description: "The first cut in seconds, the per-attempt timeout when shorter (V(timeout)).", type: float, default: 0.0}}}
  fail_on_problems:
    description: Fail when the graph has a problem, a Server covers nothing, a manifest is invalid or a verdict fails.
    type: bool
    default: true
seealso:
  - module: mcpmesh.platform.mcp_verify
"""

EXAMPLES = r"""
- name: Plan the policy of a service graph.
  mcpmesh.platform.mesh_policy_check:
    services:
      - name: petstore
        namespace: petstore
        selector: {app: petstore}
        port: http
        protocol: HTTP/1
        allow:
          - {service_account: hostgroup, namespace: cosmonic-system}
        backend_service: petstore
        resilience: {}
    settings:
      mode: enforce
      distribution: enterprise
  register: plan

- name: Judge the retries the client proxy counted for a failing fault Service.
  mcpmesh.platform.mesh_policy_check:
    resilience_checks:
      - policy: petstore
        check: retries
        service: policy-fault-fail
        namespace: mesh-policy-faults
        fail_status: 503
        retry_limit: 2
        output: "503 0.021 rc=0"
        before: ""
        after: 'outbound_http_route_retry_requests_total{parent_name="policy-fault-fail",parent_namespace="mesh-policy-faults"} 2'

- name: Judge what a probe pod saw.
  mcpmesh.platform.mesh_policy_check:
    denials:
      - policy: petstore
        client: unmeshed
        target: http://10.244.0.12:8080/api/v3/store/inventory
        protocol: HTTP/1
        output: "403 rc=0"
"""

RETURN = r"""
plan: {description: "The objects for O(services), when given.", returned: when O(services) is given and valid, type: dict,
  contains: {
    policy: {description: "The policy custom resources, in apply order.", type: list, elements: dict},
    namespaces: {description: Namespace patches with the default inbound policy annotation., type: list, elements: dict},
    services: {description: "Service patches with the timeout, retry and failure-accrual annotations.", type: list, elements: dict},
    default_policy: {description: The default inbound policy (and Server C(accessPolicy)) of the mode., type: str},
    namespace_names: {description: The namespaces that get the default inbound policy., type: list, elements: str},
    servers: {description: "One summary per Server (name, namespace, port, selector, protocol, verify_path, verify).", type: list, elements: dict},
    rate_limits: {description: "One summary per rate-limited Server, with the per-client C(limit_rps).", type: list, elements: dict},
    resilience: {description: "One summary per backend Service, with its C(settings) and C(annotations).", type: list, elements: dict}},
  sample: {default_policy: deny, namespace_names: [petstore]}}
targets:
  description: One probe target per Server that covers a running pod (C(policy), C(namespace), C(pod), C(ip),
    C(port), C(protocol), C(path), C(verify), C(url)).
  returned: when O(pods) is given
  type: list
  elements: dict
  sample: [{policy: petstore, url: "http://10.244.0.12:8080/api/v3/store/inventory", protocol: HTTP/1}]
discovered:
  description: Per workload of O(discover) found, its C(deployments), the pod C(selector) they share, their
    C(service_accounts), the HTTP C(port) (name or number, null when ambiguous) and every TCP C(ports) pair.
  returned: when O(discover) is given
  type: dict
  sample: {hostgroup: {deployments: [hostgroup-default], selector: {app: hostgroup}, service_accounts: [hostgroup],
           port: http, ports: [[http, 8080]]}}
faults:
  description: The fault-injection objects of O(faults) (C(objects)) and what the checks need (C(namespace),
    C(client), C(services) with C(fail) and C(slow), C(fail_status), C(timeout_s), C(first_cut_s), C(retry_limit),
    C(annotations)); C(unprovable) says why nothing can be proven (no timeout or no retries), and C(objects) is
    then empty.
  returned: when O(faults) is given
  type: dict
  sample: {namespace: mesh-policy-faults, client: policy-fault-client, fail_status: 503, timeout_s: 10.0}
restart:
  description: Deployments to restart, each with the pods admitted under another default inbound policy.
  returned: when O(restart) is given
  type: list
  elements: dict
  sample: [{name: petstore, pods: [petstore-5d9c7-abcde]}]
validated: {description: How many objects of O(manifests) were validated., returned: always, type: int, sample: 14}
verdicts:
  description: One verdict per judged observation (C(policy), C(check), C(ok), C(observed), C(expected), C(reason)).
  returned: always
  type: list
  elements: dict
  sample: [{policy: petstore, check: deny, client: unmeshed, ok: true, reason: denied with 403 by the server's proxy}]
problems:
  description: Every problem found, as sentences naming the policy and what was observed.
  returned: always
  type: list
  elements: str
  sample: []
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mcpmesh.platform.plugins.module_utils import (
    _artifacts, _policy, _policy_discovery, _resilience, _schemas_policy,
)
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import finish, new_module, options_of, read_text

try:
    from jsonschema import Draft7Validator

    HAS_JSONSCHEMA, JSONSCHEMA_IMPORT_ERROR = True, None
except ImportError:
    HAS_JSONSCHEMA, JSONSCHEMA_IMPORT_ERROR = False, traceback.format_exc()


def validate_manifests(module: AnsibleModule, paths: list) -> tuple[int, list[str]]:
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=JSONSCHEMA_IMPORT_ERROR)

    def no_core_schema(obj):
        raise LookupError(obj["kind"])

    count, errors = 0, []
    for path in paths:
        text = read_text(module, path, "", "render the policy before checking it")
        try:
            docs = _artifacts.load_documents(text, path)
        except _artifacts.ArtifactError as exc:
            errors.append(_policy.shorten(exc, 500))
            continue
        rows, found = _artifacts.validate_manifest_objects(docs, path, no_core_schema, _schemas_policy.CUSTOM_RESOURCES,
                                                           Draft7Validator)
        count += len(rows)
        errors.extend(found)
    return count, errors


def verdict_option(**options) -> dict:
    """A list option of verdicts: its own suboptions, and the policy every verdict is about."""
    return dict(type="list", elements="dict", options=dict(policy=dict(type="str", required=True), **options))


def main() -> None:
    module = new_module(AnsibleModule, dict(
        services=dict(type="list", elements="dict"),
        settings=dict(type="dict", default={}),
        pods=dict(type="list", elements="dict"),
        restart=dict(type="dict", options=dict(
            deployments=dict(type="list", elements="dict", required=True),
            pods=dict(type="list", elements="dict", required=True),
            expected=dict(type="str", default=""),
        )),
        manifests=dict(type="list", elements="path"),
        denials=verdict_option(client=dict(type="str", required=True, choices=["meshed", "unmeshed"]),
                               target=dict(type="str", required=True), protocol=dict(type="str", default="unknown"),
                               output=dict(type="str", required=True)),
        rate_limits=verdict_option(limit_rps=dict(type="int", required=True), replicas=dict(type="int", default=1),
                                   expect=dict(type="str", required=True, choices=["over", "under"]),
                                   load=dict(type="dict", required=True)),
        client_policies=verdict_option(service=dict(type="str", required=True),
                                       output=dict(type="str", required=True),
                                       settings=dict(type="dict", required=True)),
        discover=dict(type="dict", options=dict(
            deployments=dict(type="list", elements="dict", required=True),
            workloads=dict(type="list", elements="dict", required=True),
        )),
        faults=dict(type="dict", options=dict(
            resilience=dict(type="dict", required=True),
            namespace=dict(type="str", required=True),
            **options_of("str", "client_image", "fail_image", "slow_image", required=True),
            deadline=dict(type="int", default=900),
        )),
        resilience_checks=verdict_option(
            check=dict(type="str", required=True, choices=["retries", "timeout"]),
            service=dict(type="str", required=True), namespace=dict(type="str", required=True),
            output=dict(type="str", required=True), before=dict(type="str", required=True),
            after=dict(type="str", required=True), fail_status=dict(type="int"),
            retry_limit=dict(type="int", default=0), annotations=dict(type="dict", default={}),
            timeout_s=dict(type="float", default=0.0), first_cut_s=dict(type="float", default=0.0)),
        fail_on_problems=dict(type="bool", default=True),
    ), required_by={"pods": "services"})
    params = module.params
    result = dict(changed=False, problems=[], verdicts=[], validated=0)
    problems = result["problems"]

    if params["services"] is not None:
        graph = _policy.graph_problems(params["services"], params["settings"])
        if graph:
            module.fail_json(msg="The service graph cannot be turned into policy; fix these in the variables that "
                                 "feed it (docs/policy.md lists every key): " + "; ".join(graph), **result)
        result["plan"] = plan = _policy.build_plan(params["services"], params["settings"])
        if params["pods"] is not None:
            result["targets"], found = _policy.coverage(plan["servers"], params["pods"])
            problems.extend(found)

    if params["restart"] is not None:
        restart = params["restart"]
        result["restart"] = _policy.stale_deployments(restart["deployments"], restart["pods"],
                                                      restart["expected"] or None)

    if params["manifests"]:
        result["validated"], errors = validate_manifests(module, params["manifests"])
        problems.extend(errors)

    if params["discover"] is not None:
        bad = [w for w in params["discover"]["workloads"] if not isinstance(w.get("name"), str)
               or not isinstance(w.get("selectors"), list)]
        if bad:
            module.fail_json(msg="discover.workloads: every item needs a name and a list of selectors, not "
                                 + _policy.shorten(bad, 200), **result)
        result["discovered"], found = _policy_discovery.discover(params["discover"]["deployments"],
                                                                 params["discover"]["workloads"])
        problems.extend(found)

    if params["faults"] is not None:
        faults = params["faults"]
        unprovable = _resilience.fault_problems(faults["resilience"])
        result["faults"] = {"objects": [], "unprovable": unprovable} if unprovable else dict(
            _resilience.fault_objects(faults["resilience"], faults), unprovable=[])

    verdicts = result["verdicts"]
    verdicts.extend(_policy.judge_denial(d) for d in params["denials"] or [])
    verdicts.extend(_policy.judge_rate_limit(r) for r in params["rate_limits"] or [])
    for item in params["client_policies"] or []:
        verdicts.extend(_policy.judge_client_policy(item))
    judges = {"retries": _resilience.judge_retries, "timeout": _resilience.judge_timeout}
    verdicts.extend(judges[c["check"]](c) for c in params["resilience_checks"] or [])
    problems.extend(_policy.summarize(verdicts))

    shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
    finish(module, result, problems, f"{len(problems)} policy problem(s): {shown}")


if __name__ == "__main__":
    main()
