#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_access
short_description: Check that an existing cluster is reachable, recent enough, and lets this user do what a run needs
version_added: 0.1.0
description:
  - For clusters the collection did not create (C(mcpmesh_cluster_provider=existing)), checks with C(kubectl) that
    the kubeconfig holds the context, that its API server answers (C(kubectl version -o json)) with at least
    O(min_version), and that the user may do each of O(checks), asked as C(SelfSubjectAccessReview) objects
    (C(kubectl create -f - -o json)), which every authenticated user may create.
  - Collects every problem and reports them all in one message, each with what to do.
  - Changes nothing in the cluster (an access review is not stored), so it runs in check mode too.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY, mcpmesh.platform._kubernetes]
options:
  checks: {description: "The permissions to ask for, each one C(SelfSubjectAccessReview).", type: list, elements: dict, default: [],
    suboptions: {
      verb: {description: "The API verb, such as V(create), V(patch), V(list).", type: str, required: true},
      resource: {description: "The resource's plural name, such as V(namespaces) or V(customresourcedefinitions).", type: str, required: true},
      group: {description: The API group; empty for the core group., type: str, default: ""},
      namespace: {description: The namespace; empty asks cluster-wide., type: str, default: ""},
      subresource: {description: "A subresource, such as V(status).", type: str, default: ""}}}
  min_version: {description: "The oldest Kubernetes version accepted, C(MAJOR.MINOR). Unset means any.", type: str}
  timeout:
    description: Seconds each kubectl call may take (C(--request-timeout)); the call is stopped a little later.
    type: int
    default: 30
  kubectl_path: {description: The kubectl binary; by default the one on C(PATH)., type: path}
  fail_on_problems:
    description: Fail when any check fails. With V(false) the rows are only returned.
    type: bool
    default: true
notes:
  - Without O(context), the kubeconfig's current context is checked and named C(current context) in messages.
"""

EXAMPLES = r"""
- name: Check the existing cluster before installing anything on it.
  mcpmesh.platform.cluster_access:
    kubeconfig: ~/.kube/config
    context: prod-east
    min_version: "1.30"
    checks:
      - {verb: create, resource: namespaces}
      - {verb: create, resource: customresourcedefinitions, group: apiextensions.k8s.io}
      - {verb: create, resource: secrets, namespace: linkerd}
  register: access

- name: Validate artifacts against the cluster's own version.
  ansible.builtin.set_fact:
    mcpmesh_kubernetes_version: "{{ access.kubernetes_version }}"
"""

RETURN = r"""
reachable: {description: Whether the API server answered C(kubectl version)., returned: always, type: bool}
server_version:
  description: The API server's C(gitVersion); V(null) when it did not answer.
  returned: always
  type: str
  sample: v1.33.1
kubernetes_version:
  description: C(MAJOR.MINOR) of the API server, what artifacts are validated against; V(null) when it did not answer.
  returned: always
  type: str
  sample: "1.33"
checked: {description: "One row per check, passed or not.", returned: always, type: list, elements: dict,
  contains: {
    name: {description: "What was checked, for example C(create secrets in namespace linkerd).", type: str},
    kind: {description: "V(context), V(cluster) (reachable, version) or V(access) (one permission).", type: str},
    ok: {description: Whether the check passed., type: bool},
    problem: {description: "What is wrong, when RV(checked[].ok) is false.", type: str},
    reason: {description: "For V(access) rows, the reason the authorizer gave (RBAC names the binding that allowed it).", type: str},
    found: {description: "For the V(cluster) row, the API server's version.", type: str},
    hint: {description: What to do about a failed V(context) or V(cluster) row., type: str}},
  sample: [{name: create namespaces cluster-wide, kind: access, ok: true, reason: "RBAC: allowed by ClusterRoleBinding ..."}]}
denied:
  description: The permissions refused (or not answered), by name.
  returned: always
  type: list
  elements: str
  sample: [create customresourcedefinitions.apiextensions.k8s.io cluster-wide]
problems: {description: "The problem lines, in the order reported.", returned: always, type: list, elements: str}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _cli, _cluster_access, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import K8S_ARG_SPEC, Cli

KILL_GRACE_S = 5


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type="list", elements="dict", default=[], options=dict(
                verb=dict(type="str", required=True), resource=dict(type="str", required=True),
                group=dict(type="str", default=""), namespace=dict(type="str", default=""),
                subresource=dict(type="str", default=""))),
            min_version=dict(type="str"),
            timeout=dict(type="int", default=30),
            kubectl_path=dict(type="path"),
            fail_on_problems=dict(type="bool", default=True),
            **K8S_ARG_SPEC,
        ),
        supports_check_mode=True,
    )
    params = module.params
    wrong = _cluster_access.check_problems(params["checks"])
    if params["min_version"] and _cluster_access.parse_min_version(params["min_version"]) is None:
        wrong.append(f"min_version {_text.quote(params['min_version'], 60)} is not MAJOR.MINOR, for example 1.30")
    if not 1 <= params["timeout"] <= 3600:
        wrong.append(f"timeout is {params['timeout']} s; give 1 to 3600 seconds")
    if wrong:
        module.fail_json(msg="cluster_access was given option values it cannot check with: "
                         + _text.names(wrong, sep="; ") + ". Fix the variables that feed them.")

    context, kubeconfig = params["context"], params["kubeconfig"]
    shown = context or "current context"
    result = dict(changed=False, reachable=False, server_version=None, kubernetes_version=None, checked=[],
                  denied=[], problems=[])
    if kubeconfig and not os.path.isfile(kubeconfig):
        rows = [{"name": f"kubeconfig {kubeconfig}", "kind": "context", "ok": False,
                 "problem": f"the kubeconfig {_text.quote(kubeconfig, 200)} does not exist",
                 "hint": "Set mcpmesh_kubeconfig to the kubeconfig file of the cluster."}]
        finish(module, result, rows, shown)

    kubectl = Cli(module, "kubectl", "kubectl_path", why="check the existing cluster",
                  hint="Install kubectl: https://kubernetes.io/docs/tasks/tools/")
    limit = params["timeout"] + KILL_GRACE_S
    rows = []
    if context:
        only_kubeconfig = ["--kubeconfig", kubeconfig] if kubeconfig else []
        listed = kubectl.run(only_kubeconfig + ["config", "get-contexts", "--output=name"], timeout=limit,
                             what="`kubectl config get-contexts`")
        rows.append(_cluster_access.context_row(listed.stdout, context, kubeconfig))
        if not rows[-1]["ok"]:
            finish(module, result, rows, shown)

    timeout_arg = f"--request-timeout={params['timeout']}s"
    answered = kubectl.run(kubectl.k8s_args("kubectl") + ["version", "-o", "json", timeout_arg], timeout=limit,
                           check_rc=False)
    version = None if answered.timed_out else _cluster_access.server_version(answered.stdout)
    stderr = (f"no answer within {limit} s" if answered.timed_out else answered.stderr)
    rows.append(_cluster_access.version_row(version, params["min_version"], stderr, shown))
    if version is None:
        finish(module, result, rows, shown)
    result.update(reachable=True, server_version=version["git_version"],
                  kubernetes_version=version["kubernetes_version"])

    if params["checks"]:
        create = ["create", "-f", "-", "-o", "json", "--validate=false", timeout_arg]
        asked = kubectl.run(kubectl.k8s_args("kubectl") + create, timeout=limit, check_rc=False,
                            data=json.dumps(_cluster_access.reviews(params["checks"])))
        if asked.timed_out or asked.rc != 0:
            said = f"no answer within {limit} s" if asked.timed_out else kubectl.error_line(asked)
            kubectl.fail(f"The API server of {shown} did not answer the access reviews (SelfSubjectAccessReview, "
                         f"authorization.k8s.io/v1): {said}. Every authenticated user may create them, so check the "
                         "kubeconfig's user and that the cluster serves authorization.k8s.io/v1", asked, **result)
        try:
            answers = _cluster_access.json_documents(asked.stdout)
        except ValueError as exc:
            kubectl.fail(f"kubectl create printed something that is not JSON ({_text.cut(str(exc), 200)}); "
                         f"check that {kubectl.path} is the kubectl CLI", asked, **result)
        rows.extend(_cluster_access.judge_reviews(params["checks"], answers))
    finish(module, result, rows, shown)


def finish(module, result: dict, rows: list[dict], context: str) -> None:
    result["checked"] = rows
    result["denied"] = [row["name"] for row in rows if row["kind"] == "access" and not row["ok"]]
    result["problems"] = [f"{row['problem']}. {row.get('hint', '')}".strip() for row in rows if not row["ok"]]
    _cli.finish(module, result, result["problems"], lambda: _cluster_access.report(rows, context))


if __name__ == "__main__":
    main()
