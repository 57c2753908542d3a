# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _masking as m

SECRET = "LICENCE-0123456789abcdef"
B64 = base64.b64encode(SECRET.encode()).decode()

# The shapes kubernetes.core 6.2 gives when a create is refused (runner.py: msg and reason), with the
# API's Status body quoting the request.
K8S_FAILED = {
    "changed": False, "failed": False, "failed_when_result": False, "reason": "Unprocessable Entity",
    "msg": 'Failed to create object: b\'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
           f'"message":"admission webhook denied the request: {{\\"data\\": {{\\"license\\": \\"{B64}\\"}}}}",'
           '"reason":"Invalid","code":422}\'',
}
HELM_FAILED = {
    "changed": False, "failed": False,
    "msg": f"Failure when executing Helm command. Exited 1.\nstdout: \nstderr: Error: UPGRADE FAILED: "
           f"values don't meet the specifications:\ncosmonicLicenseKey: {SECRET}\n",
    "stdout": "", "stderr": f"Error: UPGRADE FAILED: values don't meet the specifications:\ncosmonicLicenseKey: {SECRET}\n",
    "command": "/usr/bin/helm --version=0.3.0 upgrade -i --values=/tmp/p/control-values.yml cosmonic-control 'oci://x'",
}


def test_a_refused_secret_is_summarised_by_status_and_reason_only():
    assert m.kubernetes_summary(K8S_FAILED) == {"status": 422, "reason": "Invalid"}
    text = m.failure_message(K8S_FAILED, "Writing the buoyant-license Secret", "Check RBAC.")
    assert text == ("Writing the buoyant-license Secret failed (HTTP status 422; reason Invalid). "
                    "Its full message is not shown because it may quote the secret. Check RBAC.")
    assert B64 not in text and SECRET not in text


def test_without_a_status_body_the_http_reason_phrase_is_used():
    result = {"msg": "Failed to create object: connection refused", "reason": "Service Unavailable"}
    assert m.kubernetes_summary(result) == {"status": None, "reason": "Service Unavailable"}
    assert m.kubernetes_summary({"msg": f"boom {SECRET}", "reason": f"{SECRET}!"}) == {"status": None, "reason": None}


def test_a_failed_helm_upgrade_is_summarised_by_class_exit_code_and_command():
    assert m.helm_summary(HELM_FAILED) == {"rc": 1, "error": "UPGRADE FAILED", "command": HELM_FAILED["command"]}
    text = m.failure_message(HELM_FAILED, "Installing cosmonic-control")
    assert text.startswith("Installing cosmonic-control failed (helm said UPGRADE FAILED; exit code 1; command: /usr/bin/helm")
    assert SECRET not in text


@pytest.mark.parametrize("option", ["--set", "--set-string", "--set-file", "--set-json", "--password"])
def test_values_on_the_command_line_are_cut(option):
    cmd = f"helm upgrade -i x chart {option} key={SECRET} --wait"
    assert SECRET not in m.safe_command(cmd)
    assert m.safe_command(cmd).startswith("helm upgrade -i x chart --set ... (values not shown)")
    assert SECRET not in m.safe_command(["helm", "upgrade", f"{option}=key={SECRET}"])


def test_commands_are_bounded_and_printable():
    text = m.safe_command("helm \x1b[31m" + "x" * 1000)
    assert "\x1b" not in text and len(text) <= m.COMMAND_LIMIT + 4


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        (K8S_FAILED, True),
        (HELM_FAILED, True),
        ({"changed": True, "result": {"kind": "Secret"}, "failed": False}, False),
        ({"changed": False, "status": None, "command": "helm", "stdout": "", "stderr": ""}, False),
        ({"skipped": True, "msg": "Conditional result was False"}, False),
        ({"unreachable": True}, True),
        (None, False),
        ("text", False),
    ],
)
def test_is_failure(result, failed):
    assert m.is_failure(result) is failed


def test_no_safe_detail_still_says_what_failed():
    assert "(no detail that is safe to show)" in m.failure_message({"msg": SECRET}, "Writing X")


@given(st.dictionaries(st.sampled_from(["msg", "reason", "stderr", "command", "stdout"]),
                       st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text(), max_size=3)), max_size=5))
def test_never_raises_and_never_quotes_free_text(result):
    result = {**result}
    text = m.failure_message(result, "Doing it")
    assert isinstance(text, str) and text.startswith("Doing it failed (")
