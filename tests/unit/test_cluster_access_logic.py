# SPDX-License-Identifier: GPL-3.0-or-later
"""The judging logic of cluster_access, against kubectl's recorded answers (tests/fixtures/cluster_access)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _cluster_access as ca

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_access"

# The three checks of ssar-request.json, as the module's options give them.
CHECKS = [
    {"verb": "create", "resource": "namespaces", "group": "", "namespace": "", "subresource": ""},
    {"verb": "create", "resource": "customresourcedefinitions", "group": "apiextensions.k8s.io", "namespace": "",
     "subresource": ""},
    {"verb": "create", "resource": "secrets", "group": "", "namespace": "linkerd", "subresource": ""},
]


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_the_reviews_sent_are_the_recorded_request():
    assert ca.reviews(CHECKS) == json.loads(text("ssar-request.json"))


def test_kubectl_prints_one_document_per_review_and_all_three_are_read():
    answers = ca.json_documents(text("kubectl-create-ssar-allowed.json"))
    assert [a["kind"] for a in answers] == ["SelfSubjectAccessReview"] * 3
    rows = ca.judge_reviews(CHECKS, answers)
    assert [r["ok"] for r in rows] == [True, True, True]
    assert rows[0]["reason"].startswith("RBAC: allowed by ClusterRoleBinding")
    assert [r["name"] for r in rows] == ["create namespaces cluster-wide",
                                         "create customresourcedefinitions.apiextensions.k8s.io cluster-wide",
                                         "create secrets in namespace linkerd"]


def test_refusals_are_named_and_the_allowed_check_still_passes():
    rows = ca.judge_reviews(CHECKS, ca.json_documents(text("kubectl-create-ssar-denied.json")))
    assert [r["ok"] for r in rows] == [True, False, False]
    assert rows[1]["problem"] == "this user may not create customresourcedefinitions.apiextensions.k8s.io cluster-wide"
    assert rows[2]["problem"] == "this user may not create secrets in namespace linkerd"


def test_answers_are_matched_by_attributes_not_order():
    answers = ca.json_documents(text("kubectl-create-ssar-denied.json"))
    rows = ca.judge_reviews(list(reversed(CHECKS)), list(reversed(answers)))
    assert [r["ok"] for r in rows] == [False, False, True]


def test_a_list_is_opened_into_its_items():
    answers = ca.json_documents(text("kubectl-create-ssar-allowed.json"))
    wrapped = json.dumps({"apiVersion": "v1", "kind": "List", "items": answers})
    assert ca.json_documents(wrapped) == answers


def test_a_check_without_answer_fails_and_is_never_a_pass():
    answers = ca.json_documents(text("kubectl-create-ssar-allowed.json"))[:1]
    rows = ca.judge_reviews(CHECKS, answers)
    assert [r["ok"] for r in rows] == [True, False, False]
    assert rows[1]["problem"].startswith("the API server gave no answer for create customresourcedefinitions")


@pytest.mark.parametrize("status", [
    {"allowed": True, "denied": True},        # an authorizer that denies outright wins
    {"allowed": "true"},                      # not a boolean
    {"denied": True, "reason": "webhook says no"},
    {},
])
def test_only_a_plain_allowed_passes(status):
    answer = {"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "create", "resource": "namespaces"}},
              "status": status}
    assert ca.judge_reviews(CHECKS[:1], [answer])[0]["ok"] is False


def test_the_reason_and_evaluation_error_are_quoted_cleaned_and_bounded():
    answer = {"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "create", "resource": "namespaces"}},
              "status": {"allowed": False, "reason": "no\x1b[31m rule " + "x" * 1000, "evaluationError": "webhook\x00 down"}}
    row = ca.judge_reviews(CHECKS[:1], [answer])[0]
    assert "\x1b" not in row["problem"] and "\x00" not in row["problem"]
    assert "webhook down" in row["problem"]
    assert len(row["problem"]) < 600


def test_output_that_is_not_json_raises_value_error():
    with pytest.raises(ValueError):
        ca.json_documents('{"kind": "SelfSubjectAccessReview"} and then <html>')
    with pytest.raises(ValueError):
        ca.json_documents("[" * 100000)


def test_server_version_of_a_cluster_that_answers():
    assert ca.server_version(text("kubectl-version.json")) == {
        "git_version": "v1.33.1", "major": 1, "minor": 33, "kubernetes_version": "1.33"}


@pytest.mark.parametrize(("info", "expected"), [
    ({"major": "1", "minor": "30+", "gitVersion": "v1.30.4-eks-a737599"}, "1.30"),
    ({"major": "", "minor": "", "gitVersion": "v1.31.2+k3s1"}, "1.31"),
    ({"major": "", "minor": "", "gitVersion": "unknown"}, None),
])
def test_server_version_of_distributions(info, expected):
    got = ca.server_version(json.dumps({"serverVersion": info}))
    assert (got and got["kubernetes_version"]) == expected


def test_a_cluster_that_does_not_answer_has_no_server_version():
    assert ca.server_version(text("kubectl-version-refused.stdout")) is None
    assert ca.server_version("") is None
    assert ca.server_version("<html>") is None


def test_version_rows():
    version = ca.server_version(text("kubectl-version.json"))
    assert ca.version_row(version, "1.30", "", "prod")["ok"] is True
    old = ca.version_row(version, "1.34", "", "prod")
    assert old["ok"] is False and "Kubernetes 1.33 (v1.33.1), older than 1.34" in old["problem"]
    refused = ca.version_row(None, "1.30", text("kubectl-version-refused.stderr"), "prod")
    assert "127.0.0.1:1 was refused" in refused["problem"] and "reachable" in refused["hint"]
    unauthorized = ca.version_row(None, None, text("kubectl-version-unauthorized.stderr"), "prod")
    assert "credentials were refused" in unauthorized["hint"]
    missing = ca.version_row(None, None, text("kubectl-version-no-context.stderr"), "nope")
    assert "mcpmesh_kube_context" in missing["hint"]


def test_context_row_names_what_the_kubeconfig_has():
    listed = text("kubectl-config-get-contexts.stdout")
    assert ca.context_row(listed, "prod", None)["ok"] is True
    row = ca.context_row(listed, "staging", "/home/u/.kube/east")
    assert row["ok"] is False
    assert row["problem"] == "the kubeconfig /home/u/.kube/east has no context 'staging' (it has kind-gone, prod)"
    assert "no context at all" in ca.context_row("", "prod", None)["problem"]


def test_check_problems_name_the_option():
    assert ca.check_problems(CHECKS) == []
    wrong = ca.check_problems([{"verb": "destroy", "resource": "pods"},
                               {"verb": "get", "resource": "Pods; rm -rf", "namespace": "a" * 300}])
    assert wrong[0].startswith("checks[0]: verb 'destroy' is not a Kubernetes API verb")
    assert any(w.startswith("checks[1]: resource") for w in wrong)
    assert any(w.startswith("checks[1]: namespace") for w in wrong)


def test_report_lists_every_problem_with_what_to_do():
    rows = [ca.context_row("prod\n", "prod", None),
            ca.version_row(ca.server_version(text("kubectl-version.json")), "1.34", "", "prod")]
    rows += ca.judge_reviews(CHECKS, ca.json_documents(text("kubectl-create-ssar-denied.json")))
    message = ca.report(rows, "prod")
    lines = message.splitlines()
    assert lines[0].startswith("The cluster behind the context prod is not ready for this run (3 problem(s))")
    assert lines[1].startswith("  1. the cluster runs Kubernetes 1.33")
    assert lines[2].startswith("  2. this user may not create customresourcedefinitions")
    assert "create secrets in namespace linkerd" in lines[2] and "cluster-admin" in lines[2]


def test_min_version_parsing():
    assert ca.parse_min_version("1.30") == (1, 30)
    assert ca.parse_min_version("v1.30.2") == (1, 30)
    assert ca.parse_min_version("1.x") is None
    assert ca.parse_min_version(None) is None
