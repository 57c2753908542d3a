# SPDX-License-Identifier: GPL-3.0-or-later
"""cluster_access through ansible-playbook, against stand-in kubectl CLIs that print kubectl's recorded
answers (tests/fixtures/cluster_access, see SOURCE.md there).

Every case is one task of a single playbook (one ansible-playbook run), each with its own stand-in
(``kubectl_path``); the stand-in logs its arguments and keeps what it read on stdin, so the test sees
the SelfSubjectAccessReviews that were sent and which calls were never made.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from conftest import BIN, run_module_tasks, run_playbook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_access"
pytestmark = pytest.mark.slow

CHECKS = [
    {"verb": "create", "resource": "namespaces"},
    {"verb": "create", "resource": "customresourcedefinitions", "group": "apiextensions.k8s.io"},
    {"verb": "create", "resource": "secrets", "namespace": "linkerd"},
]


def stand_in(folder: Path, name: str, version: tuple[str | None, str | None, int],
             create: tuple[str | None, str | None, int] = ("kubectl-create-ssar-allowed.json", None, 0)) -> Path:
    """A kubectl answering `config get-contexts`, `version` and `create -f -` from fixture files."""
    log, stdin = folder / f"{name}.calls", folder / f"{name}.stdin"

    def reply(out, err, rc):
        parts = [f"cat {shlex.quote(str(FIXTURES / out))}"] if out else []
        parts += [f"cat {shlex.quote(str(FIXTURES / err))} >&2"] if err else []
        return "; ".join(parts + [f"exit {rc}"])

    script = "\n".join([
        "#!/bin/sh",
        f'printf "%s\\n" "$*" >> {shlex.quote(str(log))}',
        'case " $* " in',
        f'  *" get-contexts "*) {reply("kubectl-config-get-contexts.stdout", None, 0)} ;;',
        f'  *" version "*) {reply(*version)} ;;',
        f'  *" create "*) cat > {shlex.quote(str(stdin))}; {reply(*create)} ;;',
        '  *) echo "stand-in: unexpected arguments: $*" >&2; exit 99 ;;',
        "esac", ""])
    path = folder / name
    path.write_text(script)
    path.chmod(0o755)
    return path


VERSION_OK = ("kubectl-version.json", None, 0)
CASES = {
    "allowed": dict(version=VERSION_OK),
    "check_mode": dict(version=VERSION_OK),
    "denied": dict(version=VERSION_OK, create=("kubectl-create-ssar-denied.json", None, 0)),
    "report_only": dict(version=VERSION_OK, create=("kubectl-create-ssar-denied.json", None, 0)),
    "refused": dict(version=("kubectl-version-refused.stdout", "kubectl-version-refused.stderr", 1)),
    "unauthorized": dict(version=(None, "kubectl-version-unauthorized.stderr", 1)),
    "old": dict(version=VERSION_OK),
    "no_context": dict(version=VERSION_OK),
    "no_kubeconfig": dict(version=VERSION_OK),
    "review_error": dict(version=VERSION_OK, create=(None, "kubectl-version-unauthorized.stderr", 1)),
    "not_json": dict(version=VERSION_OK, create=("kubectl-version-refused.stderr", None, 0)),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster_access")
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    results = {}
    for name, answers in CASES.items():
        args = {"kubectl_path": str(stand_in(folder, name, **answers)), "kubeconfig": str(kubeconfig),
                "context": "prod", "min_version": "1.30", "checks": CHECKS}
        if name == "old":
            args["min_version"] = "1.34"
        if name == "no_context":
            args["context"] = "staging"
        if name == "no_kubeconfig":
            args["kubeconfig"] = str(folder / "missing")
        if name == "report_only":
            args["fail_on_problems"] = False
        _run, result = run_module_tasks(folder, "mcpmesh.platform.cluster_access", {name: args},
                                        *(["--check"] if name == "check_mode" else []))
        results[name] = result[name]
    calls = {n: (folder / f"{n}.calls").read_text().splitlines() for n in CASES if (folder / f"{n}.calls").exists()}
    stdin = {n: (folder / f"{n}.stdin").read_text() for n in CASES if (folder / f"{n}.stdin").exists()}
    return results, calls, stdin, str(kubeconfig)


def test_an_allowed_cluster_passes_with_its_version(runs):
    results, calls, stdin, kubeconfig = runs
    result = results["allowed"]
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert (result["reachable"], result["server_version"], result["kubernetes_version"]) == (True, "v1.33.1", "1.33")
    assert result["denied"] == [] and result["problems"] == []
    assert [row["kind"] for row in result["checked"]] == ["context", "cluster", "access", "access", "access"]
    # What was asked, in order, with the kubeconfig and context of the options.
    assert calls["allowed"] == [
        f"--kubeconfig {kubeconfig} config get-contexts --output=name",
        f"--kubeconfig {kubeconfig} --context prod version -o json --request-timeout=30s",
        f"--kubeconfig {kubeconfig} --context prod create -f - -o json --validate=false --request-timeout=30s",
    ]
    # The reviews sent are exactly the recorded request the answers belong to.
    assert json.loads(stdin["allowed"]) == json.loads((FIXTURES / "ssar-request.json").read_text())


def test_check_mode_asks_the_same_and_changes_nothing(runs):
    results, calls = runs[0], runs[1]
    assert results["check_mode"].get("failed") is not True
    assert results["check_mode"]["kubernetes_version"] == "1.33"
    assert len(calls["check_mode"]) == 3


def test_refusals_fail_naming_each_permission(runs):
    result = runs[0]["denied"]
    assert result["failed"] is True
    assert result["denied"] == ["create customresourcedefinitions.apiextensions.k8s.io cluster-wide",
                                "create secrets in namespace linkerd"]
    assert "this user may not create secrets in namespace linkerd" in result["msg"]
    assert "cluster-admin" in result["msg"] and "mcpmesh_cluster_provider=kind" in result["msg"]


def test_report_only_returns_the_refusals_without_failing(runs):
    result = runs[0]["report_only"]
    assert result.get("failed") is not True
    assert len(result["denied"]) == 2 and len(result["problems"]) == 2


def test_an_unreachable_cluster_fails_before_any_review(runs):
    results, calls, stdin = runs[0], runs[1], runs[2]
    result = results["refused"]
    assert result["failed"] is True and result["reachable"] is False and result["kubernetes_version"] is None
    assert "127.0.0.1:1 was refused" in result["msg"] and "get --raw /readyz" in result["msg"]
    assert not any(" create " in f" {line} " for line in calls["refused"])
    assert "refused" not in stdin


def test_refused_credentials_say_to_log_in_again(runs):
    result = runs[0]["unauthorized"]
    assert result["failed"] is True
    assert "You must be logged in to the server (Unauthorized)" in result["msg"]
    assert "log in again" in result["msg"]


def test_a_cluster_older_than_the_minimum_fails_and_still_reports_the_permissions(runs):
    results, calls = runs[0], runs[1]
    result = results["old"]
    assert result["failed"] is True and result["kubernetes_version"] == "1.33"
    assert "Kubernetes 1.33 (v1.33.1), older than 1.34" in result["msg"]
    assert len(calls["old"]) == 3 and result["denied"] == []


def test_a_missing_context_names_the_ones_there_and_asks_nothing_else(runs):
    results, calls = runs[0], runs[1]
    assert results["no_context"]["failed"] is True
    assert "has no context 'staging' (it has kind-gone, prod)" in results["no_context"]["msg"]
    assert len(calls["no_context"]) == 1


def test_a_missing_kubeconfig_fails_without_running_kubectl(runs):
    results, calls = runs[0], runs[1]
    assert results["no_kubeconfig"]["failed"] is True
    assert "does not exist" in results["no_kubeconfig"]["msg"] and "mcpmesh_kubeconfig" in results["no_kubeconfig"]["msg"]
    assert "no_kubeconfig" not in calls


def test_a_failed_review_call_says_what_to_check(runs):
    result = runs[0]["review_error"]
    assert result["failed"] is True and result["rc"] == 1
    assert "did not answer the access reviews" in result["msg"] and "Unauthorized" in result["msg"]
    assert "Traceback" not in json.dumps(result)


def test_output_that_is_not_json_is_reported(runs):
    result = runs[0]["not_json"]
    assert result["failed"] is True
    assert "printed something that is not JSON" in result["msg"]
    assert "Traceback" not in json.dumps(result)


# The preflight role on an existing cluster, with the role's own list of permissions: a kubectl
# stand-in that answers each review it is sent in the API's shape (the review echoed with its status),
# refusing CRDs to the context `locked`; helm and linkerd print their recorded versions.
KUBECTL_API = r'''#!{python}
import json, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\n")
if "get-contexts" in args:
    print("prod\nlocked")
elif "version" in args:
    sys.stdout.write(open({version!r}).read())
elif "create" in args:
    sent = json.load(sys.stdin)
    for item in sent["items"]:
        attrs = item["spec"]["resourceAttributes"]
        refused = "locked" in args and attrs["resource"] == "customresourcedefinitions"
        item["metadata"] = {{"creationTimestamp": None}}
        item["status"] = {{"allowed": not refused, "reason": ""}}
        print(json.dumps(item, indent=4))
else:
    sys.exit(99)
'''


@pytest.fixture(scope="module")
def preflight_runs(tmp_path_factory):
    import sys

    folder = tmp_path_factory.mktemp("preflight_existing")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(KUBECTL_API.format(python=sys.executable, log=str(folder / "kubectl.calls"),
                                          version=str(FIXTURES / "kubectl-version.json")))
    preflight = FIXTURES.parent / "preflight"
    for name, fixture in (("helm", "helm-version-short.stdout"), ("linkerd", "linkerd-version-client-short.stdout")):
        (bin_dir / name).write_text(f"#!/bin/sh\ncat {shlex.quote(str(preflight / fixture))}\n")
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    out = folder / "results.json"
    common = {"mcpmesh_cluster_provider": "existing", "mcpmesh_kubeconfig": str(kubeconfig), "mcpmesh_apply": True}
    tasks = []
    for case, context in (("allowed", "prod"), ("locked", "locked")):
        tasks.append({"name": f"Run preflight against {context}.", "block": [
            {"name": "Run the role.", "ansible.builtin.include_role": {"name": "mcpmesh.platform.preflight"},
             "vars": {**common, "mcpmesh_kube_context": context}},
            {"name": "Keep the outcome.", "ansible.builtin.set_fact": {
                f"o_{case}": {"failed": False, "version": "{{ mcpmesh_kubernetes_version | default('unset') }}",
                              "access": "{{ preflight_cluster_access }}"}}}],
            "rescue": [{"name": "Keep the failure.", "ansible.builtin.set_fact": {
                f"o_{case}": {"failed": True, "msg": "{{ ansible_failed_result.msg }}",
                              "denied": "{{ ansible_failed_result.denied | default([]) }}"}}}]})
    tasks.append({"name": "Keep the results.", "ansible.builtin.copy": {
        "content": "{{ {'allowed': o_allowed, 'locked': o_locked} | to_json }}", "dest": str(out), "mode": "0600"}})
    playbook = folder / "pb.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    res = run_playbook(playbook, env={"PATH": f"{bin_dir}:{BIN}:/bin"})
    assert out.exists(), res
    return json.loads(out.read_text()), (folder / "kubectl.calls").read_text().splitlines()


def test_preflight_on_an_existing_cluster_checks_every_permission_and_takes_its_version(preflight_runs):
    results, calls = preflight_runs
    allowed = results["allowed"]
    assert allowed["failed"] is False, allowed
    assert allowed["version"] == "1.33"          # the artifacts are validated against the live version
    names = [row["name"] for row in allowed["access"]["checked"] if row["kind"] == "access"]
    assert "create customresourcedefinitions.apiextensions.k8s.io cluster-wide" in names
    assert "create secrets in namespace linkerd" in names
    assert "create deployments.apps in namespace petstore" in names
    assert not any("metallb" in name for name in names)   # no MetalLB on an existing cluster by default
    # No container engine and no kind: only kubectl was asked about the cluster.
    assert any(line.startswith("--kubeconfig") and "--context prod create" in line for line in calls)


def test_preflight_names_what_the_user_may_not_do(preflight_runs):
    locked = preflight_runs[0]["locked"]
    assert locked["failed"] is True
    assert locked["denied"] == ["create customresourcedefinitions.apiextensions.k8s.io cluster-wide"]
    assert "The cluster behind the context locked is not ready for this run (1 problem(s))" in locked["msg"]
