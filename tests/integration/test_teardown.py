# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/teardown.yml against a cluster that is already gone (issue 13, item 1).

Stand-in kubectl, helm and kind on PATH print the outputs recorded in tests/fixtures/teardown
(see SOURCE.md there) and log every call. The kubeconfig is an empty file. The teardown must
finish with rc 0 and changed=0, say that there is nothing to remove and why, and never call Helm
(which would fail on the missing context), and the probe of the API server must be bounded.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import BIN, ROOT, run_playbook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.slow

KUBECTL = """#!/bin/sh
echo "kubectl $*" >> "$STANDIN_LOG"
case "$*" in
  "config get-contexts --output=name"*) cat "$STANDIN_CONTEXTS"; exit 0 ;;
  "--context "*" get --raw /readyz "*)
    if [ -n "$STANDIN_HANG" ]; then sleep "$STANDIN_HANG"; fi
    cat "$STANDIN_READYZ_OUT"; cat "$STANDIN_READYZ_ERR" >&2; exit "$STANDIN_READYZ_RC" ;;
esac
echo "stand-in kubectl: unexpected arguments: $*" >&2
exit 99
"""

# Helm must not be reached: against a context that does not exist it fails the whole run.
HELM = """#!/bin/sh
echo "helm $*" >> "$STANDIN_LOG"
echo "Error: Kubernetes cluster unreachable: context \\"kind-mcpmesh\\" does not exist" >&2
exit 1
"""

KIND = """#!/bin/sh
echo "kind $*" >> "$STANDIN_LOG"
case "$1 $2" in
  "get clusters") cat "$STANDIN_KIND_NONE" >&2; exit 0 ;;
esac
echo "stand-in kind: unexpected arguments: $*" >&2
exit 99
"""


class World:
    """The stand-ins, their answers, and the calls they saw."""

    def __init__(self, tmp_path: Path):
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name, body in (("kubectl", KUBECTL), ("helm", HELM), ("kind", KIND)):
            path = self.bin / name
            path.write_text(body)
            path.chmod(0o755)
        self.log = tmp_path / "calls.log"
        self.log.touch()
        self.kubeconfig = tmp_path / "kubeconfig"
        self.kubeconfig.write_text("")  # what a machine whose kind cluster was deleted can have
        self.empty = tmp_path / "empty.out"
        self.empty.write_text("")
        self.env = {
            "PATH": f"{self.bin}:{BIN}:/bin",
            "KUBECONFIG": str(self.kubeconfig),
            "STANDIN_LOG": str(self.log),
            "STANDIN_CONTEXTS": str(FIXTURES / "teardown" / "kubectl-config-get-contexts-empty.stdout"),
            "STANDIN_READYZ_OUT": str(self.empty),
            "STANDIN_READYZ_ERR": str(FIXTURES / "teardown" / "kubectl-get-raw-readyz-refused.stderr"),
            "STANDIN_READYZ_RC": "1",
            "STANDIN_KIND_NONE": str(FIXTURES / "kind" / "kind-get-clusters-none.stderr"),
        }

    def context_left_behind(self) -> None:
        """The kubeconfig still names kind-mcpmesh, but its API server is gone."""
        self.env["STANDIN_CONTEXTS"] = str(FIXTURES / "teardown" / "kubectl-config-get-contexts-kind.stdout")

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()

    def teardown(self, **extra_vars):
        return run_playbook(ROOT / "playbooks" / "teardown.yml", extra_vars=extra_vars or None, env=self.env)


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_nothing_removed(res) -> None:
    assert res.rc == 0, res
    assert res.localhost["failed"] == 0 and res.localhost["changed"] == 0, res


def test_an_empty_kubeconfig_means_nothing_to_remove(world):
    res = world.teardown()
    assert_nothing_removed(res)
    assert "Nothing to remove: the context kind-mcpmesh is not in the kubeconfig" in flat(res.stdout), res
    assert "was kept; delete it with -e mcpmesh_teardown_cluster=true" in flat(res.stdout), res
    assert world.calls() == ["kubectl config get-contexts --output=name"]


def test_an_explicit_kubeconfig_is_the_one_asked(world, tmp_path):
    other = tmp_path / "other-kubeconfig"
    other.write_text("")
    res = world.teardown(mcpmesh_kubeconfig=str(other))
    assert_nothing_removed(res)
    assert f"is not in the kubeconfig {other}" in flat(res.stdout), res
    assert world.calls() == [f"kubectl config get-contexts --output=name --kubeconfig {other}"]


def test_a_context_whose_api_server_is_gone_means_nothing_to_remove(world):
    world.context_left_behind()
    res = world.teardown()
    assert_nothing_removed(res)
    text = flat(res.stdout)
    assert "Nothing to remove: the API server of kind-mcpmesh did not answer within 10 s" in text, res
    assert "The connection to the server 127.0.0.1:39999 was refused" in text, res
    assert not [c for c in world.calls() if c.startswith("helm")], world.calls()
    assert world.calls()[1] == "kubectl --context kind-mcpmesh get --raw /readyz --request-timeout=10s"


def test_deleting_a_cluster_kind_does_not_know_is_a_no_op(world):
    res = world.teardown(mcpmesh_teardown_cluster=True)
    assert_nothing_removed(res)
    assert "The kind cluster kind-mcpmesh was not there, so nothing was deleted" in flat(res.stdout), res
    assert [c for c in world.calls() if c.startswith("kind")] == ["kind get clusters"]


def test_an_api_server_that_hangs_is_given_up_on_in_bounded_time(world):
    world.context_left_behind()
    world.env["STANDIN_HANG"] = "60"
    started = time.monotonic()
    res = world.teardown(mcpmesh_teardown_probe_timeout=1)
    elapsed = time.monotonic() - started
    assert_nothing_removed(res)
    assert "did not answer within 1 s" in flat(res.stdout), res
    assert elapsed < 45, f"the probe took {elapsed:.0f} s"


def test_without_kubectl_the_run_says_what_to_install(world):
    missing = world.bin / "no-such-kubectl"
    res = world.teardown(mcpmesh_kubectl=str(missing))
    assert res.rc == 2, res
    text = flat(res.stdout)
    assert f"Teardown could not list the kubeconfig contexts with {missing}" in text, res
    assert "Install kubectl (https://kubernetes.io/docs/tasks/tools/) or set mcpmesh_kubectl" in text, res
    assert not [c for c in world.calls() if c.startswith("helm")]


def test_roles_remove_owned_objects_before_their_operators(world):
    """The order the cosmonic role's absent path takes: the objects the operators own are deleted
    before the release that runs the operators is uninstalled, and every wait has a deadline."""
    import yaml

    tasks = yaml.safe_load((ROOT / "roles/cosmonic/tasks/absent.yml").read_text())
    block = next(t for t in tasks if "block" in t)["block"]
    names = [t["name"] for t in block]
    objects_first = names.index("Delete the triggers and workloads while the operators still run.")
    hosts = names.index("Delete the wasmCloud hosts the HostGroup left, while the operator still runs.")
    control = names.index("Uninstall the Cosmonic Control release (the operators).")
    assert objects_first < hosts < control, names
    for path in sorted((ROOT / "roles").glob("*/tasks/absent*.yml")):
        text = path.read_text()
        for chunk in text.split("wait: true")[1:]:
            assert "wait_timeout:" in chunk.split("- name:")[0], f"an unbounded wait in {path}"
