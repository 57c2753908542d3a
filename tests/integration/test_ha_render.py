# SPDX-License-Identifier: GPL-3.0-or-later
"""High availability, render-only (issue 14): what site.yml renders with the HA defaults and with more.

* Defaults: the MCP server at 2 replicas (the http-trigger chart's ``replicas``, checked against the real
  chart values), the HostGroup at 2 hosts with a PodDisruptionBudget, one backend replica (no PDB, no
  spread: read-your-writes), and on kind's default single node no hard spread, said so.
* ``kind_workers=2`` with ``petstore_backend_replicas=2`` and ``cosmonic_hostgroup_replicas=3``: the
  backend's PDB and a hard spread (one replica per node); the 3 hosts on 2 nodes only a soft one, said so.
Every PodDisruptionBudget is validated with kubernetes-validate (the role's validate_artifacts did it too;
here the test checks it directly). One site.yml render per case, shared by the tests of the case.
"""
from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import NO_LICENCES, ROOT, run_playbook

UPSTREAM = ROOT.parent / "shared" / "upstream"
pytestmark = pytest.mark.slow


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def of_kind(path: Path, kind: str) -> list[dict]:
    return [d for d in docs(path) if d.get("kind") == kind]


def flat(text: str) -> str:
    return " ".join(text.split())


def render(tmp_path_factory, name: str, **extra):
    tmp = tmp_path_factory.mktemp(name)
    result = run_playbook(ROOT / "site.yml", extra_vars={"mcpmesh_apply": False,
                                                         "mcpmesh_artifacts_dir": str(tmp / "artifacts"), **extra},
                          env=NO_LICENCES)
    assert result.rc == 0, result
    return result, tmp / "artifacts"


@pytest.fixture(scope="module")
def defaults(default_site_render):
    """The defaults are the HA defaults: the session's one default render (conftest)."""
    result, artifacts = default_site_render
    assert result.rc == 0, result
    return result, artifacts


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    return render(tmp_path_factory, "ha-two", petstore_backend_replicas=2, kind_workers=2, cosmonic_hostgroup_replicas=3)


def validate(obj: dict) -> None:
    kubernetes_validate.validate(obj, "1.36", strict=True)


def test_the_mcp_server_runs_two_replicas_through_the_chart_s_own_value(defaults):
    _result, artifacts = defaults
    values = yaml.safe_load((artifacts / "petstore" / "mcp-values.yml").read_text())
    assert values["replicas"] == 2
    upstream = UPSTREAM / "http-trigger-0.1.2" / "values.yaml"
    if not upstream.exists():
        pytest.skip(f"{upstream} is not there: the real chart values are only beside a development checkout")
    chart = yaml.safe_load(upstream.read_text())
    # The chart's own key, of the chart's own type (it writes it to HTTPTrigger.spec.replicas).
    assert "replicas" in chart and isinstance(chart["replicas"], int) and isinstance(values["replicas"], int)
    assert set(values) <= set(chart), set(values) - set(chart)


def test_the_hostgroup_gets_a_valid_pdb_selecting_its_hosts_and_no_hard_spread_on_one_node(defaults):
    result, artifacts = defaults
    (pdb,) = of_kind(artifacts / "cosmonic" / "hostgroup-ha.yml", "PodDisruptionBudget")
    validate(pdb)
    assert pdb["metadata"] == {"name": "hostgroup-hosts", "namespace": "cosmonic-system",
                               "labels": {"app.kubernetes.io/part-of": "mcpmesh"}}
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"wasmcloud.com/name": "hostgroup"}}}
    out = flat(result.stdout)
    assert ("HostGroup: 2 replica(s), scaled through its Deployment (the chart publishes no replicas value), "
            "a PodDisruptionBudget (maxUnavailable 1), not spread (1 schedulable node(s): no hard spread") in out


def test_one_backend_replica_by_default_without_pdb_or_spread(defaults):
    result, artifacts = defaults
    backend = artifacts / "petstore" / "backend.yml"
    (deployment,) = of_kind(backend, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert "topologySpreadConstraints" not in deployment["spec"]["template"]["spec"]
    assert of_kind(backend, "PodDisruptionBudget") == []
    assert "MCP server: 2 replica(s) (HTTPTrigger.spec.replicas). Backend: 1 replica(s)." in flat(result.stdout)


def test_two_backend_replicas_on_two_workers_get_a_pdb_and_a_hard_spread(two_workers):
    result, artifacts = two_workers
    backend = artifacts / "petstore" / "backend.yml"
    (deployment,) = of_kind(backend, "Deployment")
    validate(deployment)
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["topologySpreadConstraints"] == [{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "petstore"}}, "matchLabelKeys": ["pod-template-hash"]}]
    (pdb,) = of_kind(backend, "PodDisruptionBudget")
    validate(pdb)
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "petstore"}}}
    # The PDB selects exactly the Deployment's pods.
    assert pdb["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    out = flat(result.stdout)
    assert "Backend: 2 replica(s), a PodDisruptionBudget (maxUnavailable 1), spread one per node over 2 schedulable nodes" in out
    assert "breaks read-your-writes" in out
    kind = yaml.safe_load((artifacts / "kind" / "cluster.yml").read_text())
    assert [n["role"] for n in kind["nodes"]].count("worker") == 2


def test_more_hosts_than_workers_spread_softly_and_say_there_is_no_hard_spread(two_workers):
    result, artifacts = two_workers
    out = flat(result.stdout)
    assert ("HostGroup: 3 replica(s), scaled through its Deployment (the chart publishes no replicas value), "
            "a PodDisruptionBudget (maxUnavailable 1), spread where possible (2 schedulable nodes for 3 replicas: "
            "no hard spread)") in out
    (pdb,) = of_kind(artifacts / "cosmonic" / "hostgroup-ha.yml", "PodDisruptionBudget")
    validate(pdb)
