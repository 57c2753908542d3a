#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: pod_disruption
short_description: Delete one pod of each workload, one workload at a time, and wait for its replacement
version_added: 0.1.0
description:
  - For each entry of O(targets), in order, lists the pods of O(targets[].selector) in O(targets[].namespace)
    (C(kubectl get pods -o json)), deletes the oldest Ready one (C(kubectl delete pod --wait=false)), then polls until
    as many pods as were Ready before, none of them the deleted one, are Ready again. Only then does it go on to
    the next target, so at most one pod of the targets is gone at any time.
  - A pod is Ready when it is Running, not being deleted, and its C(Ready) condition is C(True).
  - Refuses to delete anything from a workload with fewer than O(targets[].min_ready) Ready pods (an outage, not a
    disruption), and fails when the replacement is not Ready within O(wait_timeout), naming the pods and their states.
  - Every wait is bounded. The module records when each pod was deleted and when its workload was whole again
    (seconds since the epoch, on the controller's clock), so a caller can tell what ran during the disruption
    (for example a load check started beside it with C(async)).
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES, mcpmesh.platform._kubernetes]
attributes:
  check_mode: {details: [Lists the pods and says which one would be deleted; deletes nothing and waits for nothing.]}
  idempotent: {support: none, details: [Every run deletes a pod of each target; that is its purpose.]}
options:
  targets: {description: "The workloads to disrupt, one after the other.", type: list, elements: dict, required: true,
    suboptions: {
      name: {description: "What the workload is, for messages and the result (for example V(wasmCloud host)).", type: str, required: true},
      namespace: {description: The pods' namespace., type: str, required: true},
      selector: {description: "The label selector of the workload's pods, as C(kubectl -l) takes it (V(app=petstore)).",
        type: str,
        required: true},
      min_ready: {description: How many Ready pods the workload needs before one is deleted (at least 1; 2 keeps one serving).,
        type: int,
        default: 2}}}
  wait_timeout:
    description: Seconds to wait, per target, for the workload to be whole again after the delete (1 to 3600).
    type: int
    default: 300
  poll_interval: {description: Seconds between two reads of the pods while waiting (1 to 60)., type: int, default: 2}
  request_timeout: {description: Seconds each kubectl call may take (1 to 300)., type: int, default: 30}
  kubectl_path: {description: "The kubectl CLI. When not set, C(kubectl) is looked up on C(PATH).", type: path}
"""

EXAMPLES = r"""
# Disrupt while a load runs: start the disruption in the background, run the load, then collect it.
- name: Delete one wasmCloud host pod and wait for its replacement.
  mcpmesh.platform.pod_disruption:
    targets:
      - name: wasmCloud host
        namespace: cosmonic-system
        selector: wasmcloud.com/name=hostgroup
    wait_timeout: 300
  async: 400
  poll: 0
  register: disruption_job

- name: Load the MCP server meanwhile.
  mcpmesh.platform.mcp_verify:
    url: http://localhost/v1/mcp
    headers: {Host: petstore-mcp.localhost.cosmonic.sh}
    load: {tool: get_pet_find_by_status, arguments: {status: available}, requests: 1000, min_success_ratio: 0.99}
  register: load

- name: Wait for the disruption to finish.
  ansible.builtin.async_status:
    jid: "{{ disruption_job.ansible_job_id }}"
  register: disruption
  until: disruption.finished
  retries: 200
  delay: 2
"""

RETURN = r"""
disruptions: {description: "One entry per target, in order.", returned: always, type: list, elements: dict,
  contains: {
    name: {description: "The target's O(targets[].name).", type: str},
    namespace: {description: The pods' namespace., type: str},
    selector: {description: The selector used., type: str},
    pod: {description: "The pod deleted (or, in check mode, the one that would be).", type: str, sample: hostgroup-default-7d9c6b5f4-abcde},
    ready_before: {description: The Ready pods before the delete., type: list, elements: str},
    replacements: {description: The pods that were not Ready before and are now (empty in check mode)., type: list, elements: str},
    deleted_at: {description: "When the delete was accepted, in seconds since the epoch (null in check mode).", type: float},
    ready_at: {description: "When the workload was whole again, in seconds since the epoch (null in check mode).", type: float},
    recovery_s: {description: Seconds from the delete to the workload being whole again (null in check mode)., type: float, sample: 17.4}}}
summary: {description: "One sentence per target, for the run's output.", returned: always, type: list, elements: str}
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _deadline, _disruption, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import K8S_ARG_SPEC, Cli, new_module, options_of, wait_spec

KILL_GRACE_S = 5


def _bounded(module, name, low, high):
    value = module.params[name]
    if not low <= value <= high:
        module.fail_json(msg=f"{name} is {value}; give {low} to {high} seconds.")


class Disruptor:
    def __init__(self, module):
        self.module = module
        self.kubectl = Cli(module, "kubectl", "kubectl_path", why="list and delete pods")
        self.request_timeout = module.params["request_timeout"]
        self.base = self.kubectl.k8s_args("kubectl") + [f"--request-timeout={self.request_timeout}s"]
        self.done: list[dict] = []

    def fail(self, msg, run=None):
        done = [{k: v for k, v in d.items() if k != "sentence"} for d in self.done]
        self.kubectl.fail(msg, run, disruptions=done, summary=[d["sentence"] for d in self.done if "sentence" in d])

    def pods(self, target):
        run = self.kubectl.run(self.base + ["get", "pods", "-n", target["namespace"], "-l", target["selector"],
                                            "-o", "json"],
                               timeout=self.request_timeout + KILL_GRACE_S, check_rc=False)
        if run.timed_out or run.rc != 0:
            self.fail(f"{target['name']}: listing the pods of {target['selector']} in {target['namespace']} failed: "
                      f"{Cli.error_line(run)}; check kubeconfig, context and the namespace", run)
        try:
            return _disruption.parse_pods(self.kubectl_json(run))
        except _disruption.DisruptionError as exc:
            self.fail(f"{target['name']}: {exc}; check that {self.kubectl.path} is the kubectl CLI", run)
        return []  # not reached

    @staticmethod
    def kubectl_json(run):
        try:
            return json.loads(run.stdout)
        except (ValueError, RecursionError):
            raise _disruption.DisruptionError("kubectl printed something that is not JSON") from None

    def disrupt(self, target):
        what = f"{target['name']} ({target['selector']} in {target['namespace']})"
        pods = self.pods(target)
        try:
            victim = _disruption.choose_victim(pods, target["min_ready"], what)
        except _disruption.DisruptionError as exc:
            self.fail(f"{exc}.")
        before = _disruption.ready_names(pods)
        entry = dict(name=target["name"], namespace=target["namespace"], selector=target["selector"],
                     pod=victim["name"], ready_before=before, replacements=[], deleted_at=None, ready_at=None,
                     recovery_s=None)
        if self.module.check_mode:
            entry["sentence"] = f"{target['name']}: would delete pod {victim['name']} (of {len(before)} Ready)."
            self.done.append(entry)
            return
        run = self.kubectl.run(self.base + ["delete", "pod", "-n", target["namespace"], victim["name"], "--wait=false"],
                               timeout=self.request_timeout + KILL_GRACE_S, check_rc=False)
        if run.timed_out or run.rc != 0:
            self.fail(f"{target['name']}: deleting pod {victim['name']} failed: {Cli.error_line(run)}", run)
        entry["deleted_at"] = time.time()
        started = time.monotonic()
        self.done.append(entry)
        p = self.module.params
        last, _attempts = _deadline.poll(lambda: _disruption.recovery(self.pods(target), victim["name"], before),
                                         p["wait_timeout"], p["poll_interval"], done=lambda r: r["recovered"])
        if not last["recovered"]:
            self.fail(f"{target['name']}: after deleting pod {victim['name']}, {len(last['ready'])} of the "
                      f"{len(before)} pods were Ready again within {p['wait_timeout']} s (now: "
                      f"{_disruption.state_line(self.pods(target))}). Look at the new pod's events "
                      f"(kubectl describe pods -n {target['namespace']} -l {target['selector']}), or give a longer "
                      "wait_timeout")
        entry["ready_at"] = time.time()
        entry["recovery_s"] = round(time.monotonic() - started, 3)
        entry["replacements"] = last["replacements"]
        entry["sentence"] = (f"{target['name']}: deleted pod {victim['name']}; "
                             f"{_text.names(last['replacements']) or 'its workload'} Ready in {entry['recovery_s']:g} s, "
                             f"{len(last['ready'])} of {len(before)} pods Ready again.")


def main() -> None:
    module = new_module(AnsibleModule, dict(
        targets=dict(type="list", elements="dict", required=True, options=dict(
            **options_of("str", "name", "namespace", "selector", required=True),
            min_ready=dict(type="int", default=2),
        )),
        **wait_spec(300, 2),
        request_timeout=dict(type="int", default=30),
        kubectl_path=dict(type="path"),
        **K8S_ARG_SPEC,
    ))
    _bounded(module, "wait_timeout", 1, 3600)
    _bounded(module, "poll_interval", 1, 60)
    _bounded(module, "request_timeout", 1, 300)
    targets = module.params["targets"]
    if not targets:
        module.fail_json(msg="targets is empty; name at least one workload to disrupt.")
    for target in targets:
        if target["min_ready"] < 1:
            module.fail_json(msg=f"{target['name']}: min_ready is {target['min_ready']}; give 1 or more.")
        if not target["selector"].strip():
            module.fail_json(msg=f"{target['name']}: the selector is empty; give the labels of the workload's pods.")
    disruptor = Disruptor(module)
    for target in targets:
        disruptor.disrupt(target)
    summary = [d.pop("sentence") for d in disruptor.done]
    # A pod was deleted, or (check mode) would be.
    module.exit_json(changed=True, disruptions=disruptor.done, summary=summary)


if __name__ == "__main__":
    main()
