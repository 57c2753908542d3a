#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: service_proxy
short_description: GET or DELETE a path of a Service (or of one pod) through the Kubernetes API server's proxy
version_added: 0.1.0
description:
  - Sends C(GET) or C(DELETE) to O(path) of a Service, from inside the cluster, through the API server's service
    proxy (C(kubectl get --raw) or C(kubectl delete --raw) on
    C(/api/v1/namespaces/<namespace>/services/<service>:<port>/proxy/<path>)). It needs no port-forward and no
    route from the host to the cluster network.
  - A 2xx answer gives RV(status=ok) and the body; a 404 answer from the backend gives RV(status=not_found) (that
    is not a failure; the caller decides). Anything else fails, saying what was wrong. That includes a Service that
    does not exist, no ready pod behind it, a pod that refuses the connection, a 5xx answer, or no API server.
  - The request goes from the API server to the pod, not through a Linkerd proxy on the client side, so it shows
    what the backend itself holds.
  - V(GET) never changes anything. V(DELETE) reports C(changed) when the backend accepted it (a 2xx answer), and
    no change when it answered 404 (the path was already gone). Some backends answer 2xx either way (the Petstore
    backend does), and then every V(DELETE) reports a change.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES, mcpmesh.platform._kubernetes]
attributes:
  check_mode:
    details:
      - V(GET) is sent in check mode too (it reads). V(DELETE) is not sent; the module reports C(changed=true) and
        RV(status=skipped).
  idempotent: {support: partial, details: [A second V(DELETE) of the same path reports no change when the backend answers 404 for what is gone.]}
options:
  namespace: {description: The Service's namespace., type: str, required: true}
  service:
    description:
      - The Service's name. One of O(service) and O(pod) is required.
    type: str
  pod:
    description:
      - A pod's name, to reach that very pod through the API server's pod proxy
        (C(/api/v1/namespaces/<namespace>/pods/<pod>:<port>/proxy/<path>)) instead of the pod the Service picks; for
        example to read every replica of a backend that keeps its data per replica. One of O(service) and O(pod) is
        required.
      - The port is then the container port's number (the API server does not resolve port names for pods).
    type: str
  port:
    description: The Service port, as a number (V(8080)) or its name (V(http)); with O(pod), the container port's number.
    type: raw
    required: true
  path:
    description:
      - The path on the backend, with an optional query (V(api/v3/pet/4711), V(api/v3/pet/findByStatus?status=sold)).
      - Characters outside those allowed in a URL path are percent-encoded; C(%) escapes already there are kept.
    type: str
    required: true
  method: {description: The request method., type: str, choices: [GET, DELETE], default: GET}
  timeout:
    description: Seconds the request may take (kubectl's C(--request-timeout)); kubectl is stopped a little later.
    type: int
    default: 30
  kubectl_path: {description: "The kubectl CLI. When not set, C(kubectl) is looked up on C(PATH).", type: path}
"""

EXAMPLES = r"""
- name: Read the marker pet straight from the in-cluster Petstore backend.
  mcpmesh.platform.service_proxy:
    namespace: petstore
    service: petstore
    port: 8080
    path: "api/v3/pet/{{ marker_id }}"
  register: backend_pet

- name: Fail when the marker is not in the in-cluster backend.
  ansible.builtin.assert:
    that:
      - backend_pet.status == 'ok'
      - backend_pet.json.name == marker_name
    fail_msg: The MCP server did not write to the in-cluster backend; it is not using SERVICE_URL.

- name: Read the marker pet from one replica of the backend (pod proxy).
  mcpmesh.platform.service_proxy:
    namespace: petstore
    pod: petstore-6c9f8d7b5-x2k4p
    port: 8080
    path: "api/v3/pet/{{ marker_id }}"
  register: replica_pet

# The target named once for the tasks of a block, in module_defaults.
- name: Delete the marker pet and prove it is gone.
  module_defaults:
    mcpmesh.platform.service_proxy: {namespace: petstore, service: petstore, port: 8080, path: "api/v3/pet/{{ marker_id }}"}
  block:
    - name: Delete the marker pet.
      mcpmesh.platform.service_proxy:
        method: DELETE

    - name: Read the marker pet again.
      mcpmesh.platform.service_proxy: {}
      register: deleted_pet
      failed_when: deleted_pet.status != 'not_found' and not ansible_check_mode
"""

RETURN = r"""
status:
  description: V(ok) for a 2xx answer, V(not_found) for a 404, V(skipped) for a V(DELETE) in check mode.
  returned: always
  type: str
  sample: ok
body:
  description: The answer's body, control characters stripped, cut at 64 KiB (see RV(truncated)); empty unless V(ok).
  returned: always
  type: str
  sample: '{"id":4711,"name":"mcpmesh-marker-1a2b","photoUrls":[],"tags":[],"status":"available"}'
truncated: {description: Whether RV(body) was cut., returned: always, type: bool}
json:
  description: The body parsed as JSON (from the whole body), or V(null) when it is not JSON.
  returned: always
  type: raw
  sample: {id: 4711, name: mcpmesh-marker-1a2b, photoUrls: [], tags: [], status: available}
url:
  description: The service-proxy URL requested.
  returned: always
  type: str
  sample: /api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/4711
cmd:
  description: The command run (none in check mode for V(DELETE)).
  returned: when a command ran
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _service_proxy, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import K8S_ARG_SPEC, Cli, new_module, options_of

# The two ways to name what is proxied to: exactly one is given.
TARGETS = ("service", "pod")
BODY_LIMIT = 65536
KILL_GRACE_S = 5


def parse_json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def main() -> None:
    module = new_module(AnsibleModule, dict(
        namespace=dict(type="str", required=True),
        **options_of("str", *TARGETS),
        port=dict(type="raw", required=True),
        path=dict(type="str", required=True),
        method=dict(type="str", choices=["GET", "DELETE"], default="GET"),
        timeout=dict(type="int", default=30),
        kubectl_path=dict(type="path"),
        **K8S_ARG_SPEC,
    ), mutually_exclusive=[TARGETS], required_one_of=[TARGETS])
    params = module.params
    kind, target = ("pod", params["pod"]) if params["pod"] else ("Service", params["service"])
    try:
        if kind == "pod":
            url = _service_proxy.pod_proxy_url(params["namespace"], target, params["port"], params["path"])
        else:
            url = _service_proxy.proxy_url(params["namespace"], target, params["port"], params["path"])
    except ValueError as exc:
        module.fail_json(msg=f"{exc}.")
    if not 1 <= params["timeout"] <= 3600:
        module.fail_json(msg=f"timeout is {params['timeout']} s; give 1 to 3600 seconds.")
    result = dict(changed=False, status=None, body="", truncated=False, json=None, url=url)
    delete = params["method"] == "DELETE"
    if delete and module.check_mode:
        result.update(changed=True, status="skipped")
        module.exit_json(msg=f"Check mode: DELETE {url} not sent.", **result)

    kubectl = Cli(module, "kubectl", "kubectl_path", why=f"send {params['method']} through the service proxy")
    args = kubectl.k8s_args("kubectl") + [f"--request-timeout={params['timeout']}s",
                                          "delete" if delete else "get", "--raw", url]
    run = kubectl.run(args, timeout=params["timeout"] + KILL_GRACE_S, check_rc=False)
    result["cmd"] = list(run.cmd)
    if run.timed_out:
        kubectl.fail(f"{params['method']} {url} did not finish within {params['timeout'] + KILL_GRACE_S} s and "
                     "kubectl was stopped; check the backend answers, or give a longer timeout", run, **result)
    if run.rc == 0:
        result.update(status=_service_proxy.OK, changed=delete, body=_text.clean(run.stdout, BODY_LIMIT),
                      truncated=len(run.stdout) > BODY_LIMIT, json=parse_json(run.stdout))
        module.exit_json(**result)
    verdict, message = _service_proxy.classify_failure(run.stderr, run.stdout, target, params["namespace"], kind)
    if verdict == _service_proxy.NOT_FOUND:
        result["status"] = _service_proxy.NOT_FOUND
        module.exit_json(**result)
    kubectl.fail(f"{params['method']} {url} failed: {message}.", run, **result)


if __name__ == "__main__":
    main()
