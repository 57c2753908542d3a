# SPDX-License-Identifier: GPL-3.0-or-later
"""Linkerd's identity certificates (module_utils/_linkerd_certs.py), checked with cryptography."""
from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd_certs as lc

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def pem(data: dict, key: str) -> bytes:
    return base64.b64decode(data[key])


@pytest.fixture(scope="module")
def fresh():
    return lc.resolve(now=NOW)


def test_generated_anchor_is_a_long_lived_p256_ca(fresh):
    anchor = x509.load_pem_x509_certificate(fresh["trust_anchor_pem"].encode())
    key = anchor.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    assert isinstance(anchor.signature_hash_algorithm, hashes.SHA256)
    constraints = anchor.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = anchor.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert anchor.subject == anchor.issuer
    anchor.verify_directly_issued_by(anchor)  # self-signed
    assert anchor.not_valid_after_utc - NOW > datetime.timedelta(days=3600)
    assert anchor.not_valid_before_utc <= NOW
    assert anchor.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "root.linkerd.cluster.local"
    assert fresh["anchor_action"] == "generated"


def test_generated_issuer_is_a_one_year_p256_ca_with_path_length_0_chained_to_the_anchor(fresh):
    anchor = x509.load_pem_x509_certificate(fresh["trust_anchor_pem"].encode())
    issuer = x509.load_pem_x509_certificate(fresh["issuer_cert_pem"].encode())
    key = issuer.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    assert isinstance(issuer.signature_hash_algorithm, hashes.SHA256)
    constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert issuer.issuer == anchor.subject
    issuer.verify_directly_issued_by(anchor)  # raises when the anchor did not sign it
    life = issuer.not_valid_after_utc - NOW
    assert datetime.timedelta(days=364) < life <= datetime.timedelta(days=365)
    assert issuer.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "identity.linkerd.cluster.local"
    assert fresh["issuer"]["path_length"] == 0 and fresh["issuer_action"] == "generated"


def test_issuer_key_is_the_sec1_block_linkerd_reads_and_matches_the_certificate(fresh):
    assert fresh["issuer_key_pem"].startswith("-----BEGIN EC PRIVATE KEY-----")
    key = serialization.load_pem_private_key(fresh["issuer_key_pem"].encode(), password=None)
    issuer = x509.load_pem_x509_certificate(fresh["issuer_cert_pem"].encode())
    assert lc.key_matches(issuer, key)


def test_secret_data_is_the_kubernetes_tls_layout(fresh):
    data = fresh["issuer_secret_data"]
    assert set(data) == {"tls.crt", "tls.key", "ca.crt"}
    assert pem(data, "ca.crt").decode() == fresh["trust_anchor_pem"]
    assert pem(data, "tls.crt").decode() == fresh["issuer_cert_pem"]
    assert pem(data, "tls.key").decode() == fresh["issuer_key_pem"]
    assert set(fresh["anchor_secret_data"]) == {"tls.crt", "tls.key"}
    assert fresh["changed"] is True


def test_second_run_reuses_everything(fresh):
    again = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], now=NOW + 30 * DAY)
    assert (again["anchor_action"], again["issuer_action"], again["changed"]) == ("reused", "reused", False)
    assert again["issuer_secret_data"] == fresh["issuer_secret_data"]
    assert again["trust_anchor_pem"] == fresh["trust_anchor_pem"]


def test_issuer_near_expiry_is_renewed_under_the_same_anchor(fresh):
    later = NOW + 310 * DAY  # 55 days left
    renewed = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], now=later)
    assert renewed["issuer_action"] == "renewed" and renewed["anchor_action"] == "reused"
    assert renewed["changed"] is True and "days left" in renewed["renew_reason"]
    assert renewed["trust_anchor_pem"] == fresh["trust_anchor_pem"]
    old = x509.load_pem_x509_certificate(fresh["issuer_cert_pem"].encode())
    new = x509.load_pem_x509_certificate(renewed["issuer_cert_pem"].encode())
    assert new.serial_number != old.serial_number
    new.verify_directly_issued_by(x509.load_pem_x509_certificate(fresh["trust_anchor_pem"].encode()))
    assert new.not_valid_after_utc - later > datetime.timedelta(days=364)


@pytest.mark.parametrize("days_later, action", [(304, "reused"), (306, "renewed")])
def test_renewal_threshold_is_60_days(fresh, days_later, action):
    # the issuer lives 365 days (+5 min backdate): 61 and 59 days left
    result = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], now=NOW + days_later * DAY)
    assert result["issuer_action"] == action


def test_expired_issuer_without_the_anchor_key_asks_the_user(fresh):
    only_issuer = fresh["issuer_secret_data"]  # an issuer Secret made elsewhere, no anchor Secret
    assert lc.resolve(only_issuer, None, now=NOW)["issuer_action"] == "reused"
    with pytest.raises(lc.IdentityError, match="trust anchor's key is not known"):
        lc.resolve(only_issuer, None, now=NOW + 400 * DAY)


def test_supplied_pems_win_over_the_cluster(fresh):
    anchor, anchor_key = lc.generate_anchor(NOW, 100)
    result = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"],
                        anchor_cert_pem=lc.cert_pem(anchor), anchor_key_pem=lc.key_pem(anchor_key), now=NOW)
    assert result["anchor_action"] == "supplied"
    assert result["issuer_action"] == "renewed"  # the cluster's issuer does not chain to the new anchor
    assert "does not chain" in result["renew_reason"]
    x509.load_pem_x509_certificate(result["issuer_cert_pem"].encode()).verify_directly_issued_by(anchor)
    # the issuer never outlives its anchor
    assert x509.load_pem_x509_certificate(result["issuer_cert_pem"].encode()).not_valid_after_utc <= anchor.not_valid_after_utc


def test_supplied_issuer_is_used_as_is_when_linkerd_would_accept_it():
    anchor, anchor_key = lc.generate_anchor(NOW, 1000)
    issuer, issuer_key = lc.generate_issuer(anchor, anchor_key, NOW, 200)
    result = lc.resolve(None, None, anchor_cert_pem=lc.cert_pem(anchor), issuer_cert_pem=lc.cert_pem(issuer),
                        issuer_key_pem=lc.key_pem(issuer_key), now=NOW)
    assert result["issuer_action"] == "supplied" and result["anchor_secret_data"] is None
    assert result["issuer_cert_pem"] == lc.cert_pem(issuer)


def _rsa_issuer(anchor, anchor_key):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (x509.CertificateBuilder().subject_name(lc._name("identity.linkerd.cluster.local")).issuer_name(anchor.subject)
               .public_key(key.public_key()).serial_number(1).not_valid_before(NOW - DAY).not_valid_after(NOW + 90 * DAY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True))
    return builder.sign(anchor_key, hashes.SHA256()), key


@pytest.mark.parametrize("kind, message", [
    ("rsa", "must use an ECDSA P-256 key"),
    ("foreign", "does not chain to the trust anchor"),
    ("wrong_key", "does not belong"),
])
def test_supplied_issuer_linkerd_would_refuse_is_rejected(kind, message):
    anchor, anchor_key = lc.generate_anchor(NOW, 1000)
    if kind == "rsa":
        issuer, key = _rsa_issuer(anchor, anchor_key)
    elif kind == "foreign":
        other, other_key = lc.generate_anchor(NOW, 1000)
        issuer, key = lc.generate_issuer(other, other_key, NOW, 100)
    else:
        issuer, _key = lc.generate_issuer(anchor, anchor_key, NOW, 100)
        key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(lc.IdentityError, match=message):
        lc.resolve(None, None, anchor_cert_pem=lc.cert_pem(anchor), issuer_cert_pem=lc.cert_pem(issuer),
                   issuer_key_pem=lc.key_pem(key), now=NOW)


def test_expiring_anchor_warns_and_expired_anchor_needs_rotation(fresh):
    near = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], now=NOW + 3600 * DAY)
    assert any("trust anchor has" in w for w in near["warnings"])
    with pytest.raises(lc.IdentityError, match="expired.*linkerd_rotate_trust_anchor"):
        lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], now=NOW + 3700 * DAY)
    rotated = lc.resolve(fresh["issuer_secret_data"], fresh["anchor_secret_data"], rotate_anchor=True, now=NOW + 3700 * DAY)
    assert rotated["anchor_action"] == "rotated" and rotated["issuer_action"] == "renewed"
    assert rotated["trust_anchor_pem"] != fresh["trust_anchor_pem"]


@pytest.mark.parametrize("data, message", [
    ({"tls.crt": "not base64!", "tls.key": "x"}, "not base64"),
    ({"tls.crt": base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode(),
      "tls.key": "", "ca.crt": ""}, "not a PEM certificate"),
])
def test_unreadable_secret_fails_instead_of_being_overwritten(data, message):
    with pytest.raises(lc.IdentityError, match=message):
        lc.resolve(None, data, now=NOW)


@pytest.mark.parametrize("kwargs, message", [
    ({"issuer_cert_pem": "x"}, "both the issuer certificate and its key"),
    ({"anchor_key_pem": "x"}, "without its certificate"),
    ({"issuer_cert_pem": "x", "issuer_key_pem": "y"}, "needs the trust anchor certificate"),
])
def test_incomplete_supplied_pems_are_refused(kwargs, message):
    with pytest.raises(lc.IdentityError, match=message):
        lc.resolve(None, None, now=NOW, **kwargs)
