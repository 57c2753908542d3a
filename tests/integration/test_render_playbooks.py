# SPDX-License-Identifier: GPL-3.0-or-later
"""The three playbooks users run, in render-only mode (``mcpmesh_apply=false``), with no cluster.

* ``site.yml`` (the root file, which imports ``mcpmesh.platform.site``) runs to the end, renders
  and validates the artifacts of every role of the stack. That a second run changes nothing is
  molecule's idempotence step of the ``site`` scenario (tests/integration/test_molecule.py), with
  fake licences too; it is not run a second time here.
* ``playbooks/verify.yml`` and ``playbooks/teardown.yml`` run to the end and only report.
* Fake licences are passed the way users pass real ones (``BUOYANT_LICENSE`` and
  ``COSMONIC_LICENSE_KEY`` in the environment); neither appears in any artifact, nor in the
  output of any run.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_module, run_playbook

pytestmark = pytest.mark.slow

FAKE_COSMONIC = "fake-cosmonic-licence-6f1c2a9d"
FAKE_BUOYANT = "fake-buoyant-licence-0b7e44c1"
ENV = {"COSMONIC_LICENSE_KEY": FAKE_COSMONIC, "BUOYANT_LICENSE": FAKE_BUOYANT}
STACK = ("kind", "metallb", "linkerd", "cosmonic", "petstore", "observability")


def render_only(artifacts: Path) -> dict:
    return {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(artifacts)}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def site_runs(artifacts):
    """site.yml once, render-only (a tuple, for the checks that read every run's output).

    With ``-i localhost,`` as users type it (an inventory of one host and no variables, where
    Ansible would connect over SSH): the play must still run on the controller, with its Python.
    The default inventory (ansible.cfg's) is the one tests/integration/test_render_golden.py runs with.
    """
    # With the tools role on, pointed at a mirror nothing listens on: render-only, it must only say what
    # a real run would install (a download would fail the run), before preflight.
    tools = {"mcpmesh_install_tools": True, "tools_dir": str(artifacts.parent / "tools-bin"),
             "tools_mirror": "http://127.0.0.1:9/mirror"}
    return (run_playbook(ROOT / "site.yml", "-i", "localhost,", extra_vars={**render_only(artifacts), **tools}, env=ENV),)


def flat(text: str) -> str:
    """The output with the callback's line wrapping undone."""
    return " ".join(text.split())


def assert_no_secret_in(text: str, where: str) -> None:
    for secret in (FAKE_COSMONIC, FAKE_BUOYANT):
        assert secret not in text, f"a licence appears in {where}"


def test_site_runs_to_the_end_without_a_cluster(site_runs):
    first = site_runs[0]
    assert first.rc == 0, first
    assert first.localhost["failed"] == 0, first
    summary = flat(first.stdout)  # the access points, printed at the end
    assert "Render-only run: nothing was applied" in summary, first
    assert "Transport Type: Streamable HTTP, URL: http://petstore-mcp.localhost.cosmonic.sh/v1/mcp" in summary, first
    assert "Host: petstore-mcp.localhost.cosmonic.sh" in summary and "linkerd viz dashboard" in summary, first


def test_an_explicit_localhost_inventory_runs_on_the_controller(site_runs):
    assert site_runs[0].localhost["unreachable"] == 0 and site_runs[0].localhost["failed"] == 0, site_runs[0]
    assert "Run on the controller, with its Python" in site_runs[0].stdout, site_runs[0]


def test_render_only_site_with_tools_installs_nothing(site_runs, artifacts):
    """site.yml runs the tools role before preflight; render-only, it only says what a real run would install."""
    out = site_runs[0].stdout
    said = out.index("Render-only: a real run would install those of kind, kubectl, helm, linkerd")
    assert said < out.index("TASK [mcpmesh.platform.preflight"), "the tools role runs before preflight"
    assert not (artifacts.parent / "tools-bin").exists()


def test_artifacts_of_the_whole_stack_exist_and_parse(site_runs, artifacts):
    assert site_runs[0].rc == 0, site_runs[0]
    for role in STACK:
        files = [p for p in (artifacts / role).rglob("*") if p.is_file()]
        assert files, f"no artifacts rendered for the {role} role under {artifacts / role}"
        for path in files:
            if path.suffix in (".yml", ".yaml"):
                docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
                assert docs, f"{path} is empty"


def test_artifacts_validate_again(site_runs, artifacts, tmp_path):
    """Every rendered Kubernetes manifest, and the values file of every chart the stack installs,
    pass validate_artifacts once more, with both licences as forbidden strings."""
    assert site_runs[0].rc == 0, site_runs[0]
    manifests = []
    for path in sorted(artifacts.rglob("*.y*ml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        if docs and all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
            if "Cluster" == docs[0].get("kind") and "kind.x-k8s.io" in docs[0].get("apiVersion", ""):
                continue  # the kind cluster config is not a Kubernetes object
            manifests.append(str(path))
    assert any(m.endswith("petstore/backend.yml") for m in manifests), manifests
    result = run_module(tmp_path, "mcpmesh.platform.validate_artifacts", {
        "manifests": manifests,
        "helm_values": [
            {"path": str(artifacts / "metallb" / "values.yml"), "chart": "metallb"},
            {"path": str(artifacts / "linkerd" / "crds-values.yml"), "chart": "linkerd-enterprise-crds"},
            {"path": str(artifacts / "linkerd" / "control-plane-values.yml"), "chart": "linkerd-enterprise-control-plane"},
            {"path": str(artifacts / "linkerd" / "viz-values.yml"), "chart": "linkerd-viz"},
            {"path": str(artifacts / "cosmonic" / "control-values.yml"), "chart": "cosmonic-control"},
            {"path": str(artifacts / "cosmonic" / "hostgroup-values.yml"), "chart": "cosmonic-control-hostgroup"},
            {"path": str(artifacts / "petstore" / "mcp-values.yml"), "chart": "http-trigger"},
            {"path": str(artifacts / "cosmonic" / "mesh.yml"), "chart": "cosmonic-mesh"},
            {"path": str(artifacts / "observability" / "grafana-values.yml"), "chart": "grafana"},
        ],
        "forbidden": [FAKE_COSMONIC, FAKE_BUOYANT],
    })
    assert result.rc == 0, result


def test_no_licence_in_any_artifact_or_output(site_runs, artifacts):
    for run in site_runs:
        assert_no_secret_in(run.stdout + run.stderr, "the output of site.yml")
    files = [p for p in artifacts.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert_no_secret_in(path.read_text(errors="replace"), str(path))


def test_echo_artifacts_carry_the_mesh_settings(site_runs, artifacts):
    assert site_runs[0].rc == 0, site_runs[0]
    docs = [d for d in yaml.safe_load_all((artifacts / "metallb" / "echo.yml").read_text()) if d]
    objects = {d["kind"]: d for d in docs}
    assert objects["Namespace"]["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    template = objects["Deployment"]["spec"]["template"]["metadata"]
    assert template["annotations"] == {"linkerd.io/inject": "enabled"}, template


def test_cosmonic_and_petstore_values_are_the_default_line_s(site_runs, artifacts):
    """Cosmonic Control 0.4.1 (the default line; tests/integration/test_cosmonic_line.py covers both lines)."""
    assert site_runs[0].rc == 0, site_runs[0]
    control = yaml.safe_load((artifacts / "cosmonic" / "control-values.yml").read_text())
    assert control == {"ingress": {"hosts": [{"host": "petstore-mcp.localhost.cosmonic.sh"}]}}
    mcp = yaml.safe_load((artifacts / "petstore" / "mcp-values.yml").read_text())
    component = mcp["components"][0]
    assert component["image"] == "ghcr.io/cosmonic-labs/petstore-mcp-server:v0.3.0"
    assert component["localResources"]["environment"]["config"] == {
        "SERVICE_URL": "http://petstore.petstore.svc.cluster.local:8080/api/v3"}
    assert {"namespace": "wasi", "package": "config", "interfaces": ["store"], "version": "0.2.0-rc.1"} in mcp["hostInterfaces"]
    assert mcp["ingress"]["host"] == "petstore-mcp.localhost.cosmonic.sh"


@pytest.mark.parametrize("name", ["playbooks/verify.yml", "playbooks/teardown.yml"])
@pytest.mark.parametrize("as_text", [False, True], ids=["json-false", "cli-string-false"])
def test_verify_and_teardown_run_to_the_end_and_only_report(site_runs, artifacts, name, as_text):
    before = {p: p.stat().st_mtime_ns for p in artifacts.rglob("*") if p.is_file()}
    if as_text:  # what the README tells users to type: -e mcpmesh_apply=false is the string "false"
        result = run_playbook(ROOT / name, "-e", "mcpmesh_apply=false", "-e", f"mcpmesh_artifacts_dir={artifacts}", env=ENV)
    else:
        result = run_playbook(ROOT / name, extra_vars=render_only(artifacts), env=ENV)
    assert result.rc == 0, result
    assert result.localhost["failed"] == 0, result
    assert result.localhost["changed"] == 0, result
    assert "Render-only" in result.stdout, result
    assert_no_secret_in(result.stdout + result.stderr, f"the output of {name}")
    out = flat(result.stdout)
    if name.endswith("teardown.yml"):
        assert "would be kept; delete it with -e mcpmesh_teardown_cluster=true" in out, result
    else:  # the verification plans say what they will prove
        assert ("when Linkerd is installed, that every echo pod carries a linkerd-proxy and "
                "`linkerd viz stat deployment -n echo` shows its traffic") in out, result
        assert ("write, read back and delete a marker pet through MCP and read it from the in-cluster backend "
                "petstore:8080") in out, result
        assert "the mTLS edges host -> backend and ingress -> host" in out and "Key Metrics verdict (gate critical)" in out
    after = {p: p.stat().st_mtime_ns for p in artifacts.rglob("*") if p.is_file()}
    assert after == before, "a checks-only or teardown run touched the artifacts"


def test_teardown_deletes_the_cluster_only_when_asked(site_runs, artifacts):
    """Kept by default: the check is in test_verify_and_teardown_run_to_the_end_and_only_report."""
    deleted = run_playbook(ROOT / "playbooks/teardown.yml",
                           extra_vars={**render_only(artifacts), "mcpmesh_teardown_cluster": True}, env=ENV)
    assert deleted.rc == 0, deleted
    assert "would be deleted" in flat(deleted.stdout), deleted
    assert "would be kept" not in flat(deleted.stdout), deleted
