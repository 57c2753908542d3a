# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic of the access checks on an existing cluster (the ``cluster_access`` module).

What the module asks ``kubectl`` and how the answers are judged:

* ``kubectl config get-contexts --output=name``: the context names, one a line;
* ``kubectl version -o json``: ``serverVersion`` (the API server's ``/version``, the ``version.Info``
  of k8s.io/apimachinery: ``major``, ``minor`` such as ``"33"`` or ``"33+"``, ``gitVersion``);
  a cluster that does not answer leaves only ``clientVersion`` on stdout and says why on stderr;
* ``kubectl create -f - -o json`` with a ``List`` of ``SelfSubjectAccessReview`` objects
  (authorization.k8s.io/v1): kubectl creates each item and prints each answer in turn, one JSON
  document after the other (not a ``List``); each carries ``status.allowed`` and may carry
  ``status.denied``, ``status.reason`` and ``status.evaluationError``.

No Ansible imports.
"""
from __future__ import annotations

import json
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

SSAR_API_VERSION = "authorization.k8s.io/v1"
_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind",
          "impersonate", "use", "approve", "sign", "*"}
_NAME = re.compile(r"^[a-z0-9*]([-a-z0-9.*]{0,251}[a-z0-9*])?$")
_MINOR = re.compile(r"^(\d{1,4})")
_MIN_VERSION = re.compile(r"^v?(\d{1,4})\.(\d{1,4})(?:\.\d{1,9})?$")


def check_label(check: dict) -> str:
    """``create customresourcedefinitions.apiextensions.k8s.io`` (``in namespace linkerd``)."""
    resource = check.get("resource") or "?"
    if check.get("subresource"):
        resource += "/" + check["subresource"]
    if check.get("group"):
        resource += "." + check["group"]
    where = f" in namespace {check['namespace']}" if check.get("namespace") else " cluster-wide"
    return f"{check.get('verb') or '?'} {resource}{where}"


def check_problems(checks: list[dict]) -> list[str]:
    """What is wrong with the checks themselves (verbs, resource and namespace names)."""
    problems = []
    for index, check in enumerate(checks):
        verb = check.get("verb")
        if verb not in _VERBS:
            problems.append(f"checks[{index}]: verb {_text.quote(verb, 40)} is not a Kubernetes API verb "
                            f"({', '.join(sorted(_VERBS - {'*'}))}, or *)")
        for key in ("resource", "group", "namespace", "subresource"):
            value = check.get(key)
            if value in (None, "") and key != "resource":
                continue
            if not isinstance(value, str) or not _NAME.match(value):
                problems.append(f"checks[{index}]: {key} {_text.quote(value, 80)} is not a Kubernetes name "
                                "(lower-case letters, digits, '-' and '.')")
    return problems


def reviews(checks: list[dict]) -> dict:
    """The ``List`` of SelfSubjectAccessReviews that asks every check, for ``kubectl create -f -``."""
    items = []
    for check in checks:
        attributes = {"verb": check["verb"], "resource": check["resource"]}
        for key in ("group", "namespace", "subresource", "name"):
            if check.get(key):
                attributes[key] = check[key]
        items.append({"apiVersion": SSAR_API_VERSION, "kind": "SelfSubjectAccessReview",
                      "spec": {"resourceAttributes": attributes}})
    return {"apiVersion": "v1", "kind": "List", "items": items}


def json_documents(text: str) -> list:
    """Every JSON document in ``text``, one after the other (what ``kubectl create -o json`` prints for
    several objects); a ``List`` is opened into its items. Raises ValueError on anything else."""
    decoder = json.JSONDecoder()
    found, index, text = [], 0, text or ""
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        try:
            value, index = decoder.raw_decode(text, index)
        except RecursionError as exc:
            raise ValueError("nested too deeply") from exc
        if isinstance(value, dict) and value.get("kind") == "List" and isinstance(value.get("items"), list):
            found.extend(value["items"])
        else:
            found.append(value)
    return found


def _attributes(review) -> tuple:
    attrs = ((review.get("spec") or {}).get("resourceAttributes") or {}) if isinstance(review, dict) else {}
    if not isinstance(attrs, dict):
        attrs = {}
    return tuple(str(attrs.get(key) or "") for key in ("verb", "group", "resource", "subresource", "namespace"))


def judge_reviews(checks: list[dict], answers: list) -> list[dict]:
    """One row per check: ``{name, kind: access, ok, reason, problem?}``.

    Answers are matched to checks by their resource attributes (the API server echoes the spec), so
    their order does not matter; a check with no answer is a problem too, never a pass.
    """
    by_key = {}
    for answer in answers:
        if isinstance(answer, dict) and answer.get("kind") == "SelfSubjectAccessReview":
            by_key.setdefault(_attributes(answer), answer)
    rows = []
    for check in checks:
        name = check_label(check)
        row = {"name": name, "kind": "access", "ok": False, "reason": ""}
        answer = by_key.get(_attributes({"spec": {"resourceAttributes": check}}))
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, dict):
            row["problem"] = f"the API server gave no answer for {name}"
            rows.append(row)
            continue
        reason = _text.clean(status.get("reason") or "", 200, keep_newlines=False)
        error = _text.clean(status.get("evaluationError") or "", 200, keep_newlines=False)
        row["reason"] = reason
        if status.get("allowed") is True and status.get("denied") is not True:
            row["ok"] = True
        else:
            why = "; ".join(part for part in (reason, error) if part)
            row["problem"] = f"this user may not {name}" + (f" ({why})" if why else "")
        rows.append(row)
    return rows


def server_version(stdout: str) -> dict | None:
    """``serverVersion`` of ``kubectl version -o json`` as ``{git_version, major, minor, kubernetes_version}``;
    None when kubectl printed none (the cluster did not answer) or the output is not kubectl's."""
    try:
        data = json.loads(stdout or "")
    except (ValueError, RecursionError):
        return None
    info = data.get("serverVersion") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        return None
    major = _MINOR.match(str(info.get("major") or ""))
    minor = _MINOR.match(str(info.get("minor") or ""))
    if not (major and minor):
        # Some distributions leave major/minor empty; gitVersion (v1.33.1-eks-...) still says it.
        match = re.match(r"^v?(\d{1,4})\.(\d{1,4})", str(info.get("gitVersion") or ""))
        if not match:
            return None
        major, minor = match, re.match(r"(\d+)", match[2])
    major_n, minor_n = int(major[1]), int(minor[1])
    return {"git_version": _text.clean(info.get("gitVersion") or "", 80, keep_newlines=False),
            "major": major_n, "minor": minor_n, "kubernetes_version": f"{major_n}.{minor_n}"}


def parse_min_version(text) -> tuple[int, int] | None:
    match = _MIN_VERSION.match(text.strip()) if isinstance(text, str) else None
    return (int(match[1]), int(match[2])) if match else None


def version_row(version: dict | None, min_version: str | None, stderr: str, context: str) -> dict:
    """The reachability and version row: the API server answered, and is at least ``min_version``."""
    row = {"name": f"the API server of {context}", "kind": "cluster", "ok": False}
    if version is None:
        said = _text.last_line(stderr) or "kubectl printed no server version"
        row["problem"] = f"the API server of the context {context} did not answer ({said})"
        lowered = said.lower()
        if "unauthorized" in lowered or "logged in" in lowered:
            row["hint"] = ("The kubeconfig's credentials were refused: log in again (or refresh the token) for this "
                           "context, then run again.")
        elif "does not exist" in lowered and "context" in lowered:
            row["hint"] = "Set mcpmesh_kube_context to one of the kubeconfig's contexts."
        else:
            row["hint"] = ("Check that the cluster is running and reachable from this machine (kubectl --context "
                           f"{context} get --raw /readyz), and that the kubeconfig points at it.")
        return row
    row["found"] = version["git_version"] or version["kubernetes_version"]
    wanted = parse_min_version(min_version) if min_version else None
    if wanted and (version["major"], version["minor"]) < wanted:
        row["problem"] = (f"the cluster runs Kubernetes {version['kubernetes_version']} ({row['found']}), "
                          f"older than {wanted[0]}.{wanted[1]}, the oldest the roles are written for")
        row["hint"] = "Upgrade the cluster, or use a kind cluster (mcpmesh_cluster_provider=kind)."
        return row
    row["ok"] = True
    row["hint"] = ""
    return row


def context_row(contexts_stdout: str, context: str | None, kubeconfig: str | None) -> dict:
    """Whether the kubeconfig holds ``context``; the row names what it holds when it does not."""
    names = [line.strip() for line in (contexts_stdout or "").splitlines() if line.strip()]
    where = f"the kubeconfig {kubeconfig}" if kubeconfig else "the kubeconfig (KUBECONFIG or ~/.kube/config)"
    row = {"name": f"context {context}", "kind": "context", "ok": context in names, "hint": ""}
    if not row["ok"]:
        held = _text.names([_text.clean(n, 100, False) for n in names]) if names else "no context at all"
        row["problem"] = f"{where} has no context {_text.quote(context, 120)} (it has {held})"
        row["hint"] = "Set mcpmesh_kube_context (and mcpmesh_kubeconfig) to the cluster's context."
    return row


def report(rows: list[dict], context: str) -> str:
    """One message naming every failed check with what to do."""
    failed = [row for row in rows if not row["ok"]]
    lines = [f"The cluster behind the context {context} is not ready for this run ({len(failed)} problem(s)); "
             "nothing was changed:"]
    denied = [row for row in failed if row["kind"] == "access"]
    for number, row in enumerate([row for row in failed if row["kind"] != "access"], start=1):
        hint = _text.clean(row.get("hint", ""), 300, False)
        lines.append(f"  {number}. {_text.clean(row['problem'], 500, False)}. {hint}".rstrip())
    if denied:
        shown = "; ".join(_text.clean(row["problem"], 300, False) for row in denied[:_text.LIST_LIMIT])
        more = f"; and {len(denied) - _text.LIST_LIMIT} more" if len(denied) > _text.LIST_LIMIT else ""
        lines.append(f"  {len(lines)}. {shown}{more}. Ask the cluster's administrator for these permissions "
                     "(the roles install CRDs, webhooks and cluster-wide RBAC, so cluster-admin is the usual grant), "
                     "or use a kind cluster of your own (mcpmesh_cluster_provider=kind).")
    return "\n".join(lines)
