# SPDX-License-Identifier: GPL-3.0-or-later
"""A failure report for a task that carries a secret, built only from parts that cannot hold it.

ansible-core 2.19 prints a failing task's message even under ``no_log`` when the failure comes
through an action plugin (kubernetes.core.k8s, kubernetes.core.helm, ...), and the Kubernetes API
or Helm may quote the request body or the values file in that message. The roles therefore run
such tasks with ``failed_when: false`` (which prints nothing), and report a failure from this
module's summary: the HTTP status and the API's one-word reason for Kubernetes, the exit code,
Helm's error class and the command with its values cut out for Helm. Nothing else of the
message, stdout or stderr is ever used. Pure logic, no Ansible imports.
"""
from __future__ import annotations

import re

_K8S_CODE = re.compile(r"""["']code["']\s*:\s*(\d{3})\b""")
_K8S_REASON = re.compile(r"""["']reason["']\s*:\s*["']([A-Za-z]{1,40})["']""")
_HTTP_STATUS = re.compile(r"\((\d{3})\)")
# "Error: UPGRADE FAILED: ..." / "Error: INSTALLATION FAILED: ..." / "Error: query: failed to query ..."
_HELM_CLASS = re.compile(r"Error: ([A-Z][A-Z ]{2,40}FAILED)\b")
_HELM_EXIT = re.compile(r"Exited (\d{1,3})\.")
# Options whose value is data: everything after them is cut.
_VALUE_OPTIONS = re.compile(r"\s--(set|set-string|set-file|set-json|set-literal|password|username)(=|\s).*$", re.S)
_HTTP_REASON = re.compile(r"[A-Za-z][A-Za-z -]{0,40}")
COMMAND_LIMIT = 400


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def is_failure(result) -> bool:
    """Whether a result registered with ``failed_when: false`` came from a failing task.

    Both kubernetes.core.k8s and kubernetes.core.helm return ``msg`` only when they fail (``failed``
    itself is overwritten by ``failed_when: false``); a skipped task is no failure.
    """
    if not isinstance(result, dict) or result.get("skipped"):
        return False
    return bool(result.get("msg")) or bool(result.get("exception")) or bool(result.get("unreachable"))


def kubernetes_summary(result) -> dict:
    """{'status': int|None, 'reason': str|None} of a failed kubernetes.core.k8s result."""
    msg = _text(result.get("msg")) if isinstance(result, dict) else ""
    code = _K8S_CODE.search(msg) or _HTTP_STATUS.search(msg)
    reason = _K8S_REASON.search(msg)
    http_reason = _text(result.get("reason")) if isinstance(result, dict) else ""
    if not reason and http_reason and _HTTP_REASON.fullmatch(http_reason):
        reason_text = http_reason
    else:
        reason_text = reason.group(1) if reason else None
    return {"status": int(code.group(1)) if code else None, "reason": reason_text}


def safe_command(command) -> str:
    """A Helm command line with the values of value-carrying options cut out, bounded."""
    if isinstance(command, (list, tuple)):
        command = " ".join(str(part) for part in command)
    text = _VALUE_OPTIONS.sub(" --set ... (values not shown)", _text(command))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= COMMAND_LIMIT else text[:COMMAND_LIMIT] + " ..."


def helm_summary(result) -> dict:
    """{'rc': int|None, 'error': str|None, 'command': str} of a failed kubernetes.core.helm result."""
    if not isinstance(result, dict):
        return {"rc": None, "error": None, "command": ""}
    msg, stderr = _text(result.get("msg")), _text(result.get("stderr"))
    exit_match = _HELM_EXIT.search(msg)
    error = _HELM_CLASS.search(stderr) or _HELM_CLASS.search(msg)
    return {
        "rc": int(exit_match.group(1)) if exit_match else None,
        "error": error.group(1) if error else None,
        "command": safe_command(result.get("command")),
    }


# The safe parts of a summary a failure message shows, in order: for a helm result (True), a kubernetes one.
_SHOWN = {
    True: (("error", "helm said {}"), ("rc", "exit code {}"), ("command", "command: {}")),
    False: (("status", "HTTP status {}"), ("reason", "reason {}")),
}


def failure_message(result, what: str, next_step: str = "") -> str:
    """The one-line report of a failed secret-bearing task: `what` failed, the safe parts, `next_step`."""
    helm = isinstance(result, dict) and "command" in result
    summary = helm_summary(result) if helm else kubernetes_summary(result)
    # An unknown part (None, or an empty text) is left out; an exit code or status of 0 is shown.
    parts = [shown.format(summary[key]) for key, shown in _SHOWN[helm] if summary[key] not in (None, "")]
    detail = "; ".join(parts) if parts else "no detail that is safe to show"
    text = f"{what} failed ({detail}). Its full message is not shown because it may quote the secret."
    if next_step:
        text += " " + next_step
    return text
