# SPDX-License-Identifier: GPL-3.0-or-later
"""The kind_cluster module through ansible-playbook, with stand-in kind and kubectl on PATH.

The stand-ins keep the clusters and kubeconfig contexts they "made" in a state file, so a second
run sees what the first created; they print the recorded outputs in tests/fixtures/kind (see
SOURCE.md there) and append every call to a log the tests read. PATH holds only the stand-ins,
the venv and /bin.
"""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kind"
pytestmark = pytest.mark.slow

STAND_IN = textwrap.dedent("""\
    import json, os, sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    fixtures = Path(FIXTURES)
    state_file = here / "state.json"
    state = json.loads(state_file.read_text())
    tool, args = Path(sys.argv[0]).name, sys.argv[1:]
    with open(here / "calls.log", "a") as log:
        provider = os.environ.get("KIND_EXPERIMENTAL_PROVIDER", "")
        log.write(f"{tool} {' '.join(args)}" + (f" [provider={provider}]" if provider else "") + "\\n")

    def emit(out=None, err=None, rc=0):
        if out:
            sys.stdout.write((fixtures / out).read_text())
        if err:
            sys.stderr.write((fixtures / err).read_text())
        sys.exit(rc)

    def flag(name):
        return args[args.index(name) + 1] if name in args else None

    def save():
        state_file.write_text(json.dumps(state))

    verb = " ".join(args[:2])
    if tool == "kind":
        if verb == "get clusters":
            if state.get("engine_down"):
                emit(err="kind-get-clusters-no-engine.stderr", rc=1)
            if state["clusters"]:
                sys.stdout.write("".join(name + "\\n" for name in state["clusters"]))
                sys.exit(0)
            emit(err="kind-get-clusters-none.stderr")
        if verb == "create cluster":
            name = flag("--name")
            if name in state["clusters"] or state.get("nodes_of_other_provider"):
                emit(err="kind-create-cluster-exists.stderr", rc=1)
            state["clusters"].append(name)
            state["contexts"].append("kind-" + name)
            save()
            emit(err="kind-create-cluster-wait-timeout.stderr" if state["nodes"].endswith("not-ready.json")
                 else "kind-create-cluster.stderr")
        if verb == "delete cluster":
            name = flag("--name")
            if name in state["clusters"]:
                state["clusters"].remove(name)
                state["contexts"] = [c for c in state["contexts"] if c != "kind-" + name]
                save()
            emit(err="kind-delete-cluster.stderr")
        if verb == "export kubeconfig":
            state["contexts"].append("kind-" + flag("--name"))
            save()
            emit(err="kind-export-kubeconfig.stderr")
    if tool == "kubectl":
        if verb == "config get-contexts":
            sys.stdout.write("".join(name + "\\n" for name in state["contexts"]))
            sys.exit(0)
        if flag("--context") not in state["contexts"]:
            sys.stderr.write(f"error: context was not found for specified context: {flag('--context')}\\n")
            sys.exit(1)
        if verb == "get nodes":
            emit(out=state["nodes"])
        if verb == "version -o":
            emit(out="kubectl-version.json")
    sys.stderr.write(f"stand-in {tool}: unexpected arguments: {args}\\n")
    sys.exit(99)
    """)


class World:
    """The stand-ins' directory, their state and their call log."""

    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.bin.mkdir()
        self.root = root
        for tool in ("kind", "kubectl"):
            path = self.bin / tool
            path.write_text(f"#!{sys.executable}\nFIXTURES = {str(FIXTURES)!r}\n" + STAND_IN)
            path.chmod(0o755)
        self.set(clusters=[], contexts=[], nodes="kubectl-get-nodes-ready.json")

    def set(self, **values) -> None:
        state_file = self.bin / "state.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        state.update(values)
        state_file.write_text(json.dumps(state))

    @property
    def state(self) -> dict:
        return json.loads((self.bin / "state.json").read_text())

    def calls(self) -> list[str]:
        log = self.bin / "calls.log"
        calls = log.read_text().splitlines() if log.exists() else []
        if log.exists():
            log.unlink()
        return calls

    def run(self, args: dict, *extra: str):
        return run_module(self.root, "mcpmesh.platform.kind_cluster", args, *extra, bin_dir=self.bin)


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: mcpmesh
nodes:
  - role: control-plane
    image: kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5
    extraPortMappings:
      - containerPort: 30950
        hostPort: 80
        listenAddress: "0.0.0.0"
        protocol: TCP
"""


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "cluster.yml"
    path.write_text(CONFIG)
    return path


def test_create_then_nothing_to_do(world, config):
    args = {"name": "mcpmesh", "config": str(config), "runtime": "docker", "wait_timeout": 120}
    first = world.run(args)
    assert first.rc == 0, first
    assert first.result["changed"] is True and first.result["created"] is True and first.result["existed"] is False
    assert first.result["kubernetes_version"] == "1.36" and first.result["server_version"] == "v1.36.1"
    assert first.result["nodes"] == [{"name": "mcpmesh-control-plane", "ready": True, "roles": ["control-plane"],
                                      "reason": "KubeletReady", "message": "kubelet is posting ready status",
                                      "kubelet": "v1.36.1"}]
    assert world.calls() == [
        "kind get clusters [provider=docker]",
        f"kind create cluster --name mcpmesh --wait 120s --config {config} [provider=docker]",
        "kubectl get nodes -o json --request-timeout 10s --context kind-mcpmesh",
        "kubectl version -o json --request-timeout 10s --context kind-mcpmesh",
    ]
    second = world.run(args)
    assert second.rc == 0, second
    assert second.localhost["changed"] == 0 and second.result["created"] is False and second.result["existed"] is True
    assert not [call for call in world.calls() if "create" in call], "the second run created the cluster again"
    assert world.state["clusters"] == ["mcpmesh"]


def test_check_mode_and_diff_create_nothing(world, config):
    res = world.run({"name": "mcpmesh", "config": str(config)}, "--check", "--diff")
    assert res.rc == 0, res
    assert res.result["changed"] is True and res.result["created"] is True
    assert "+kind cluster mcpmesh" in res.stdout and "+      - containerPort: 30950" in res.stdout, res
    assert world.calls() == ["kind get clusters"]
    assert world.state["clusters"] == []


def test_check_mode_on_an_existing_cluster_reads_the_nodes_and_changes_nothing(world):
    world.set(clusters=["mcpmesh"], contexts=["kind-mcpmesh"])
    res = world.run({"name": "mcpmesh"}, "--check")
    assert res.rc == 0, res
    assert res.result["changed"] is False and res.result["kubernetes_version"] == "1.36"
    expected = [["kind", "get", "clusters"], ["kubectl", "config", "get-contexts"],
                ["kubectl", "get", "nodes"], ["kubectl", "version", "-o"]]
    assert [c.split()[:3] for c in world.calls()] == expected


def test_a_missing_context_is_exported_again(world, tmp_path):
    world.set(clusters=["mcpmesh"], contexts=[])
    kubeconfig = tmp_path / "kubeconfig"
    res = world.run({"name": "mcpmesh", "kubeconfig": str(kubeconfig)})
    assert res.rc == 0, res
    assert res.result["changed"] is True and res.result["exported"] is True and res.result["created"] is False
    assert f"kind export kubeconfig --name mcpmesh --kubeconfig {kubeconfig}" in world.calls()


def test_delete_absent_is_a_no_op_and_delete_present_deletes(world):
    absent = world.run({"name": "mcpmesh", "state": "absent"})
    assert absent.rc == 0, absent
    assert absent.result["changed"] is False and absent.result["deleted"] is False
    assert world.calls() == ["kind get clusters"]

    world.set(clusters=["mcpmesh", "other"], contexts=["kind-mcpmesh", "kind-other"])
    checked = world.run({"name": "mcpmesh", "state": "absent"}, "--check")
    assert checked.result["changed"] is True and checked.result["deleted"] is True
    assert world.calls() == ["kind get clusters"] and "mcpmesh" in world.state["clusters"]

    deleted = world.run({"name": "mcpmesh", "state": "absent"})
    assert deleted.rc == 0, deleted
    assert deleted.result["changed"] is True and deleted.result["deleted"] is True
    assert world.calls() == ["kind get clusters", "kind delete cluster --name mcpmesh"]
    assert world.state["clusters"] == ["other"]


def test_nodes_that_never_get_ready_fail_after_the_timeout(world, config):
    world.set(nodes="kubectl-get-nodes-not-ready.json")
    res = world.run({"name": "mcpmesh", "config": str(config), "wait_timeout": 3, "wait_sleep": 1})
    assert res.rc == 2, res
    text = " ".join(res.stdout.split())
    assert "the nodes of kind cluster 'mcpmesh' were not all Ready within 3s" in text, res
    assert "not Ready: mcpmesh-control-plane (KubeletNotReady: container runtime network not ready" in text, res
    assert "raise wait_timeout" in text
    polls = [c for c in world.calls() if c.startswith("kubectl get nodes")]
    assert 2 <= len(polls) <= 5, polls  # polled until the deadline, not once and not forever


def test_a_cluster_with_fewer_nodes_than_the_config_is_waited_for_until_the_timeout(world, tmp_path):
    two = tmp_path / "two.yml"
    two.write_text(CONFIG + "  - role: worker\n")
    res = world.run({"name": "mcpmesh", "config": str(two), "wait_timeout": 2, "wait_sleep": 1})
    assert res.rc == 2, res
    assert "1 of 2 nodes registered" in res.stdout, res


def test_an_engine_that_does_not_answer_returns_kind_s_error(world):
    world.set(engine_down=True)
    res = world.run({"name": "mcpmesh"})
    assert res.rc == 2, res
    text = " ".join(res.stdout.split())
    assert "Listing the kind clusters failed: ERROR: failed to list clusters" in text, res
    assert "rc: 1" in res.stdout and "cmd:" in res.stdout and "Cannot connect to the Docker daemon" in res.stdout


def test_a_failed_create_returns_the_command_rc_and_stderr(world, config):
    # kind get clusters lists only the detected provider's clusters; nodes of the other one still clash.
    world.set(nodes_of_other_provider=True)
    res = world.run({"name": "mcpmesh", "config": str(config)})
    assert res.rc == 2, res
    text = " ".join(res.stdout.split())
    assert ("Creating kind cluster 'mcpmesh' failed: ERROR: failed to create cluster: node(s) already exist "
            "for a cluster with the name \"mcpmesh\" (rc 1)") in text, res
    assert "rc: 1" in res.stdout and "stderr:" in res.stdout and "cmd:" in res.stdout, res


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        ("  - role: worker\n    extraPortMappings:\n      - containerPort: 30951\n        hostPort: 80\n",
         "nodes[1].extraPortMappings[0] maps host port 80/TCP on 0.0.0.0 again (already mapped by nodes[0].extraPortMappings[0])"),
        ("  - role: master\n", "nodes[1].role must be control-plane or worker, not 'master'"),
        ("  - role: worker\n    image: kindest/node\n", "nodes[1].image 'kindest/node' has neither a tag nor a digest"),
        ("networking:\n  ipFamly: dual\n", "networking: unknown key 'ipFamly'"),
    ],
)
def test_a_bad_config_fails_before_kind_runs(world, tmp_path, patch, problem):
    bad = tmp_path / "bad.yml"
    bad.write_text(CONFIG + patch)
    res = world.run({"name": "mcpmesh", "config": str(bad)})
    assert res.rc == 2, res
    assert problem in " ".join(res.stdout.split()), res
    assert world.calls() == []


def test_validate_only_needs_no_kind(world, config):
    (world.bin / "kind").unlink()
    (world.bin / "kubectl").unlink()
    res = world.run({"name": "mcpmesh", "config": str(config), "validate_only": True})
    assert res.rc == 0, res
    assert res.result["changed"] is False and res.result["config_problems"] == []


def test_no_kind_on_path_says_what_to_do(world):
    (world.bin / "kind").unlink()
    res = world.run({"name": "mcpmesh"})
    assert res.rc == 2, res
    assert "kind is not on PATH; it is needed to manage kind clusters" in " ".join(res.stdout.split()), res
