#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linkerd_edges
short_description: Prove that workloads talk over mTLS, from C(linkerd viz edges)
version_added: 0.1.0
description:
  - Runs C(linkerd viz edges <resource> -n <namespace> -o json) (the seed's "View mTLS connections") and checks
    that every edge in O(expected) is there and, with O(require_identity=true), is mTLS; that is, it has a client
    and a server identity and no reason for plain text.
  - An edge is a source workload whose Linkerd proxy holds open TCP connections to a destination workload, as viz's
    Prometheus last scraped them. So the source must be meshed and traffic must have flowed recently. Run the
    traffic first; while an edge is missing or not mTLS, the command is run again until O(wait_timeout) seconds
    have passed.
  - The edges listed are those whose source or destination is in O(namespace).
  - Output that is not the CLI's JSON (the table format, an error page, binary) fails at once, whatever
    O(fail_on_problems) says.
  - The module only reads; it changes nothing.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY, mcpmesh.platform._kubernetes,
                                 mcpmesh.platform._linkerd_viz]
options:
  namespace: {description: The namespace whose edges are listed (C(-n))., type: str, required: true}
  resource:
    description:
      - The resource type the edges are between (V(deployment), V(statefulset), V(daemonset), V(pod), ...).
      - A type, not a resource. C(linkerd viz edges) refuses a name such as V(deploy/petstore); name the resources
        in O(expected).
    type: str
    default: deployment
  expected:
    description:
      - The edges that must be there. When empty, every edge listed must be mTLS (with O(require_identity)), and
        there must be at least one.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: The source resource's name; shell-style patterns are allowed (V(hostgroup-*)).
        type: str
        required: true
      dst: {description: The destination resource's name; shell-style patterns are allowed., type: str, required: true}
      src_namespace: {description: The source's namespace. Defaults to O(namespace)., type: str}
      dst_namespace: {description: The destination's namespace. Defaults to O(namespace)., type: str}
      client_id:
        description:
          - The client identity the edge must show, as the CLI shortens it, C(<service account>.<namespace>)
            (V(default.cosmonic-system)); patterns allowed. Any identity when not set.
        type: str
      server_id: {description: "The server identity the edge must show, like O(expected[].client_id).", type: str}
  require_identity:
    description: An expected edge must be mTLS, with both identities and no no-TLS reason.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to keep reading the edges while a check fails. V(0) (or less) reads them once.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Prove the MCP host reaches the Petstore backend over mTLS.
  mcpmesh.platform.linkerd_edges:
    namespace: petstore
    expected:
      - src: hostgroup-*
        src_namespace: cosmonic-system
        dst: petstore
    wait_timeout: 120
  register: petstore_edges

- name: Every edge in cosmonic-system is mTLS.
  mcpmesh.platform.linkerd_edges:
    namespace: cosmonic-system
    context: kind-mcpmesh
"""

RETURN = r"""
edges: {description: "The edges last read, with RV(edges[].secured) added.", returned: always, type: list, elements: dict,
  contains: {
    src: {description: The source resource., type: str},
    src_namespace: {description: Its namespace., type: str},
    dst: {description: The destination resource., type: str},
    dst_namespace: {description: Its namespace., type: str},
    client_id: {description: "The client proxy's identity, C(<service account>.<namespace>); empty without one.", type: str},
    server_id: {description: The server proxy's identity; empty when the connection is not mTLS., type: str},
    no_tls_reason: {description: Why the connection is not mTLS (for example V(Not Provided By Remote)); empty when it is., type: str},
    secured: {description: Both identities are there and there is no no-TLS reason., type: bool}},
  sample: [
    {src: hostgroup-default, src_namespace: cosmonic-system, dst: petstore, dst_namespace: petstore, client_id: default.cosmonic-system,
      server_id: petstore.petstore, no_tls_reason: "", secured: true}]}
missing:
  description: The expected edges that were not there, namespaces filled in.
  returned: always
  type: list
  elements: dict
  sample: [{src: "hostgroup-*", src_namespace: cosmonic-system, dst: petstore, dst_namespace: petstore,
            client_id: null, server_id: null}]
problems: {description: "Every failed check, one line each.", returned: always, type: list, elements: str}
success: {description: Whether every check passed., returned: always, type: bool}
attempts: {description: How many times the edges were read., returned: always, type: int}
cmd: {description: The last command run., returned: always, type: list, elements: str}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _edges
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import Cli, finish_viz, new_module, options_of, poll_viz, viz_spec
from ansible_collections.mcpmesh.platform.plugins.module_utils._deadline import Deadline

MIN_COMMAND_S = 30.0  # a reading may take this long even at the deadline (the CLI runs its health checks first)


def main() -> None:
    expected_spec = dict(
        **options_of("str", "src", "dst", required=True),
        **options_of("str", "src_namespace", "dst_namespace", "client_id", "server_id"),
    )
    module = new_module(AnsibleModule, dict(
        namespace=dict(type="str", required=True),
        resource=dict(type="str", default="deployment"),
        expected=dict(type="list", elements="dict", default=[], options=expected_spec),
        require_identity=dict(type="bool", default=True),
        **viz_spec(60),
    ), seconds=("wait_timeout", "poll_interval"))
    params = module.params
    try:
        _edges.check_resource(params["resource"])
        expected = _edges.normalize_expected(params["expected"], params["namespace"])
    except ValueError as exc:
        module.fail_json(msg=f"{exc}.")
    deadline = Deadline(max(params["wait_timeout"], 0))
    linkerd = Cli(module, "linkerd", "linkerd_path", why="run `linkerd viz edges`")
    args = linkerd.k8s_args("linkerd") + ["viz", "edges", params["resource"], "-n", params["namespace"], "-o", "json"]

    def attempt() -> dict:
        run = linkerd.run(args, timeout=max(MIN_COMMAND_S, deadline.remaining()), check_rc=False)
        reading = {"run": run, "edges": [], "missing": list(expected), "problems": [], "garbage": None}
        if run.timed_out:
            reading["problems"] = [f"{linkerd.describe(run)} did not finish and was stopped"]
        elif run.rc != 0:
            reading["problems"] = [f"{linkerd.describe(run)} failed (rc {run.rc}): {linkerd.error_line(run)}; "
                                   "check that linkerd-viz is installed and ready (`linkerd viz check`)"]
        else:
            try:
                reading["edges"] = _edges.parse_edges(run.stdout)
            except _edges.ParseError as exc:
                reading["garbage"] = str(exc)
                return reading
            missing, problems = _edges.judge(reading["edges"], expected, params["require_identity"])
            reading.update(missing=missing, problems=problems)
        return reading

    reading, attempts = poll_viz(attempt, deadline, params["poll_interval"])
    problems = reading["problems"]
    result = dict(changed=False, edges=reading["edges"], missing=reading["missing"], problems=problems,
                  attempts=attempts, cmd=list(reading["run"].cmd))
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    finish_viz(module, linkerd, reading, result, "its JSON edges", "",
               lambda: f"mTLS edges in {params['namespace']} after {attempts} reading(s): {'; '.join(problems[:5])}{more}")


if __name__ == "__main__":
    main()
