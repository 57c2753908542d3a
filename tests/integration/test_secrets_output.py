# SPDX-License-Identifier: GPL-3.0-or-later
"""Failing secret-bearing tasks never print their secret, at default verbosity or at -vvv.

Each test runs the role's real tasks against a stand-in that fails by quoting its input back
(tests/fixtures/secrets, see SOURCE.md there): a Kubernetes API that refuses every write with the
request body in its message, and a helm whose upgrade fails quoting its values files. The stand-ins'
own logs prove the secret reached them; the complete output of ansible-playbook (stdout and
stderr) must hold none of it, and every file left in the temporary folders neither.
"""
from __future__ import annotations

import base64
import configparser
import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BIN, ROOT, run_playbook

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd_certs as lc

FIXTURES = ROOT / "tests" / "fixtures" / "secrets"
LICENCE = "LICENCE-1f0e9d8c7b6a5948-MARKER"
VERBOSITY = [pytest.param((), id="default"), pytest.param(("-vvv",), id="vvv")]
pytestmark = pytest.mark.slow


def markers_of_key(pem: str) -> list[str]:
    """Every form of a private key that may show up: PEM body lines, the base64 the Secret holds."""
    lines = [line.strip() for line in pem.splitlines() if line.strip() and not line.startswith("-----")]
    encoded = base64.b64encode(pem.encode()).decode()
    return [*lines, encoded[:48], encoded[-48:]]


def assert_nothing_leaked(res, secrets: list[str], *folders: Path) -> None:
    output = res.stdout + res.stderr
    for secret in secrets:
        assert secret not in output, f"{secret[:12]}... printed:\n{res!r}"
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not any(secret in text for secret in secrets), f"a secret was left in {path}"


@pytest.fixture
def temp_dirs(tmp_path):
    """Private TMPDIR and Ansible temporary folders, so the test can search every file left behind."""
    dirs = {name: tmp_path / name for name in ("tmp", "ansible-local", "ansible-remote")}
    for path in dirs.values():
        path.mkdir()
    env = {"TMPDIR": str(dirs["tmp"]), "ANSIBLE_LOCAL_TEMP": str(dirs["ansible-local"]),
           "ANSIBLE_REMOTE_TMP": str(dirs["ansible-remote"])}
    return dirs, env


@pytest.fixture(scope="module")
def kube_api(tmp_path_factory):
    """The refusing Kubernetes API on 127.0.0.1 and a kubeconfig for it."""
    folder = tmp_path_factory.mktemp("kube-api")
    port_file, bodies = folder / "port", folder / "bodies.log"
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "kube_api.py"), str(port_file), str(bodies)])
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the stand-in Kubernetes API did not start")
        time.sleep(0.05)
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stand-in",
        "clusters": [{"name": "stand-in", "cluster": {"server": f"http://127.0.0.1:{port_file.read_text()}"}}],
        "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "stand-in"}}],
        "users": [{"name": "stand-in", "user": {}}],
    }))
    yield kubeconfig, bodies
    proc.terminate()
    proc.wait(timeout=10)


def run_linkerd_tasks(tmp_path, part: str, extra: dict, kubeconfig: Path, env: dict, verbosity):
    playbook = tmp_path / "linkerd.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Run the role's tasks.", "ansible.builtin.include_role": {
            "name": "mcpmesh.platform.linkerd", "tasks_from": part}}],
    }]))
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra))
    return run_playbook(playbook, *verbosity, "-e", f"@{extra_file}",
                        env={"K8S_AUTH_KUBECONFIG": str(kubeconfig), **env})


def test_pipelining_keeps_module_arguments_off_the_disk():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "ansible.cfg")
    assert cfg.getboolean("connection", "pipelining") is True


@pytest.mark.parametrize("verbosity", VERBOSITY)
def test_a_refused_licence_secret_is_reported_without_the_licence(tmp_path, kube_api, temp_dirs, verbosity):
    kubeconfig, bodies = kube_api
    dirs, env = temp_dirs
    res = run_linkerd_tasks(tmp_path, "license", {"linkerd_license": LICENCE}, kubeconfig, env, verbosity)
    assert res.rc == 2, res
    assert_nothing_leaked(res, [LICENCE, base64.b64encode(LICENCE.encode()).decode()], *dirs.values())
    assert "Writing the buoyant-license Secret in linkerd failed (HTTP status 422; reason Invalid)" in " ".join(res.stdout.split()), res
    assert "kubectl auth can-i create secrets -n linkerd" in " ".join(res.stdout.split())
    assert base64.b64encode(LICENCE.encode()).decode() in bodies.read_text()  # it reached the API


@pytest.mark.parametrize("verbosity", VERBOSITY)
def test_refused_identity_secrets_are_reported_without_the_keys(tmp_path, kube_api, temp_dirs, verbosity):
    kubeconfig, bodies = kube_api
    dirs, env = temp_dirs
    now = datetime.datetime.now(datetime.timezone.utc)
    anchor, anchor_key = lc.generate_anchor(now, 3650)
    issuer, issuer_key = lc.generate_issuer(anchor, anchor_key, now, 365)
    anchor_key_pem, issuer_key_pem = lc.key_pem(anchor_key), lc.key_pem(issuer_key)
    extra = {"linkerd_trust_anchor_pem": lc.cert_pem(anchor), "linkerd_trust_anchor_key_pem": anchor_key_pem,
             "linkerd_issuer_cert_pem": lc.cert_pem(issuer), "linkerd_issuer_key_pem": issuer_key_pem}
    res = run_linkerd_tasks(tmp_path, "identity", extra, kubeconfig, env, verbosity)
    assert res.rc == 2, res
    secrets = markers_of_key(anchor_key_pem) + markers_of_key(issuer_key_pem)
    assert_nothing_leaked(res, secrets, *dirs.values())
    assert ("Writing the linkerd-trust-anchor Secret in linkerd failed (HTTP status 422; reason Invalid)"
            in " ".join(res.stdout.split())), res
    assert base64.b64encode(anchor_key_pem.encode()).decode() in bodies.read_text()  # it reached the API


def test_the_issuer_secret_is_reported_without_its_key_too(tmp_path, kube_api, temp_dirs):
    """With the anchor Secret already right, the issuer Secret is the one that fails."""
    kubeconfig, _bodies = kube_api
    dirs, env = temp_dirs
    now = datetime.datetime.now(datetime.timezone.utc)
    anchor, anchor_key = lc.generate_anchor(now, 3650)
    issuer, issuer_key = lc.generate_issuer(anchor, anchor_key, now, 365)
    issuer_key_pem = lc.key_pem(issuer_key)
    # Certificates without the anchor key: nothing to keep for the anchor, only the issuer is written.
    extra = {"linkerd_trust_anchor_pem": lc.cert_pem(anchor),
             "linkerd_issuer_cert_pem": lc.cert_pem(issuer), "linkerd_issuer_key_pem": issuer_key_pem}
    res = run_linkerd_tasks(tmp_path, "identity", extra, kubeconfig, env, ())
    assert res.rc == 2, res
    assert_nothing_leaked(res, markers_of_key(issuer_key_pem), *dirs.values())
    assert ("Writing the linkerd-identity-issuer Secret in linkerd failed (HTTP status 422; reason Invalid)"
            in " ".join(res.stdout.split())), res


@pytest.mark.parametrize("verbosity", VERBOSITY)
def test_a_failing_helm_upgrade_is_reported_without_the_licence(tmp_path, bin_dir, temp_dirs, verbosity):
    dirs, env = temp_dirs
    (bin_dir / "helm").write_bytes((FIXTURES / "helm").read_bytes())
    (bin_dir / "helm").chmod(0o755)
    helm_log = tmp_path / "helm.log"
    artifacts = tmp_path / "artifacts"
    prefix = "mcpmesh-cosmonic-" + hashlib.sha1(f"{artifacts}/cosmonic".encode()).hexdigest()[:12] + "."
    leftover = dirs["tmp"] / (prefix + "interrupted")  # what a Ctrl-C during the upgrade leaves
    leftover.mkdir(mode=0o700)
    (leftover / "control-values.yml").write_text(f"cosmonicLicenseKey: {LICENCE}\n")
    playbook = tmp_path / "cosmonic.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                     "roles": [{"role": "mcpmesh.platform.cosmonic"}]}]))
    res = run_playbook(playbook, *verbosity, extra_vars={
        "cosmonic_apply": True, "cosmonic_license_key": LICENCE, "mcpmesh_artifacts_dir": str(artifacts),
        # The line that takes a licence (0.4 and later need none), unmeshed: no cluster answers here,
        # and the Linkerd check of a meshed install would stop the run before the upgrade.
        "cosmonic_chart_version": "0.3.0", "cosmonic_mesh": False,
    }, env={**env, "HELM_STAND_IN_LOG": str(helm_log), "PATH": f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}/usr/bin:/bin"})
    assert res.rc == 2, res
    assert_nothing_leaked(res, [LICENCE], *dirs.values(), artifacts)
    flat = " ".join(res.stdout.split())
    assert "failed (helm said UPGRADE FAILED; exit code 1; command: " in flat, res
    assert '--set cosmonicLicenseKey="$COSMONIC_LICENSE_KEY"' in flat
    assert f"cosmonicLicenseKey: {LICENCE}" in helm_log.read_text()  # it reached helm
    assert not leftover.exists(), "the folder an interrupted run left was not removed"
    assert not list(dirs["tmp"].glob(prefix + "*")), "the private values folder outlived the failed upgrade"
