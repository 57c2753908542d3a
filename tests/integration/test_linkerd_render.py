# SPDX-License-Identifier: GPL-3.0-or-later
"""The linkerd role, render-only, for both distributions: the values match the keys the real
charts read (their values.yaml at the pinned versions), and no licence and no private key reaches the artifacts folder."""
from __future__ import annotations

import datetime
import textwrap

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd_certs as lc
from conftest import run_playbook

pytestmark = pytest.mark.slow

LICENCE = "fake-buoyant-licence-7d3e91aa"
NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def pems():
    anchor, anchor_key = lc.generate_anchor(NOW, 3650)
    issuer, issuer_key = lc.generate_issuer(anchor, anchor_key, NOW, 365)
    return {"linkerd_trust_anchor_pem": lc.cert_pem(anchor), "linkerd_trust_anchor_key_pem": lc.key_pem(anchor_key),
            "linkerd_issuer_cert_pem": lc.cert_pem(issuer), "linkerd_issuer_key_pem": lc.key_pem(issuer_key)}


def render(tmp_path, distribution: str, extra: dict | None = None):
    playbook = tmp_path / "pb.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Render the linkerd role.
              ansible.builtin.include_role:
                name: mcpmesh.platform.linkerd
        """))
    extra_vars = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path / "art"),
                  "linkerd_distribution": distribution, **(extra or {})}
    return run_playbook(playbook, extra_vars=extra_vars, env={"BUOYANT_LICENSE": LICENCE})


def load(tmp_path, name):
    return yaml.safe_load((tmp_path / "art" / "linkerd" / name).read_text())


# The keys each chart reads: licence (BEL licenseSecret), trust anchors, issuer scheme kubernetes.io/tls.
@pytest.mark.parametrize("distribution, licence_keys", [
    ("enterprise", {"licenseSecret": "buoyant-license"}),
    ("edge", {}),
])
def test_values_match_the_chart_keys(tmp_path, distribution, licence_keys):
    res = render(tmp_path, distribution)
    assert res.rc == 0, res
    assert res.localhost["failed"] == 0
    control = load(tmp_path, "control-plane-values.yml")
    assert len(control.pop("heartbeatSchedule").split()) == 5  # fixed, not the render time
    assert control == {"identity": {"externalCA": False, "issuer": {"scheme": "kubernetes.io/tls"}},
                       "identityTrustDomain": "cluster.local", **licence_keys}
    assert load(tmp_path, "crds-values.yml") == {"installGatewayAPI": False}
    assert load(tmp_path, "viz-values.yml") == {"linkerdNamespace": "linkerd", "identityTrustDomain": "cluster.local"}
    namespace = load(tmp_path, "namespace.yml")
    assert namespace["metadata"]["labels"]["linkerd.io/is-control-plane"] == "true"
    header = (tmp_path / "art" / "linkerd" / "control-plane-values.yml").read_text()
    chart = "linkerd-enterprise-control-plane 2.19.4" if distribution == "enterprise" else "linkerd-control-plane 2026.8.3"
    assert chart in header
    again = render(tmp_path, distribution)
    assert again.rc == 0 and again.localhost["changed"] == 0, again


def test_no_licence_and_no_key_in_any_artifact_or_output(tmp_path, pems):
    res = render(tmp_path, "enterprise", pems)
    assert res.rc == 0, res
    key_lines = [line for name in ("linkerd_trust_anchor_key_pem", "linkerd_issuer_key_pem")
                 for line in pems[name].splitlines() if "-----" not in line]
    assert len(key_lines) >= 4
    files = [p for p in (tmp_path / "art").rglob("*") if p.is_file()]
    assert len(files) == 4
    for path in files:
        text = path.read_text()
        assert LICENCE not in text, path
        assert "PRIVATE KEY" not in text, path
        for line in key_lines:
            assert line not in text, path
    for line in key_lines + [LICENCE]:
        assert line not in res.stdout + res.stderr


def test_supplied_issuer_that_does_not_chain_is_refused_before_anything(tmp_path, pems):
    other, other_key = lc.generate_anchor(NOW, 3650)
    foreign, foreign_key = lc.generate_issuer(other, other_key, NOW, 365)
    bad = dict(pems, linkerd_issuer_cert_pem=lc.cert_pem(foreign), linkerd_issuer_key_pem=lc.key_pem(foreign_key))
    res = render(tmp_path, "edge", bad)
    assert res.rc == 2, res
    assert "Check the supplied identity certificates" in res.stdout
    assert "PRIVATE KEY" not in res.stdout + res.stderr


def test_a_key_in_the_extra_values_fails_validation(tmp_path, pems):
    res = render(tmp_path, "edge", {"linkerd_control_plane_values": {
        "identity": {"issuer": {"tls": {"keyPEM": pems["linkerd_issuer_key_pem"]}}}}})
    assert res.rc == 2, res
    assert "should not be valid" in res.stdout or "secret value" in res.stdout, res
