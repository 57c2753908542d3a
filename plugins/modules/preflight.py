#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Check that the controller has everything a run needs, and report every gap at once
version_added: 0.1.0
description:
  - Checks the container engine is reachable, the CLIs are on C(PATH) with at least the given versions,
    the Python libraries import, the values a run needs (such as licence keys) are set, and host ports are free.
  - Collects every problem and reports them all in one message, each with what to do, instead of stopping
    at the first one.
  - A host port held by the kind cluster of O(cluster_name) itself is not a problem. When that cluster
    already exists, port checks are skipped.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
options:
  container_runtime:
    description:
      - The container engine kind will use. V(none) checks no engine (render-only runs).
    type: str
    choices: [docker, podman, none]
    default: docker
  tools:
    description: CLIs that must be on C(PATH).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The command name. V(kind), V(kubectl), V(helm) and V(linkerd) are asked for their version the way
            each of them documents; any other command is run with C(--version).
        type: str
        required: true
      min_version:
        description: The oldest acceptable version, C(MAJOR.MINOR[.PATCH]). Unset means any version.
        type: str
      hint: {description: What the user should do when the tool is missing or too old., type: str, default: ""}
      enabled: {description: Whether this run needs the tool; V(false) skips the check., type: bool, default: true}
  values: {
    description: ["Values the run needs, such as licence keys. Pass whether each is set, never the value itself."],
    type: list, elements: dict, default: [],
    suboptions: {
      name: {description: "The variable's name, as the user would set it.", type: str, required: true},
      is_set: {description: Whether the value is set and not empty., type: bool, required: true},
      reason: {description: Why the run needs it., type: str, default: needed by this run},
      hint: {description: "How to set it, or how to do without it.", type: str, default: ""},
      enabled: {description: Whether this run needs the value; V(false) skips the check., type: bool, default: true}}}
  ports: {description: TCP ports on this host that must be free for the cluster to map them., type: list, elements: dict, default: [],
    suboptions: {
      port: {description: The port number., type: int, required: true},
      address: {description: The address the port would be bound on., type: str, default: 0.0.0.0},
      hint: {description: What to do when the port is taken., type: str, default: ""},
      enabled: {description: Whether this run needs the port; V(false) skips the check., type: bool, default: true}}}
  cluster_name:
    description:
      - The kind cluster the run manages. When C(kind get clusters) lists it, the port checks are skipped,
        since the cluster itself holds those ports.
    type: str
  python_modules:
    description: Python modules the controller's interpreter must be able to import.
    type: list
    elements: str
    default: []
  fail_on_problems:
    description: Fail when any check fails. With V(false) the report is only returned.
    type: bool
    default: true
  render_hint:
    description: A line added at the end of the failure message, for example how to render without a cluster.
    type: str
"""

EXAMPLES = r"""
- name: Check the host before creating anything.
  mcpmesh.platform.preflight:
    container_runtime: docker
    tools:
      - name: kind
        min_version: "0.27.0"
        hint: Install kind from https://kind.sigs.k8s.io/docs/user/quick-start/#installation.
      - name: helm
        min_version: "3.8.0"
        hint: Install Helm 3.8 or newer (OCI charts need it).
    values:
      - name: linkerd_license
        is_set: "{{ (linkerd_license | default('')) | length > 0 }}"
        reason: Buoyant Enterprise for Linkerd needs a licence
        hint: Export BUOYANT_LICENSE, or set linkerd_distribution=edge.
    ports:
      - port: 80
        hint: Stop what listens on port 80.
    cluster_name: mcpmesh
    python_modules: [kubernetes, kubernetes_validate]
"""

RETURN = r"""
checked: {description: "One row per check, passed or not.", returned: always, type: list, elements: dict,
  contains: {
    name: {description: "What was checked (a command, a variable, C(port 80), a Python module).", type: str},
    kind: {description: "V(engine), V(tool), V(value), V(port) or V(python).", type: str},
    ok: {description: Whether the check passed., type: bool},
    problem: {description: "What is wrong, when RV(checked[].ok) is false.", type: str},
    hint: {description: What to do about it., type: str}},
  sample: [{name: kind, kind: tool, ok: true, path: /usr/local/bin/kind, found: 0.32.0, wanted: 0.27.0, hint: ""}]}
problems:
  description: The problem lines, in the order reported.
  returned: always
  type: list
  elements: str
  sample: ["docker is not on PATH. Install Docker Engine, or choose podman."]
cluster_exists:
  description: Whether the kind cluster O(cluster_name) already exists; V(null) when it could not be asked.
  returned: always
  type: bool
"""

import errno
import importlib.util
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _preflight, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import Cli, finish, new_module

# A version command or `docker info` that takes longer than this is reported, not waited for.
COMMAND_TIMEOUT = 30

VERSION_ARGS = {
    "kind": ["version"],
    "kubectl": ["version", "--client", "-o", "json"],
    "helm": ["version", "--short"],
    "linkerd": ["version", "--client", "--short"],
}

ENGINE_HINTS = {
    "docker": "Install Docker Engine and start it (systemctl start docker), or run with "
    "mcpmesh_container_runtime=podman.",
    "podman": "Install Podman 4 or newer, or run with mcpmesh_container_runtime=docker.",
}


def check_engine(module: AnsibleModule, runtime: str) -> dict:
    row = {"name": runtime, "kind": "engine", "ok": False, "hint": ENGINE_HINTS[runtime]}
    engine = Cli(module, runtime, required=False)
    if not engine.found:
        row["problem"] = f"{runtime} is not on PATH"
        return row
    fmt = "{{.ServerVersion}}" if runtime == "docker" else "{{.Version.Version}}"
    res = engine.run(["info", "--format", fmt], timeout=COMMAND_TIMEOUT, check_rc=False)
    if res.rc != 0 or res.timed_out:
        first = (f"no answer within {COMMAND_TIMEOUT} s" if res.timed_out
                 else _text.first_line(res.stderr or res.stdout, default=f"rc {res.rc}"))
        row["problem"] = f"{runtime} is installed but its engine does not answer ({first})"
        other = "podman" if runtime == "docker" else "docker"
        row["hint"] = (f"Start the {runtime} engine and check that this user may use it, "
                       f"or run with mcpmesh_container_runtime={other}.")
        return row
    row.update(ok=True, found=_text.clean(res.stdout.strip(), 100, keep_newlines=False))
    return row


def check_tool(module: AnsibleModule, spec: dict) -> dict:
    name = spec["name"]
    tool = Cli(module, name, required=False)
    output = None
    if tool.found:
        res = tool.run(VERSION_ARGS.get(name, ["--version"]), timeout=COMMAND_TIMEOUT, check_rc=False)
        output = _preflight.tool_version_output(name, res.stdout if res.rc == 0 and res.stdout.strip() else res.stderr)
    return _preflight.check_tool(name, tool.path, output, spec.get("min_version"), spec.get("hint") or "")


def cluster_exists(module: AnsibleModule, name: str | None, runtime: str) -> bool | None:
    environ = {"KIND_EXPERIMENTAL_PROVIDER": runtime} if runtime in ("docker", "podman") else None
    kind = Cli(module, "kind", required=False, environ=environ)
    if not name or not kind.found:
        return None
    res = kind.run(["get", "clusters"], timeout=COMMAND_TIMEOUT, check_rc=False)
    if res.rc != 0:
        return None
    return name in [line.strip() for line in res.stdout.splitlines()]


def check_port(spec: dict) -> dict:
    port, address = spec["port"], spec["address"]
    row = {"name": f"port {port}", "kind": "port", "ok": True, "hint": spec.get("hint") or ""}
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
            return row
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                row.update(ok=False, problem=f"port {port} on {address} is already in use")
                return row
            if exc.errno not in (errno.EACCES, errno.EPERM):
                row.update(ok=False, problem=f"port {port} on {address} cannot be bound ({exc.strerror})")
                return row
    # Not allowed to bind a privileged port as this user; the container engine (root) may be.
    # Fall back to asking whether anything accepts connections there.
    probe = "127.0.0.1" if address in ("0.0.0.0", "") else ("::1" if address == "::" else address)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        if sock.connect_ex((probe, port)) == 0:
            row.update(ok=False, problem=f"port {port} on {address} is already in use")
    return row


def check_python(name: str) -> dict:
    row = {"name": name, "kind": "python", "ok": True,
           "hint": "Install the collection's Python requirements: pip install -r requirements.txt."}
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        row.update(ok=False, problem=f"the Python module {name} cannot be imported by the controller's Python")
    return row


def checks(**options) -> dict:
    """A list option of checks: its own suboptions, and the hint and switch every check has."""
    return dict(type="list", elements="dict", default=[],
                options=dict(options, hint=dict(type="str", default=""), enabled=dict(type="bool", default=True)))


def main() -> None:
    module = new_module(AnsibleModule, dict(
        container_runtime=dict(type="str", choices=["docker", "podman", "none"], default="docker"),
        tools=checks(name=dict(type="str", required=True), min_version=dict(type="str")),
        values=checks(name=dict(type="str", required=True), is_set=dict(type="bool", required=True),
                      reason=dict(type="str", default="needed by this run")),
        ports=checks(port=dict(type="int", required=True), address=dict(type="str", default="0.0.0.0")),
        cluster_name=dict(type="str"),
        python_modules=dict(type="list", elements="str", default=[]),
        fail_on_problems=dict(type="bool", default=True),
        render_hint=dict(type="str"),
    ))
    params = module.params
    wrong = _preflight.input_problems(params["tools"], params["ports"])
    if wrong:
        module.fail_json(msg=f"preflight was given {len(wrong)} option value(s) it cannot check with: "
                         + _text.names(wrong, sep="; ") + ". Fix the variables that feed them.")
    runtime = params["container_runtime"]
    rows = [check_python(name) for name in params["python_modules"]]
    if runtime != "none":
        rows.append(check_engine(module, runtime))
    rows.extend(check_tool(module, spec) for spec in params["tools"] if spec["enabled"])
    rows.extend(
        _preflight.check_value(v["name"], v["is_set"], v["reason"], v["hint"]) for v in params["values"] if v["enabled"]
    )
    ports = [spec for spec in params["ports"] if spec["enabled"]]
    exists = cluster_exists(module, params["cluster_name"], runtime) if ports else None
    if not exists:
        rows.extend(check_port(spec) for spec in ports)

    problems = [f"{r['problem']}. {r['hint']}".strip() for r in rows if not r["ok"]]
    result = dict(changed=False, checked=rows, problems=problems, cluster_exists=exists)
    finish(module, result, problems, lambda: _preflight.format_report(rows, params["render_hint"]))


if __name__ == "__main__":
    main()
