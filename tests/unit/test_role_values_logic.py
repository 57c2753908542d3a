# SPDX-License-Identifier: GPL-3.0-or-later
"""What the roles once computed in Jinja: the MetalLB pool summary, the webhook readiness signs, the
Helm release values read back from a validated file, and the identity Secrets' PEMs."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.module_utils import _metallb
from ansible_collections.mcpmesh.platform.plugins.module_utils._digests import digests
from ansible_collections.mcpmesh.platform.plugins.module_utils._role_values import (
    RoleValueError,
    endpoints_ready,
    identity_current,
    merge,
    pool_summary,
    release_values,
    webhooks_ca_bundled,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "metallb"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---------------------------------------------------------------- the MetalLB pool


def found(fixture: str, source: str, **kwargs) -> dict:
    """What mcpmesh.platform.metallb_range returns for that inspect output."""
    return {"source": source, **_metallb.choose_pool(json.loads((FIXTURES / fixture).read_text()), **kwargs)}


def test_the_render_only_sample_is_named_as_a_sample():
    # The role's render-only stand-in has the shape of this fixture (vars/main.yml says so).
    summary = pool_summary(found("docker-kind-ipv6-first.json", "network_info"), [], False)
    assert summary == {
        "addresses": ["172.18.255.200-172.18.255.250"],
        "source": "From network kind (a sample of the usual docker network of kind; a real run reads the live one, "
                  "subnets fc00:f853:ccd:e793::/64, 172.18.0.0/16): 172.18.255.200-172.18.255.250."}


def test_the_origin_is_the_engine_or_the_users_inspect_output():
    assert "(docker network inspect, subnets" in pool_summary(found("docker-kind-ipv4-only.json", "docker"))["source"]
    given = pool_summary(found("docker-kind-ipv4-only.json", "network_info"), [], True)["source"]
    assert given.startswith("From network kind (metallb_network_info, subnets ")


def test_held_addresses_are_named_as_left_out():
    result = found("docker-kind-held-in-pool.json", "docker")
    left_out = [a for pool in result["pools"] for a in pool["left_out"]]
    assert left_out, "the fixture holds addresses inside the pool"
    summary = pool_summary(result)
    assert summary["addresses"] == result["addresses"] and len(summary["addresses"]) > 1
    assert summary["source"].endswith(f", leaving out {', '.join(left_out)}.")


def test_the_users_addresses_win_and_need_no_network():
    skipped = {"skipped": True, "changed": False}
    assert pool_summary(skipped, ["10.0.0.1-10.0.0.9"]) == {
        "addresses": ["10.0.0.1-10.0.0.9"], "source": "Addresses set in metallb_addresses."}
    with pytest.raises(RoleValueError, match="set metallb_addresses"):
        pool_summary(skipped, [])


# ---------------------------------------------------------------- webhook readiness


def slice_with(*conditions) -> dict:
    return {"kind": "EndpointSlice", "endpoints": [{"addresses": ["10.244.0.5"], "conditions": c} for c in conditions]}


@pytest.mark.parametrize(("resources", "ready"), [
    ([], False),
    ([{"kind": "EndpointSlice"}], False),                       # no endpoints key at all
    ([{"kind": "EndpointSlice", "endpoints": None}], False),    # the API's null
    ([slice_with({})], False),                                  # ready not reported
    ([slice_with({"ready": False, "serving": True})], False),
    ([slice_with({"ready": False}), slice_with({"ready": True})], True),
    ([slice_with({"ready": False}, {"ready": True})], True),
])
def test_a_webhook_service_is_reachable_once_an_endpoint_is_ready(resources, ready):
    assert endpoints_ready({"resources": resources}) is ready
    assert endpoints_ready(resources) is ready


def webhook(ca: str | None) -> dict:
    return {"name": "ipaddresspoolvalidationwebhook.metallb.io",
            "clientConfig": {"service": {"name": "metallb-webhook-service"}, **({"caBundle": ca} if ca is not None else {})}}


@pytest.mark.parametrize(("resources", "bundled"), [
    ([], False),                                                       # no configuration yet
    ([{"webhooks": []}], False),                                       # no webhook in it
    ([{"webhooks": [webhook(None)]}], False),                          # before the cert-rotator's patch
    ([{"webhooks": [webhook("LS0tLS1CRUdJTg=="), webhook("")]}], False),  # patched halfway
    ([{"webhooks": [webhook("LS0tLS1CRUdJTg=="), webhook("LS0tLS1CRUdJTg==")]}], True),
])
def test_webhooks_are_ready_when_every_one_carries_a_ca_bundle(resources, bundled):
    assert webhooks_ca_bundled({"resources": resources}) is bundled


def test_a_failed_read_is_not_ready():
    failed = {"failed": True, "msg": "connection refused"}
    assert endpoints_ready(failed) is False and webhooks_ca_bundled(failed) is False


# ---------------------------------------------------------------- Helm release values

VALUES = "# Ansible managed\nidentity:\n  externalCA: false\n  issuer:\n    scheme: kubernetes.io/tls\nproxyInjector:\n  namespaceSelector: {}\n"


def test_the_file_read_back_is_completed_with_the_install_time_values():
    read = {"changed": False, "content": b64(VALUES), "encoding": "base64"}
    result = release_values(read, {"ignored": True}, [
        {"identityTrustAnchorsPEM": "-----BEGIN CERTIFICATE-----\n"},
        {"proxyInjector": {"externalSecret": True, "caBundle": "CRT"}},
    ])
    assert result == {"identity": {"externalCA": False, "issuer": {"scheme": "kubernetes.io/tls"}},
                      "proxyInjector": {"namespaceSelector": {}, "externalSecret": True, "caBundle": "CRT"},
                      "identityTrustAnchorsPEM": "-----BEGIN CERTIFICATE-----\n"}


def test_a_skipped_read_uses_the_values_the_file_was_rendered_from():
    assert release_values({"skipped": True}, {"a": {"b": 1}}, [{"a": {"c": 2}}]) == {"a": {"b": 1, "c": 2}}
    assert release_values({"skipped": True}) == {}


def test_merge_is_recursive_for_mappings_and_replaces_the_rest():
    assert merge({"a": {"b": [1, 2], "c": 1}, "d": 1}, {"a": {"b": [3]}, "d": {"e": 1}}) == {"a": {"b": [3], "c": 1}, "d": {"e": 1}}


def test_a_secret_in_the_file_or_the_overlays_is_refused_without_quoting_it():
    key_line = "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZZYgm2KF4w8pAE3yO9H6z3qoAoGCCqGSM49"
    forbidden = digests([key_line])
    read = {"content": b64(VALUES + f"identity:\n  issuer:\n    tls:\n      keyPEM: |\n        {key_line}\n")}
    with pytest.raises(RoleValueError, match="holds a secret") as exc:
        release_values(read, forbidden_digests=forbidden, what="control-plane-values.yml")
    assert key_line not in str(exc.value) and "control-plane-values.yml" in str(exc.value)
    with pytest.raises(RoleValueError, match="release values"):
        release_values({"content": b64(VALUES)}, overlays=[{"x": key_line}], forbidden_digests=forbidden)
    assert release_values({"content": b64(VALUES)}, forbidden_digests=forbidden)["identity"]["externalCA"] is False


@pytest.mark.parametrize(("content", "message"), [
    ("not base64!", "could not be read back"),
    (b64("- a list\n"), "mapping of chart values"),
    (b64("a: &x [*x]\n"), "not usable YAML"),
])
def test_unusable_files_are_refused_with_a_reason(content, message):
    with pytest.raises(RoleValueError, match=message):
        release_values({"content": content})
    with pytest.raises(RoleValueError, match="overlay 1"):
        release_values({"skipped": True}, {}, ["not a mapping"])


# ---------------------------------------------------------------- the identity Secrets

ISSUER = {"tls.crt": b64("ISSUER CRT\n"), "tls.key": b64("ISSUER KEY\n"), "ca.crt": b64("ANCHOR CRT\n")}
ANCHOR = {"tls.crt": b64("ANCHOR CRT\n"), "tls.key": b64("ANCHOR KEY\n")}


def read_secret(data: dict | None) -> dict:
    """What k8s_info registers for one Secret (no resources when it is missing)."""
    return {"resources": [{"kind": "Secret", "data": data}] if data is not None else []}


def test_both_secrets_become_the_modules_pem_options():
    assert identity_current({"results": [read_secret(ISSUER), read_secret(ANCHOR)]}) == {
        "current_issuer_cert_pem": "ISSUER CRT\n", "current_issuer_key_pem": "ISSUER KEY\n",
        "current_issuer_ca_pem": "ANCHOR CRT\n", "current_anchor_cert_pem": "ANCHOR CRT\n",
        "current_anchor_key_pem": "ANCHOR KEY\n"}


def test_missing_secrets_and_fields_are_left_out():
    assert identity_current([read_secret(None), read_secret(None)]) == {}
    assert identity_current([read_secret({"ca.crt": ISSUER["ca.crt"], "tls.key": ""}), read_secret({})]) == {
        "current_issuer_ca_pem": "ANCHOR CRT\n"}


def test_an_undecodable_field_is_named_never_quoted():
    with pytest.raises(RoleValueError, match="tls.key of the trust anchor Secret") as exc:
        identity_current([read_secret(ISSUER), read_secret({"tls.key": "sec ret!"})])
    assert "sec ret" not in str(exc.value)
    with pytest.raises(RoleValueError, match="two Secrets"):
        identity_current({"results": [read_secret(ISSUER)]})


# ---------------------------------------------------------------- the roles use them


def test_the_roles_call_these_filters_instead_of_jinja_chains():
    metallb = (ROOT / "roles/metallb/tasks/webhook.yml").read_text()
    assert "mcpmesh.platform.endpoints_ready" in metallb and "mcpmesh.platform.webhooks_ca_bundled" in metallb
    present = yaml.safe_load((ROOT / "roles/linkerd/tasks/present.yml").read_text())
    text = json.dumps(present)
    assert "b64decode" not in text and "helm_release_values" in text
    assert "b64decode" not in (ROOT / "roles/linkerd/tasks/identity.yml").read_text()
