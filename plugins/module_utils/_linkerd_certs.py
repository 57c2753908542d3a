# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Linkerd's identity certificates: a trust anchor and an issuer, generated, checked and reused.

The rules (from Linkerd's pkg/issuercerts and pkg/identity, linkerd2 edge-26.8 / 2.19):

* trust anchor: ECDSA P-256 signed with ECDSA-SHA256 (or RSA 2048/4096 with SHA256-RSA), a CA
  (BasicConstraints CA:TRUE, KeyUsage keyCertSign);
* issuer: ECDSA P-256, a CA with path length 0, keyCertSign and cRLSign, signed by the anchor;
  its key is read by Linkerd as an ``EC PRIVATE KEY`` PEM block (SEC1), so that is what we write;
* ``linkerd check`` warns when either has fewer than 60 days left and fails when one has expired.

The issuer Secret (``linkerd-identity-issuer``, type ``kubernetes.io/tls``) holds ``tls.crt``,
``tls.key`` and ``ca.crt`` (the anchor). The anchor's key, when we generated it, is kept in a
second ``kubernetes.io/tls`` Secret so that the issuer can be renewed on a later run.

The trust anchor may be a bundle of several certificates (``identityTrustAnchorsPEM`` takes one,
as during a rotation: the new anchor and the old one until every proxy trusts the new). A bundle
is kept whole; the anchor that signs is the one whose key is known (else the first), and an
issuer may chain to any certificate of the bundle.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import base64
import binascii
import datetime

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
except ImportError as exc:  # reported by the module through missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: Exception | None = exc
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

# X.509 can say dates up to 9999; a century is more than any certificate here should live.
MAX_VALIDITY_DAYS = 36500
ANCHOR_CN = "root.linkerd.cluster.local"
ISSUER_CN = "identity.linkerd.cluster.local"
# Backdate new certificates a little, so that a node whose clock is slightly behind accepts them.
BACKDATE = datetime.timedelta(minutes=5)


class IdentityError(Exception):
    """The certificates cannot be used and cannot be made usable without the user."""


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------- encoding


def b64(text: str) -> str:
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def unb64(value: str, what: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise IdentityError(f"{what} is not base64-encoded PEM text ({exc})") from exc


def cert_pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key) -> str:
    """SEC1 ``EC PRIVATE KEY`` for EC keys (the only block type Linkerd's DecodePEMKey reads)."""
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode("ascii")


def load_certs(pem: str, what: str) -> list:
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise IdentityError(f"{what} is not a PEM certificate ({exc})") from exc
    if not certs:
        raise IdentityError(f"{what} holds no certificate")
    return certs


def load_cert(pem: str, what: str):
    return load_certs(pem, what)[0]


def bundle_pem(certs: list) -> str:
    return "".join(cert_pem(cert) for cert in certs)


def pick_signer(bundle: list, key):
    """The certificate of the bundle that ``key`` belongs to (the first when no key is known), or None."""
    if key is None:
        return bundle[0]
    return next((cert for cert in bundle if key_matches(cert, key)), None)


def bundle_warnings(bundle: list, signer, now: datetime.datetime) -> list[str]:
    """The other certificates of a trust anchor bundle that no longer serve."""
    warnings = []
    for number, cert in enumerate(bundle, start=1):
        if cert is signer:
            continue
        for problem in validity_problems(cert, f"certificate {number} of the trust anchor bundle "
                                               f"({cert.subject.rfc4514_string()[:100]})", now):
            warnings.append(f"{problem}; remove it from the bundle once every proxy trusts the current anchor")
    return warnings


def load_key(pem: str, what: str):
    try:
        return serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise IdentityError(f"{what} is not an unencrypted PEM private key ({exc})") from exc


# ---------------------------------------------------------------- facts about a certificate


def not_before(cert) -> datetime.datetime:
    return cert.not_valid_before_utc


def not_after(cert) -> datetime.datetime:
    return cert.not_valid_after_utc


def days_left(cert, now: datetime.datetime) -> float:
    return (not_after(cert) - now).total_seconds() / 86400


def is_p256(public_key) -> bool:
    return isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1)


def key_matches(cert, key) -> bool:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt)


def _ext(cert, ext_type):
    try:
        return cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return None


def signed_by(cert, issuer) -> bool:
    """Whether ``issuer``'s key signed ``cert`` (and the names chain)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def ca_problems(cert, what: str) -> list[str]:
    problems = []
    constraints = _ext(cert, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        problems.append(f"{what} is not a CA (BasicConstraints CA:TRUE is missing)")
    usage = _ext(cert, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        problems.append(f"{what} may not sign certificates (KeyUsage keyCertSign is missing)")
    return problems


def validity_problems(cert, what: str, now: datetime.datetime) -> list[str]:
    if not_before(cert) > now:
        return [f"{what} is not valid before {not_before(cert).isoformat()}"]
    if not_after(cert) <= now:
        return [f"{what} expired on {not_after(cert).isoformat()}"]
    return []


def anchor_problems(cert, now: datetime.datetime) -> list[str]:
    """Why Linkerd would refuse ``cert`` as a trust anchor (empty when it is fine)."""
    what = "the trust anchor"
    problems = []
    pub = cert.public_key()
    algo = cert.signature_hash_algorithm
    if is_p256(pub):
        if not isinstance(algo, hashes.SHA256):
            problems.append(f"{what} is ECDSA P-256 but not signed with ECDSA-SHA256")
    elif isinstance(pub, rsa.RSAPublicKey) and pub.key_size in (2048, 4096):
        if not isinstance(algo, hashes.SHA256):
            problems.append(f"{what} is RSA but not signed with SHA256-RSA")
    else:
        problems.append(f"{what} must use an ECDSA P-256 or RSA 2048/4096 key")
    return problems + ca_problems(cert, what) + validity_problems(cert, what, now)


def issuer_problems(cert, key, anchors: list, now: datetime.datetime) -> list[str]:
    """Why Linkerd would refuse ``cert`` (with ``key``) as its issuer under ``anchors``."""
    what = "the issuer certificate"
    problems = []
    if not is_p256(cert.public_key()):
        problems.append(f"{what} must use an ECDSA P-256 key")
    if not isinstance(cert.signature_hash_algorithm, hashes.SHA256):
        problems.append(f"{what} must be signed with SHA-256")
    problems += ca_problems(cert, what)
    constraints = _ext(cert, x509.BasicConstraints)
    if constraints is not None and constraints.ca and constraints.path_length not in (None, 0):
        problems.append(f"{what} allows intermediates below it (path length {constraints.path_length}); use 0")
    if key is not None and not key_matches(cert, key):
        problems.append(f"the issuer key does not belong to {what}")
    if not any(signed_by(cert, anchor) for anchor in anchors):
        problems.append(f"{what} does not chain to the trust anchor")
    return problems + validity_problems(cert, what, now)


def describe(cert) -> dict:
    """Public facts about a certificate, for the module's return value."""
    constraints = _ext(cert, x509.BasicConstraints)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": not_before(cert).isoformat(),
        "not_after": not_after(cert).isoformat(),
        "ca": bool(constraints and constraints.ca),
        "path_length": constraints.path_length if constraints else None,
    }


# ---------------------------------------------------------------- generation


def _name(common_name: str):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_builder(subject, issuer_name, public_key, start, end, path_length):
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def generate_anchor(now: datetime.datetime, days: int, common_name: str = ANCHOR_CN):
    """A self-signed ECDSA P-256 root CA valid for ``days``. Returns (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    builder = _ca_builder(name, name, key.public_key(), now - BACKDATE, now + datetime.timedelta(days=days), None)
    return builder.sign(key, hashes.SHA256()), key


def generate_issuer(anchor, anchor_key, now: datetime.datetime, days: int, common_name: str = ISSUER_CN):
    """An ECDSA P-256 CA with path length 0 signed by the anchor, valid for ``days`` (never past the anchor)."""
    key = ec.generate_private_key(ec.SECP256R1())
    end = min(now + datetime.timedelta(days=days), not_after(anchor))
    builder = _ca_builder(_name(common_name), anchor.subject, key.public_key(), now - BACKDATE, end, 0)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(anchor_key.public_key())
    return builder.add_extension(aki, critical=False).sign(anchor_key, hashes.SHA256()), key


# ---------------------------------------------------------------- the decision


def _secret_pem(data: dict | None, field: str, what: str) -> str | None:
    value = (data or {}).get(field)
    if not value:
        return None
    return unb64(value, what)


def resolve(
    issuer_secret: dict | None = None,
    anchor_secret: dict | None = None,
    *,
    anchor_cert_pem: str | None = None,
    anchor_key_pem: str | None = None,
    issuer_cert_pem: str | None = None,
    issuer_key_pem: str | None = None,
    renew_before_days: int = 60,
    issuer_validity_days: int = 365,
    anchor_validity_days: int = 3650,
    rotate_anchor: bool = False,
    trust_domain: str = "cluster.local",
    namespace: str = "linkerd",
    now: datetime.datetime | None = None,
) -> dict:
    """Decide the trust anchor and issuer to use, generating what is missing or expiring.

    ``issuer_secret`` and ``anchor_secret`` are the ``data`` of the Secrets found in the
    cluster (base64 values, as the API returns them), or None. The ``*_pem`` arguments are
    what the user supplied; they win over the cluster. Returns a dict with the PEMs, the
    Secrets' new ``data``, what was done (``anchor_action``, ``issuer_action``: reused,
    supplied, generated, renewed, rotated), ``changed`` (the Secrets need writing), public
    facts about both certificates and ``warnings``. Raises IdentityError when the certificates
    cannot be used and the user has to act.
    """
    now = now or utcnow()
    warnings: list[str] = []
    anchor_cn = f"root.linkerd.{trust_domain}"
    issuer_cn = f"identity.{namespace}.{trust_domain}"

    for name, days in (("issuer_validity_days", issuer_validity_days), ("anchor_validity_days", anchor_validity_days)):
        if not 1 <= days <= MAX_VALIDITY_DAYS:
            raise IdentityError(f"{name} is {days}; it must be between 1 and {MAX_VALIDITY_DAYS} (a century)")
    if bool(issuer_cert_pem) != bool(issuer_key_pem):
        raise IdentityError("supply both the issuer certificate and its key, or neither")
    if anchor_key_pem and not anchor_cert_pem:
        raise IdentityError("a trust anchor key was supplied without its certificate")
    if issuer_cert_pem and not anchor_cert_pem:
        raise IdentityError("a supplied issuer needs the trust anchor certificate it chains to")

    # --- the trust anchor (a bundle of one or more certificates)
    bundle: list = []
    anchor = anchor_key = None
    if anchor_cert_pem:
        bundle, anchor_action = load_certs(anchor_cert_pem, "the supplied trust anchor"), "supplied"
        anchor_key = load_key(anchor_key_pem, "the supplied trust anchor key") if anchor_key_pem else None
    else:
        kept = _secret_pem(anchor_secret, "tls.crt", "the trust anchor Secret's tls.crt")
        if kept:
            bundle, anchor_action = load_certs(kept, "the trust anchor Secret's tls.crt"), "reused"
            kept_key = _secret_pem(anchor_secret, "tls.key", "the trust anchor Secret's tls.key")
            anchor_key = load_key(kept_key, "the trust anchor Secret's tls.key") if kept_key else None
        else:
            ca_pem = _secret_pem(issuer_secret, "ca.crt", "the issuer Secret's ca.crt")
            if ca_pem:  # an issuer Secret made elsewhere: its anchor, without the key
                bundle, anchor_action = load_certs(ca_pem, "the issuer Secret's ca.crt"), "reused"
    if bundle:
        anchor = pick_signer(bundle, anchor_key)
        if anchor is None:
            raise IdentityError("the trust anchor key does not belong to the trust anchor certificate"
                                + (" (nor to any certificate of the bundle)" if len(bundle) > 1 else ""))

    if anchor is None:
        anchor, anchor_key = generate_anchor(now, anchor_validity_days, anchor_cn)
        bundle = [anchor]
        anchor_action = "generated"
    else:
        problems = anchor_problems(anchor, now)
        expiring = not problems and days_left(anchor, now) < renew_before_days
        if (problems or expiring) and rotate_anchor and anchor_action != "supplied":
            warnings.append(
                f"the trust anchor was replaced ({'; '.join(problems) or 'fewer than %d days left' % renew_before_days}): "
                "every meshed workload must be restarted to trust the new one")
            old = [cert for cert in bundle if not validity_problems(cert, "", now)]
            anchor, anchor_key = generate_anchor(now, anchor_validity_days, anchor_cn)
            bundle = [anchor] + old  # the old anchors still valid stay trusted until the proxies restart
            anchor_action = "rotated"
        elif problems:
            raise IdentityError(
                "; ".join(problems) + ". Supply a new trust anchor (linkerd_trust_anchor_pem and its key), "
                "or set linkerd_rotate_trust_anchor=true to generate one (meshed workloads then need a restart).")
        elif expiring:
            warnings.append(
                f"the trust anchor has {days_left(anchor, now):.0f} days left (linkerd check warns under 60); "
                "plan its rotation (linkerd_rotate_trust_anchor=true, or supply a new one)")
    warnings += bundle_warnings(bundle, anchor, now)

    # --- the issuer
    issuer = issuer_key = None
    renew_reason = None
    if issuer_cert_pem:
        issuer = load_cert(issuer_cert_pem, "the supplied issuer certificate")
        issuer_key = load_key(issuer_key_pem, "the supplied issuer key")
        problems = issuer_problems(issuer, issuer_key, bundle, now)
        if problems:
            raise IdentityError("; ".join(problems) + ". Supply an issuer that Linkerd accepts, or none to have one generated.")
        issuer_action = "supplied"
        if days_left(issuer, now) < renew_before_days:
            warnings.append(f"the supplied issuer certificate has {days_left(issuer, now):.0f} days left")
    else:
        kept_crt = _secret_pem(issuer_secret, "tls.crt", "the issuer Secret's tls.crt")
        kept_key = _secret_pem(issuer_secret, "tls.key", "the issuer Secret's tls.key")
        if kept_crt and kept_key:
            issuer = load_cert(kept_crt, "the issuer Secret's tls.crt")
            issuer_key = load_key(kept_key, "the issuer Secret's tls.key")
            problems = issuer_problems(issuer, issuer_key, bundle if anchor_action != "rotated" else [anchor], now)
            if problems:
                renew_reason = "; ".join(problems)
            elif days_left(issuer, now) < renew_before_days:
                renew_reason = f"the issuer certificate has {days_left(issuer, now):.1f} days left (renewed under {renew_before_days})"
        elif kept_crt or kept_key:
            renew_reason = "the issuer Secret lacks tls.crt or tls.key"
        if issuer is not None and renew_reason is None:
            issuer_action = "reused"
        else:
            if anchor_key is None:
                raise IdentityError(
                    f"a new issuer certificate is needed ({renew_reason or 'none exists'}) but the trust anchor's key is not "
                    "known here. Supply the issuer (linkerd_issuer_cert_pem and linkerd_issuer_key_pem) or the trust "
                    "anchor's key (linkerd_trust_anchor_key_pem).")
            issuer_action = "renewed" if issuer is not None or renew_reason else "generated"
            issuer, issuer_key = generate_issuer(anchor, anchor_key, now, issuer_validity_days, issuer_cn)

    anchor_pem = bundle_pem(bundle)
    issuer_data = {"ca.crt": b64(anchor_pem), "tls.crt": b64(cert_pem(issuer)), "tls.key": b64(key_pem(issuer_key))}
    anchor_data = {"tls.crt": b64(anchor_pem), "tls.key": b64(key_pem(anchor_key))} if anchor_key is not None else None

    def differs(old: dict | None, new: dict | None) -> bool:
        if new is None:
            return False
        old = old or {}
        return any(_decoded(old.get(k)) != _decoded(v) for k, v in new.items())

    return {
        "trust_anchor_pem": anchor_pem,
        "issuer_cert_pem": cert_pem(issuer),
        "issuer_key_pem": key_pem(issuer_key),
        "issuer_secret_data": issuer_data,
        "anchor_secret_data": anchor_data,
        "anchor_action": anchor_action,
        "issuer_action": issuer_action,
        "renew_reason": renew_reason,
        "changed": differs(issuer_secret, issuer_data) or differs(anchor_secret, anchor_data),
        "trust_anchor": describe(anchor),
        "trust_anchors": [describe(cert) for cert in bundle],
        "issuer": describe(issuer),
        "warnings": warnings,
    }


def _decoded(value: str | None) -> str | None:
    """A Secret value compared by content (the same PEM may be encoded with other line breaks)."""
    if value is None:
        return None
    try:
        return base64.b64decode(value).decode("ascii", "replace").strip()
    except (binascii.Error, ValueError):
        return value
