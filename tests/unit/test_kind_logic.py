# SPDX-License-Identifier: GPL-3.0-or-later
"""kind's and kubectl's outputs, and the kind cluster config checks."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.module_utils import _kind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kind"
ROOT = Path(__file__).resolve().parent.parent.parent

GOOD = {
    "kind": "Cluster",
    "apiVersion": "kind.x-k8s.io/v1alpha4",
    "name": "mcpmesh",
    "networking": {"apiServerAddress": "127.0.0.1", "apiServerPort": 6443, "ipFamily": "ipv4"},
    "nodes": [
        {"role": "control-plane", "image": "kindest/node:v1.36.1@sha256:" + "a" * 64,
         "extraPortMappings": [{"containerPort": 30950, "hostPort": 80, "listenAddress": "0.0.0.0", "protocol": "TCP"}]},
        {"role": "worker", "image": "kindest/node:v1.36.1"},
    ],
}


def test_get_clusters_output():
    assert _kind.parse_clusters((FIXTURES / "kind-get-clusters.stdout").read_text()) == ["mcpmesh"]
    assert _kind.parse_clusters("") == []  # "No kind clusters found." goes to stderr
    assert _kind.parse_clusters("a\n\nb\n") == ["a", "b"]


@pytest.mark.parametrize(
    ("fixture", "rc", "expected"),
    [
        ("kind-create-cluster-exists.stderr", 1,
         'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "mcpmesh"'),
        ("kind-get-clusters-no-engine.stderr", 1, "ERROR: failed to list clusters: command \"docker ps -a"),
        ("kind-delete-cluster.stderr", 1, 'Deleted nodes: ["mcpmesh-control-plane"]'),
    ],
)
def test_kind_error_quotes_the_error_lines(fixture, rc, expected):
    assert _kind.kind_error((FIXTURES / fixture).read_text(), rc).startswith(expected)


def test_kind_error_without_stderr():
    assert _kind.kind_error("", 3) == "exit status 3, nothing on stderr"


def test_the_role_s_config_is_clean():
    assert _kind.config_problems(GOOD, "mcpmesh") == []
    assert _kind.config_problems({"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4"}) == []  # kind's defaults


def _with(path: str, value):
    config = copy.deepcopy(GOOD)
    target = config
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return config


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (_with("kind", "Config"), "kind must be Cluster, not 'Config'"),
        (_with("apiVersion", "kind.x-k8s.io/v1alpha3"), "apiVersion must be kind.x-k8s.io/v1alpha4"),
        (_with("name", "other"), "name 'other' differs from the cluster name 'mcpmesh'"),
        (_with("node", []), "unknown key 'node'"),
        (_with("networking.ipFamily", "both"), "networking.ipFamily must be ipv4, ipv6 or dual, not 'both'"),
        (_with("networking.apiServerPort", 70000), "networking.apiServerPort must be a port number"),
        (_with("networking.apiServerAddress", "localhost"), "networking.apiServerAddress must be an IP address"),
        (_with("networking.podCIDR", "10.0.0.0/16"), "networking: unknown key 'podCIDR'"),
        (_with("nodes", []), "nodes must be a non-empty list"),
        (_with("nodes.0.role", "worker"), "nodes must include a control-plane node"),
        (_with("nodes.1.role", "master"), "nodes[1].role must be control-plane or worker, not 'master'"),
        (_with("nodes.1.image", "kindest/node"), "nodes[1].image 'kindest/node' has neither a tag nor a digest"),
        (_with("nodes.1.image", "localhost:5000/node"), "has neither a tag nor a digest"),
        (_with("nodes.1.extraPortMapping", []), "nodes[1]: unknown key 'extraPortMapping'"),
        (_with("nodes.0.extraPortMappings.0.containerPort", "30950"), "containerPort must be a port number, not '30950'"),
        (_with("nodes.0.extraPortMappings.0.hostPort", 65536), "hostPort must be a port number, not 65536"),
        (_with("nodes.0.extraPortMappings.0.protocol", "tcp"), "protocol must be TCP, UDP or SCTP, not 'tcp'"),
        (_with("nodes.0.extraPortMappings.0.listenAddress", "any"), "listenAddress must be an IP address, not 'any'"),
        (_with("nodes.0.extraPortMappings.0.nodePort", 30950), "unknown key 'nodePort'"),
        (_with("nodes.1.extraPortMappings", [{"containerPort": 30951, "hostPort": 80}]),
         "nodes[1].extraPortMappings[0] maps host port 80/TCP on 0.0.0.0 again (already mapped by nodes[0].extraPortMappings[0])"),
        ("not a mapping", "the config is a str, not a mapping"),
    ],
)
def test_config_problems(config, problem):
    problems = _kind.config_problems(config, "mcpmesh")
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "mapping",
    [
        {"containerPort": 30951, "hostPort": 80, "listenAddress": "127.0.0.1"},  # another address
        {"containerPort": 30951, "hostPort": 80, "protocol": "UDP"},  # another protocol
        {"containerPort": 30951, "hostPort": 0},  # 0: a random host port, never a clash
    ],
)
def test_the_same_host_port_is_fine_on_another_address_or_protocol(mapping):
    config = _with("nodes.1.extraPortMappings", [mapping])
    assert _kind.config_problems(config, "mcpmesh") == []


def test_node_count():
    assert _kind.node_count(GOOD) == 2
    assert _kind.node_count({"kind": "Cluster"}) == 1
    assert _kind.node_count(None) == 1


def test_node_readiness_ready():
    rows = _kind.node_readiness((FIXTURES / "kubectl-get-nodes-ready.json").read_text())
    assert rows == [{"name": "mcpmesh-control-plane", "ready": True, "roles": ["control-plane"], "reason": "KubeletReady",
                     "message": "kubelet is posting ready status", "kubelet": "v1.36.1"}]
    assert _kind.all_ready(rows, 1) and not _kind.all_ready(rows, 2)
    assert _kind.not_ready_summary(rows, 2) == "1 of 2 nodes registered"


def test_node_readiness_not_ready():
    rows = _kind.node_readiness((FIXTURES / "kubectl-get-nodes-not-ready.json").read_text())
    assert rows[0]["ready"] is False and rows[0]["reason"] == "KubeletNotReady"
    assert not _kind.all_ready(rows, 1)
    assert _kind.not_ready_summary(rows, 1).startswith(
        "not Ready: mcpmesh-control-plane (KubeletNotReady: container runtime network not ready")


def test_a_node_without_conditions_is_not_ready():
    rows = _kind.node_readiness(json.dumps({"items": [{"metadata": {"name": "n"}, "status": {}}]}))
    assert rows[0]["ready"] is False and rows[0]["reason"] == "no Ready condition yet"
    assert not _kind.all_ready([], 1)


@pytest.mark.parametrize("text", ["not json", "{}", '{"items": null}'])
def test_unreadable_node_lists_raise(text):
    with pytest.raises(_kind.KindError):
        _kind.node_readiness(text)


def test_server_version():
    assert _kind.server_version((FIXTURES / "kubectl-version.json").read_text()) == ("v1.36.1", "1.36")
    assert _kind.server_version('{"serverVersion": {"major": "1", "minor": "33+", "gitVersion": "v1.33.2-gke.1"}}') == (
        "v1.33.2-gke.1", "1.33")
    assert _kind.server_version('{"serverVersion": {"major": "", "minor": "", "gitVersion": "v1.35.0"}}') == (
        "v1.35.0", "1.35")


@pytest.mark.parametrize("text", ["", "{}", '{"clientVersion": {"major": "1"}}',
                                  '{"serverVersion": {"major": "", "minor": "", "gitVersion": "devel"}}'])
def test_server_version_missing(text):
    with pytest.raises(_kind.KindError):
        _kind.server_version(text)


def test_the_kind_role_s_defaults_pin_the_node_image_by_digest():
    defaults = yaml.safe_load((ROOT / "roles" / "kind" / "defaults" / "main.yml").read_text())
    image = defaults["kind_node_image"]
    assert image == "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
    assert _kind.config_problems(_with("nodes.0.image", image), "mcpmesh") == []
