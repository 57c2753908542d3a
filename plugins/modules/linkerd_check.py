#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linkerd_check
short_description: Run C(linkerd check) (and C(linkerd viz check)) until they pass or a deadline comes
version_added: 0.1.0
description:
  - Runs C(linkerd check -o json), and with O(viz=true) also C(linkerd viz check -o json), and reads
    their JSON output, also when the CLI prints several JSON objects one after the other (it does so for
    installed extensions).
  - Fails when any check reports an error; warnings (for example the version checks of an offline
    cluster, or a certificate with fewer than 60 days left) are returned separately and fail the task
    only with O(fail_on_warnings=true).
  - While checks fail it runs them again until O(wait_timeout) seconds have passed, so it can follow a
    control plane that is still starting. Each run also gets the remaining time as C(--wait).
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY, mcpmesh.platform._kubernetes]
options:
  linkerd_path: {description: "The linkerd CLI. When not set, C(linkerd) is looked up on C(PATH).", type: path}
  linkerd_namespace:
    description: The namespace of the control plane (C(--linkerd-namespace)).
    type: str
    default: linkerd
  core: {description: Run C(linkerd check)., type: bool, default: true}
  viz: {description: Also run C(linkerd viz check)., type: bool, default: false}
  proxy: {description: Add C(--proxy) (data-plane checks) to both commands., type: bool, default: false}
  pre:
    description: Run C(linkerd check --pre) (the checks before an install) instead of the full checks.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to keep running the checks while any fails. V(0) runs them once.
    type: int
    default: 300
  poll_interval: {description: Seconds between two runs., type: int, default: 5}
  fail_on_warnings: {description: "Fail when a check warns, too.", type: bool, default: false}
"""

EXAMPLES = r"""
- name: Check the control plane and viz, waiting up to five minutes for them to settle.
  mcpmesh.platform.linkerd_check:
    viz: true
    wait_timeout: 300
    context: kind-mcpmesh
  register: linkerd_check_result

- name: Show the warnings.
  ansible.builtin.debug:
    msg: "{{ linkerd_check_result.warning_lines }}"
"""

RETURN = r"""
success:
  description: Whether no check reported an error (and, with O(fail_on_warnings=true), none warned).
  returned: always
  type: bool
error_checks: {description: The checks that failed in the last run., returned: always, type: list, elements: dict,
  contains: {
    category: {description: "The category (C(categoryName)), for example C(linkerd-identity) or C(linkerd-viz).", type: str},
    description: {description: What was checked., type: str},
    result: {description: V(error) here; V(warning) in RV(warning_checks); V(success) in RV(checks)., type: str},
    error: {description: What the CLI said went wrong., type: str},
    hint: {description: The CLI's link to the documentation of the check., type: str}},
  sample: [
    {category: linkerd-identity, description: issuer cert is within its validity period, result: error,
      error: issuer certificate is not valid anymore, hint: https://linkerd.io/2/checks/#l5d-identity-issuer-cert-is-time-valid}]}
warning_checks:
  description: The checks that warned in the last run, as in RV(error_checks).
  returned: always
  type: list
  elements: dict
warning_lines:
  description: RV(warning_checks) as one line each.
  returned: always
  type: list
  elements: str
  sample: ["[linkerd-version] cli is up-to-date: is running version 26.8.3 but the latest edge version is 26.9.1"]
checks: {description: Every check of the last run with its result., returned: always, type: list, elements: dict}
attempts: {description: How many times the checks were run., returned: always, type: int}
cmd:
  description: The last command that ran (on failure, the one that failed).
  returned: when a command ran
  type: list
  elements: str
rc: {description: Its exit status., returned: when a command ran, type: int}
stdout: {description: Its standard output., returned: on failure, type: str}
stderr: {description: Its standard error., returned: on failure, type: str}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _deadline, _linkerd, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import (
    K8S_ARG_SPEC, Cli, failure, new_module, options_of, wait_spec)

# What a run of the CLI may take beyond the --wait it is given before it is stopped.
GRACE = 60
INSTALL_HINT = ("Install the CLI that matches the installed release (https://run.linkerd.io/install-edge or "
                "https://enterprise.buoyant.io/install)")


def commands(cli: Cli, params: dict, remaining: int) -> list[list[str]]:
    head = [*cli.k8s_args("linkerd"), "--linkerd-namespace", params["linkerd_namespace"]]
    tail = ["-o", "json", "--wait", f"{max(remaining, 0)}s"] + (["--proxy"] if params["proxy"] else [])
    cmds = []
    if params["core"]:
        cmds.append([*head, "check", *tail] + (["--pre"] if params["pre"] else []))
    if params["viz"]:
        cmds.append([*head, "viz", "check", *tail])
    return cmds


def run_once(module: AnsibleModule, cli: Cli, deadline: _deadline.Deadline) -> dict:
    """Run every command; merge their checks. A command whose output is not check JSON is a hard failure."""
    merged = {"checks": [], "errors": [], "warnings": [], "success": True, "last": None}
    for args in commands(cli, module.params, int(deadline.remaining())):
        res = cli.run(args, timeout=deadline.remaining() + GRACE, check_rc=False)
        merged["last"] = res
        try:
            parsed = _linkerd.parse_check(res.stdout)
        except _linkerd.ParseError as exc:
            if res.rc == 0:
                cli.fail(f"`{' '.join([cli.name] + res.cmd[-6:])}` exited 0 but its output is not linkerd check JSON "
                         f"({exc}). Check that linkerd_path points at the linkerd CLI.", res, changed=False)
            # rc != 0 without check JSON: the CLI could not run its checks (no cluster yet, ...): retry.
            merged["success"] = False
            label = "linkerd viz check" if "viz" in args else "linkerd check"
            error = _text.clean((res.stderr or res.stdout).strip(), 500, keep_newlines=False) or f"rc {res.rc}"
            merged["errors"].append({"category": "cli", "description": f"{label} ran",
                                     "result": "error", "error": error, "hint": ""})
            merged["failed_run"] = res
            continue
        merged["checks"] += parsed["checks"]
        merged["errors"] += parsed["errors"]
        merged["warnings"] += parsed["warnings"]
        if not parsed["success"] or res.rc != 0:
            merged["success"] = False
            merged.setdefault("failed_run", res)
    return merged


def main() -> None:
    module = new_module(AnsibleModule, dict(
        linkerd_path=dict(type="path"),
        **K8S_ARG_SPEC,
        linkerd_namespace=dict(type="str", default="linkerd"),
        core=dict(type="bool", default=True),
        **options_of("bool", "viz", "proxy", "pre", default=False),
        **wait_spec(300),
        fail_on_warnings=dict(type="bool", default=False),
    ), seconds=("wait_timeout", "poll_interval"))
    params = module.params
    if not params["core"] and not params["viz"]:
        module.fail_json(msg="Nothing to check: set core or viz (or both) to true.")
    cli = Cli(module, "linkerd", "linkerd_path", hint=INSTALL_HINT)

    def passed(merged: dict) -> bool:
        return merged["success"] and not (params["fail_on_warnings"] and merged["warnings"])

    deadline = _deadline.Deadline(max(params["wait_timeout"], 0))
    merged, attempts = _deadline.poll(lambda: run_once(module, cli, deadline), deadline,
                                      max(params["poll_interval"], 1), done=passed)
    ok = passed(merged)
    result = dict(
        changed=False,
        success=ok,
        error_checks=merged["errors"],
        warning_checks=merged["warnings"],
        warning_lines=[_linkerd.check_line(w) for w in merged["warnings"]],
        checks=merged["checks"],
        attempts=attempts,
    )
    if ok:
        last = merged["last"]
        module.exit_json(cmd=last.cmd, rc=last.rc, **result)
    bad = merged["errors"] or (merged["warnings"] if params["fail_on_warnings"] else [])
    lines = _text.names([_linkerd.check_line(row) for row in bad], limit=10, sep="; ") \
        or "the CLI exited non-zero without naming a check"
    module.fail_json(**failure(
        f"linkerd checks still fail after {attempts} attempt(s) within {params['wait_timeout']} s: {lines}. "
        "Fix what the checks name (the hints link to Linkerd's documentation); "
        "`linkerd check` and `linkerd viz check` without -o json print the same as a table.",
        merged.get("failed_run") or merged["last"], **result))


if __name__ == "__main__":
    main()
