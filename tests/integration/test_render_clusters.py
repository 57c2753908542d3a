# SPDX-License-Identifier: GPL-3.0-or-later
"""Existing clusters and many clusters, render-only (``mcpmesh_apply=false``), with no cluster.

* ``mcpmesh_cluster_provider=existing``: site.yml renders no kind and no MetalLB artifact, the rest of
  the stack as usual; the access points say the endpoint comes from the edge proxy's Service; teardown
  says the cluster is never deleted, even with ``mcpmesh_teardown_cluster=true``.
* ``inventory/clusters.example.yml``: one site.yml run sets up both kind clusters of the example in
  parallel, each in its own artifacts tree, with no shared file, name, host port or MetalLB address;
  verify.yml and teardown.yml run over the same inventory.
* What the run refuses before rendering anything: an existing cluster without its context, clusters
  that share an artifacts folder or a MetalLB slice.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from conftest import NO_LICENCES, ROOT, run_playbook

pytestmark = pytest.mark.slow

INVENTORY = ROOT / "inventory" / "clusters.example.yml"
EXISTING = {"mcpmesh_apply": False, "mcpmesh_cluster_provider": "existing", "mcpmesh_kube_context": "prod-admin",
            "mcpmesh_kubeconfig": "/nonexistent/kubeconfig-render-only"}
ENV = NO_LICENCES


def flat(text: str) -> str:
    return " ".join(text.split())


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("existing")
    site = run_playbook(ROOT / "site.yml", extra_vars={**EXISTING, "mcpmesh_artifacts_dir": str(artifacts)}, env=ENV)
    teardown = run_playbook(ROOT / "playbooks" / "teardown.yml",
                            extra_vars={**EXISTING, "mcpmesh_artifacts_dir": str(artifacts), "mcpmesh_teardown_cluster": True},
                            env=ENV)
    return site, teardown, artifacts


def test_an_existing_cluster_renders_no_kind_and_no_metallb_artifact(existing):
    site, artifacts = existing[0], existing[2]
    assert site.rc == 0, site
    assert site.localhost["failed"] == 0, site
    roles = {Path(name).parts[0] for name in files(artifacts)}
    assert "kind" not in roles and "metallb" not in roles, sorted(roles)
    assert {"linkerd", "cosmonic", "petstore"} <= roles, sorted(roles)


def test_an_existing_cluster_is_announced_as_such(existing):
    site = existing[0]
    out = flat(site.stdout)
    # preflight: what a real run would check on the cluster, and no container engine or host port
    assert "the context prod-admin of /nonexistent/kubeconfig-render-only answers, runs Kubernetes 1.31 or newer" in out, site
    assert "(SelfSubjectAccessReview)" in out and "are free" not in out, site
    assert "Render-only: would create the kind cluster" not in out, site
    assert "MCP endpoint: found at run time from the traefik Service in cosmonic-system" in out, site
    assert "the existing cluster itself is never deleted" in out, site
    assert "existing cluster mcpmesh, context prod-admin, load balancer none" in out, site


def test_teardown_never_deletes_an_existing_cluster(existing):
    teardown = existing[1]
    assert teardown.rc == 0, teardown
    out = flat(teardown.stdout)
    assert "The existing cluster behind prod-admin would be kept: teardown never deletes a cluster it did not create" in out
    assert "(mcpmesh_teardown_cluster=true applies to kind clusters only)" in out
    assert "MetalLB was left alone (mcpmesh_loadbalancer=none)." in out
    assert "would delete the kind cluster" not in out, teardown
    assert "mcpmesh.platform.kind :" not in teardown.stdout, teardown      # the kind role never ran
    assert "mcpmesh.platform.metallb :" not in teardown.stdout, teardown   # nor the metallb one


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    root = tmp_path_factory.mktemp("many")
    args = ("-i", str(INVENTORY), "-e", f"mcpmesh_artifacts_root={root}", "-e", "mcpmesh_apply=false")
    site = run_playbook(ROOT / "site.yml", *args, env=ENV)
    verify = run_playbook(ROOT / "playbooks" / "verify.yml", *args, env=ENV)
    teardown = run_playbook(ROOT / "playbooks" / "teardown.yml", *args, env=ENV)
    return site, verify, teardown, root


HOSTS = {"east": ("mcpmesh-east", 8080, 8443, 3000), "west": ("mcpmesh-west", 8081, 8444, 3001)}


def test_the_example_inventory_sets_up_every_cluster(many):
    site, verify, teardown = many[0], many[1], many[2]
    for result in (site, verify, teardown):
        assert result.rc == 0, result
        assert set(result.recap) == set(HOSTS), result
        assert all(counts["failed"] == 0 for counts in result.recap.values()), result
    out = flat(site.stdout)
    assert "2 of 2 cluster(s) rendered and validated (render-only):" in out, site
    for host, ports in HOSTS.items():
        name, port = ports[0], ports[1]
        assert f"- {host}: render-only; kind cluster {name}, context kind-{name}, load balancer metallb" in out, site
        assert f"load balancer metallb; MCP endpoint http://localhost:{port}/v1/mcp; artifacts " in out, site
    assert "2 of 2 cluster(s) reported on (render-only: nothing checked):" in flat(verify.stdout), verify
    assert "2 of 2 cluster(s) reported on (render-only: nothing removed):" in flat(teardown.stdout), teardown
    assert "kind-mcpmesh-east was kept" not in flat(teardown.stdout)
    assert "The kind cluster kind-mcpmesh-east would be kept" in flat(teardown.stdout), teardown
    assert "The kind cluster kind-mcpmesh-west would be kept" in flat(teardown.stdout), teardown


def test_each_cluster_has_its_own_artifact_tree_and_nothing_is_shared(many):
    root = many[3]
    assert sorted(p.name for p in root.iterdir()) == ["mcpmesh-east", "mcpmesh-west"]
    east, west = files(root / "mcpmesh-east"), files(root / "mcpmesh-west")
    assert "kind/cluster.yml" in east and "metallb/pool.yml" in east
    assert east == west  # the same stack in each
    assert not (ROOT / ".mcpmesh" / "mcpmesh-east").exists(), "the render leaked into the checkout"


def test_the_kind_clusters_differ_in_name_and_host_ports(many):
    root = many[3]
    for host, (name, http, https, grafana) in HOSTS.items():
        config = yaml.safe_load((root / name / "kind" / "cluster.yml").read_text())
        assert config["name"] == name
        ports = {(m["hostPort"], m["containerPort"]) for m in config["nodes"][0]["extraPortMappings"]}
        assert ports == {(http, 30080), (https, 30443), (grafana, 30300)}, (host, ports)


def pool(path: Path) -> list:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "IPAddressPool"]
    networks = []
    for entry in docs[0]["spec"]["addresses"]:
        if "-" in entry:
            first, last = (ipaddress.ip_address(p) for p in entry.split("-"))
            networks += list(ipaddress.summarize_address_range(first, last))
        else:
            networks.append(ipaddress.ip_network(entry))
    return networks


def test_the_metallb_pools_are_disjoint_slices_of_the_kind_network(many):
    root = many[3]
    east, west = pool(root / "mcpmesh-east" / "metallb" / "pool.yml"), pool(root / "mcpmesh-west" / "metallb" / "pool.yml")
    assert east and west
    assert not any(a.overlaps(b) for a in east for b in west), (east, west)
    addresses = [str(a) for n in east for a in n]
    assert addresses[0] == "172.18.255.50" and addresses[-1] == "172.18.255.69"   # index 0: hosts 50-69
    assert str(west[0][0]) == "172.18.255.70"                                     # index 1: from host 70


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """Runs that must stop before anything is rendered, one playbook run each (each stops in seconds)."""
    root = tmp_path_factory.mktemp("refused")
    no_context = run_playbook(ROOT / "site.yml", env=ENV, extra_vars={
        "mcpmesh_apply": False, "mcpmesh_cluster_provider": "existing", "mcpmesh_artifacts_dir": str(root / "a")})
    shared_folder = run_playbook(ROOT / "site.yml", "-i", str(INVENTORY), env=ENV, extra_vars={
        "mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(root / "shared")})
    shared_slice = run_playbook(ROOT / "site.yml", "-i", str(INVENTORY), env=ENV, extra_vars={
        "mcpmesh_apply": False, "mcpmesh_artifacts_root": str(root / "b"), "metallb_first_host": 200,
        "metallb_last_host": 250})
    return no_context, shared_folder, shared_slice, root


def test_an_existing_cluster_without_its_context_is_refused(refusals):
    result, root = refusals[0], refusals[3]
    assert result.rc != 0
    out = flat(result.stdout)
    assert "an existing cluster needs mcpmesh_kube_context" in out, result
    assert "an existing cluster needs mcpmesh_kubeconfig" in out, result
    assert not (root / "a").exists()


def test_clusters_sharing_an_artifacts_folder_are_refused(refusals):
    result, root = refusals[1], refusals[3]
    assert result.rc != 0
    assert "east, west share the artifacts folder" in flat(result.stdout), result
    assert not (root / "shared").exists()


def test_clusters_sharing_a_metallb_slice_are_refused(refusals):
    result, root = refusals[2], refusals[3]
    assert result.rc != 0
    assert "east and west take their MetalLB pools from the same docker network 'kind'" in flat(result.stdout), result
    assert not (root / "b").exists()
