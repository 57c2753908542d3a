#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: kind_cluster
short_description: Create or delete a kind cluster, and wait until every node is Ready
version_added: 0.1.0
description:
  - Asks C(kind get clusters) first, then creates the cluster only when it is absent, or deletes it only when it
    exists, so C(changed) is honest and a second run changes nothing.
  - C(kind create cluster --wait) exits 0 even when its wait times out, so the module itself polls
    C(kubectl get nodes -o json) until every node of the config is C(Ready), and fails when O(wait_timeout) passes.
  - When the cluster exists but its context C(kind-<name>) is missing from the kubeconfig, the context is exported
    again (C(kind export kubeconfig)).
  - The config file is checked before anything runs (roles, port mappings and their duplicates, unknown keys, an
    unpinned node image). O(validate_only=true) does only that, with no kind and no container engine.
  - Failures of C(kind), which logs everything to standard error, return the command, its exit status and its
    standard error.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES, mcpmesh.platform._kubernetes]
attributes:
  check_mode: {details: ["Reports whether the cluster would be created, deleted or its context exported; reads node readiness."]}
  diff_mode: {support: full}
options:
  name: {description: The cluster's name; its kubeconfig context is C(kind-<name>)., type: str, default: kind}
  state:
    description: V(present) creates the cluster when it is absent; V(absent) deletes it when it exists.
    type: str
    choices: [present, absent]
    default: present
  config:
    description:
      - A kind cluster config file (C(kind.x-k8s.io/v1alpha4)). It only applies when the cluster is created;
        an existing cluster is left as it is.
    type: path
  image: {description: The node image for every node (C(kind create cluster --image)); pin it by digest., type: str}
  runtime:
    description:
      - The container engine kind uses (C(KIND_EXPERIMENTAL_PROVIDER)). V(auto) lets kind detect it.
      - kind lists only the clusters of the engine it uses, so use the same value on every call.
    type: str
    choices: [docker, podman, auto]
    default: auto
  wait_timeout:
    description: Seconds to wait for every node to be C(Ready), after creating the cluster or finding it.
    type: int
    default: 300
  wait_sleep: {description: Seconds between two readiness checks., type: int, default: 5}
  validate_only:
    description:
      - Only check O(config) and report; run nothing. For render-only runs, which have no kind and no engine.
    type: bool
    default: false
  context:
    description:
      - The context kubectl reads the nodes with. Defaults to C(kind-<name>), the context kind writes.
notes:
  - Needs C(kind) on C(PATH), and C(kubectl) for the readiness check.
seealso:
  - name: kind configuration
    description: The cluster config format.
    link: https://kind.sigs.k8s.io/docs/user/configuration/
"""

EXAMPLES = r"""
- name: Create the cluster from a rendered config, and wait for its nodes.
  mcpmesh.platform.kind_cluster:
    name: mcpmesh
    config: .mcpmesh/mcpmesh/kind/cluster.yml
    image: kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5
    wait_timeout: 300
  register: cluster

- name: Show the Kubernetes version.
  ansible.builtin.debug:
    msg: "{{ cluster.kubernetes_version }}"   # 1.36

- name: Check a config without kind.
  mcpmesh.platform.kind_cluster:
    name: mcpmesh
    config: .mcpmesh/mcpmesh/kind/cluster.yml
    validate_only: true

- name: Delete the cluster (nothing happens when it does not exist).
  mcpmesh.platform.kind_cluster:
    name: mcpmesh
    state: absent
"""

RETURN = r"""
name: {description: The cluster's name., returned: always, type: str, sample: mcpmesh}
context: {description: The kubeconfig context of the cluster., returned: always, type: str, sample: kind-mcpmesh}
existed:
  description: Whether the cluster existed before the module ran; V(null) with O(validate_only=true).
  returned: always
  type: bool
created: {description: "Whether the cluster was created (or would be, in check mode).", returned: always, type: bool}
deleted: {description: "Whether the cluster was deleted (or would be, in check mode).", returned: always, type: bool}
exported:
  description: Whether the kubeconfig context was written again for an existing cluster.
  returned: always
  type: bool
nodes:
  description: The nodes and their readiness, as last read.
  returned: when the nodes were read
  type: list
  elements: dict
  sample:
    - {name: mcpmesh-control-plane, ready: true, roles: [control-plane], reason: KubeletReady, kubelet: v1.36.1}
server_version:
  description: The API server's C(gitVersion).
  returned: when the nodes were read
  type: str
  sample: v1.36.1
kubernetes_version:
  description: The API server's C(MAJOR.MINOR), what rendered artifacts are validated against.
  returned: when the nodes were read
  type: str
  sample: "1.36"
config_problems:
  description: What is wrong with O(config), one line each (empty when it is fine).
  returned: when O(config) is given
  type: list
  elements: str
cmd: {description: The command that failed., returned: failure of a command, type: list, elements: str}
rc: {description: Its exit status., returned: failure of a command, type: int}
stderr:
  description: Its standard error (kind writes its log and errors there).
  returned: failure of a command
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _deadline, _kind, _text, _yaml
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import (
    K8S_ARG_SPEC, RUNTIME_ARG_SPEC, Cli, failure, new_module, option_args, read_text,
    wait_spec)

# Each kubectl call is bounded by its own --request-timeout; this bounds the process as well.
KUBECTL_TIMEOUT = 30


class Cluster:
    def __init__(self, module: AnsibleModule):
        self.module = module
        params = module.params
        self.name = params["name"]
        self.context = params["context"] or f"kind-{self.name}"
        runtime = params["runtime"]
        self.environ = {"KIND_EXPERIMENTAL_PROVIDER": runtime} if runtime in ("docker", "podman") else {}
        self.result = dict(changed=False, name=self.name, context=self.context, existed=None,
                           created=False, deleted=False, exported=False)

    def cli(self, name: str, why: str) -> Cli:
        return Cli(self.module, name, environ=self.environ if name == "kind" else None, context=self.context,
                   missing=f"{name} is not on PATH; it is needed to {why}. Install it "
                   "(https://kind.sigs.k8s.io/docs/user/quick-start/ for kind), or render only with mcpmesh_apply=false")

    def fail(self, msg: str, result=None, **extra) -> None:
        self.module.fail_json(**failure(msg, result, **self.result, **extra))

    def run(self, kind: Cli, args: list[str], what: str):
        res = kind.run(args, check_rc=False)
        if res.rc != 0:
            self.fail(f"{what} failed: {_kind.kind_error(res.stderr, res.rc)} (rc {res.rc}); the command and its "
                      "full stderr are in cmd and stderr", res)
        return res

    def kubeconfig_args(self) -> list[str]:
        kubeconfig = self.module.params["kubeconfig"]
        return ["--kubeconfig", kubeconfig] if kubeconfig else []

    def exists(self, kind: Cli) -> bool:
        res = self.run(kind, ["get", "clusters"], "Listing the kind clusters")
        return self.name in _kind.parse_clusters(res.stdout)

    def context_missing(self, kubectl: Cli) -> bool:
        res = kubectl.run(["config", "get-contexts", "-o", "name", *self.kubeconfig_args()],
                          timeout=KUBECTL_TIMEOUT, check_rc=False)
        return res.rc != 0 or self.context not in [line.strip() for line in res.stdout.splitlines()]

    def wait_ready(self, kubectl: Cli, expected: int, timeout: int, sleep: int) -> None:
        args = ["get", "nodes", "-o", "json", "--request-timeout", "10s", *kubectl.k8s_args()]

        def attempt() -> dict:
            res = kubectl.run(args, timeout=KUBECTL_TIMEOUT, check_rc=False)
            if res.rc != 0:
                return {"rows": [], "error": _kind.kind_error(res.stderr, res.rc), "res": res}
            try:
                return {"rows": _kind.node_readiness(res.stdout), "error": "", "res": res}
            except _kind.KindError as exc:
                return {"rows": [], "error": str(exc), "res": res}

        last, _attempts = _deadline.poll(attempt, max(timeout, 0), sleep,
                                         done=lambda s: not s["error"] and _kind.all_ready(s["rows"], expected))
        self.result["nodes"] = last["rows"]
        if not last["error"] and _kind.all_ready(last["rows"], expected):
            return
        state = last["error"] or _kind.not_ready_summary(last["rows"], expected)
        self.fail(f"the nodes of kind cluster {self.name!r} were not all Ready within {timeout}s ({state}); look at "
                  f"`kubectl --context {self.context} describe nodes` and `kind export logs --name {self.name}`, "
                  "or raise wait_timeout", last["res"])

    def read_version(self, kubectl: Cli) -> None:
        res = kubectl.run(["version", "-o", "json", "--request-timeout", "10s", *kubectl.k8s_args()],
                          timeout=KUBECTL_TIMEOUT, check_rc=False)
        if res.rc != 0:
            self.fail(f"reading the server version of {self.context} failed: {_kind.kind_error(res.stderr, res.rc)}",
                      res)
        try:
            self.result["server_version"], self.result["kubernetes_version"] = _kind.server_version(res.stdout)
        except _kind.KindError as exc:
            self.fail(str(exc), res)


def load_config(module: AnsibleModule, path: str, name: str) -> tuple[dict | None, str]:
    try:
        text = read_text(module, path, "the kind config ", "render it first")
    except UnicodeDecodeError:
        module.fail_json(msg=f"the kind config {path} is not UTF-8 text; render it again from the template")
    try:
        config = _yaml.load(text)
    except _yaml.YamlRefused as exc:
        module.fail_json(msg=f"the kind config {path} cannot be read: {exc}. Render it again from the template",
                         config_problems=[str(exc)])
    problems = _kind.config_problems(config, name)
    if problems:
        module.fail_json(msg=f"the kind config {path} has {len(problems)} problem(s): " + _text.names(problems, sep="; ")
                         + ". Fix the template or the variables that feed it", config_problems=problems[:100])
    return config, text


def main() -> None:
    module = new_module(AnsibleModule, dict(
        name=dict(type="str", default="kind"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        config=dict(type="path"),
        image=dict(type="str"),
        **RUNTIME_ARG_SPEC,
        **wait_spec(300, interval_name="wait_sleep"),
        validate_only=dict(type="bool", default=False),
        **K8S_ARG_SPEC,
    ), seconds=("wait_timeout", "wait_sleep"))
    params = module.params
    cluster = Cluster(module)
    config, config_text = None, ""
    if params["config"]:
        config, config_text = load_config(module, params["config"], cluster.name)
        cluster.result["config_problems"] = []
    if params["validate_only"]:
        module.exit_json(**cluster.result)

    kind = cluster.cli("kind", "manage kind clusters")
    existed = cluster.exists(kind)
    cluster.result["existed"] = existed
    result = cluster.result
    name_line = f"kind cluster {cluster.name}\n"

    if params["state"] == "absent":
        if existed:
            result.update(changed=True, deleted=True)
            if module._diff:
                result["diff"] = dict(before=name_line, after="", before_header=cluster.name, after_header="(absent)")
            if not module.check_mode:
                cluster.run(kind, ["delete", "cluster", "--name", cluster.name, *cluster.kubeconfig_args()],
                            f"Deleting kind cluster {cluster.name!r}")
        module.exit_json(**result)

    kubectl = cluster.cli("kubectl", "check that the nodes are Ready")
    if not existed:
        result.update(changed=True, created=True)
        if module._diff:
            result["diff"] = dict(before="", after=name_line + config_text, before_header="(absent)",
                                  after_header=params["config"] or cluster.name)
        if module.check_mode:
            module.exit_json(**result)
        cmd = ["create", "cluster", "--name", cluster.name, "--wait", f"{max(params['wait_timeout'], 1)}s"]
        cmd += option_args(params, {"config": "--config", "image": "--image"})
        cluster.run(kind, cmd + cluster.kubeconfig_args(), f"Creating kind cluster {cluster.name!r}")
    elif cluster.context_missing(kubectl):
        result.update(changed=True, exported=True)
        if not module.check_mode:
            cluster.run(kind, ["export", "kubeconfig", "--name", cluster.name, *cluster.kubeconfig_args()],
                        f"Exporting the kubeconfig context of kind cluster {cluster.name!r}")
    if module.check_mode and result["exported"]:
        module.exit_json(**result)  # the context is not there to read the nodes with
    # An existing cluster keeps the nodes it was created with: wait for those, and say when they differ.
    expected = _kind.node_count(config) if result["created"] else 1
    cluster.wait_ready(kubectl, expected, params["wait_timeout"], max(params["wait_sleep"], 1))
    if existed and config is not None and len(result["nodes"]) != _kind.node_count(config):
        module.warn(f"kind cluster {cluster.name!r} exists with {len(result['nodes'])} node(s) and the config asks for "
                    f"{_kind.node_count(config)}; kind cannot change an existing cluster: delete it (state=absent) "
                    "and run again to apply the config")
    cluster.read_version(kubectl)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
