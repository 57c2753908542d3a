#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linkerd_identity
short_description: Decide Linkerd's trust anchor and issuer certificates, generating or renewing them as needed
version_added: 0.1.0
description:
  - Works out the identity certificates a Linkerd control plane with C(identity.issuer.scheme=kubernetes.io/tls) needs,
    from what the cluster already holds and what the user supplies, and returns the C(data) of the two Secrets
    to write. It talks to no cluster; the caller reads the Secrets (for example with C(kubernetes.core.k8s_info))
    and writes them (with C(kubernetes.core.k8s)), both with C(no_log).
  - The trust anchor is an ECDSA P-256 CA valid for O(anchor_validity_days). The issuer is an ECDSA P-256 CA with
    path length 0, signed by the anchor, valid for O(issuer_validity_days) (never past the anchor).
  - Certificates found in the cluster are reused while they are what Linkerd accepts and the issuer has at least
    O(renew_before_days) left; otherwise the issuer is renewed with the anchor's key. Supplied PEMs win over the
    cluster's.
  - Private keys are written as SEC1 C(EC PRIVATE KEY) blocks, the only form Linkerd reads.
  - Private keys come in only as PEM through the C(no_log) options O(current_anchor_key_pem),
    O(current_issuer_key_pem), O(anchor_key_pem) and O(issuer_key_pem), and go out only base64-encoded, inside
    RV(issuer_secret_data) and RV(anchor_secret_data), ready for a Secret's C(data). Certificates are public and
    have options of their own. Still register the result with C(no_log) on the task, since it holds keys.
requirements:
  - cryptography >= 42.0 (on the host that runs the module)
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES]
attributes:
  check_mode: {details: [The module only computes; check mode computes the same.]}
  idempotent:
    details:
      - Given back the certificates and keys of its own Secrets, it returns the same certificates and RV(changed=false)
        until the issuer is near expiry.
options:
  current_issuer_cert_pem:
    description:
      - The issuer certificate (PEM) the cluster holds, that is C(tls.crt) of the C(linkerd-identity-issuer) Secret, decoded.
        Omit it when there is no such Secret.
    type: str
  current_issuer_key_pem:
    description: The issuer key (PEM) the cluster holds (C(tls.key) of the same Secret, decoded).
    type: str
  current_issuer_ca_pem:
    description:
      - The trust anchor the issuer Secret names (its C(ca.crt), decoded). Used as the trust anchor when
        O(current_anchor_cert_pem) is not given, for an issuer Secret made elsewhere.
    type: str
  current_anchor_cert_pem:
    description: The trust anchor certificate (PEM) the cluster keeps (C(tls.crt) of the trust anchor Secret, decoded).
    type: str
  current_anchor_key_pem:
    description:
      - The trust anchor key (PEM) the cluster keeps (C(tls.key) of the trust anchor Secret, decoded).
      - Without it the issuer cannot be renewed, unless O(anchor_key_pem) is given.
    type: str
  anchor_cert_pem:
    description:
      - A trust anchor certificate (PEM) to use instead of the cluster's or a generated one.
      - It may be a bundle of several certificates (as during a rotation, the new anchor and the old one); the
        bundle is kept whole, and the issuer may chain to any of them. With O(anchor_key_pem), the certificate
        that key belongs to signs new issuers.
    type: str
  anchor_key_pem:
    description: The key of O(anchor_cert_pem) (PEM, unencrypted), used only in memory to sign the issuer.
    type: str
  issuer_cert_pem:
    description: An issuer certificate (PEM) to use; needs O(issuer_key_pem) and O(anchor_cert_pem).
    type: str
  issuer_key_pem: {description: "The key of O(issuer_cert_pem) (PEM, unencrypted).", type: str}
  renew_before_days:
    description: Renew the issuer when fewer days than this remain (C(linkerd check) warns under 60).
    type: int
    default: 60
  issuer_validity_days: {description: Validity of a new issuer certificate., type: int, default: 365}
  anchor_validity_days: {description: "Validity of a new trust anchor, 1 to 36500 days.", type: int, default: 3650}
  rotate_anchor:
    description:
      - Replace an expired, unusable or nearly expired trust anchor with a new one. Every meshed workload then has
        to be restarted to trust it. Without this the module fails in that case and says what to do.
    type: bool
    default: false
  trust_domain:
    description: The trust domain, used in the certificates' common names.
    type: str
    default: cluster.local
  namespace:
    description: The control plane's namespace, used in the issuer's common name (C(identity.<namespace>.<trust domain>)).
    type: str
    default: linkerd
"""

EXAMPLES = r"""
- name: Read the identity Secrets of the cluster.
  kubernetes.core.k8s_info:
    kind: Secret
    namespace: linkerd
    name: "{{ item }}"
  loop: [linkerd-identity-issuer, linkerd-trust-anchor]
  register: identity_secrets
  no_log: true

- name: Decide the certificates (reuse, renew or generate).
  mcpmesh.platform.linkerd_identity:
    current_issuer_cert_pem: "{{ issuer['tls.crt'] | b64decode if 'tls.crt' in issuer else omit }}"
    current_issuer_key_pem: "{{ issuer['tls.key'] | b64decode if 'tls.key' in issuer else omit }}"
    current_issuer_ca_pem: "{{ issuer['ca.crt'] | b64decode if 'ca.crt' in issuer else omit }}"
    current_anchor_cert_pem: "{{ anchor['tls.crt'] | b64decode if 'tls.crt' in anchor else omit }}"
    current_anchor_key_pem: "{{ anchor['tls.key'] | b64decode if 'tls.key' in anchor else omit }}"
  vars:
    issuer: "{{ (identity_secrets.results[0].resources | first | default({})).data | default({}) }}"
    anchor: "{{ (identity_secrets.results[1].resources | first | default({})).data | default({}) }}"
  register: identity
  no_log: true

- name: Create or update the issuer Secret.
  kubernetes.core.k8s:
    definition:
      apiVersion: v1
      kind: Secret
      type: kubernetes.io/tls
      metadata: {name: linkerd-identity-issuer, namespace: linkerd}
      data: "{{ identity.issuer_secret_data }}"
  no_log: true
"""

RETURN = r"""
changed:
  description: Whether new certificates were made or supplied, that is whether the Secrets must be written.
  returned: always
  type: bool
trust_anchor_pem:
  description:
    - The trust anchor certificate (public), for the chart value C(identityTrustAnchorsPEM).
    - Every certificate of a bundle, in the order given; after a rotation the new anchor comes first, followed by
      the old ones still valid, so proxies that have not restarted keep trusting the issuer.
  returned: success
  type: str
trust_anchors:
  description: Public facts about every certificate of the trust anchor bundle, as in RV(trust_anchor).
  returned: success
  type: list
  elements: dict
issuer_cert_pem: {description: The issuer certificate (public)., returned: success, type: str}
issuer_secret_data:
  description:
    - The C(data) of the C(kubernetes.io/tls) issuer Secret (base64 C(tls.crt), C(tls.key), C(ca.crt)). Sensitive.
    - The only place the issuer key is returned.
  returned: success
  type: dict
anchor_secret_data:
  description: The C(data) of the trust anchor Secret (base64 C(tls.crt), C(tls.key)), or V(null) when the anchor's key is not known. Sensitive.
  returned: success
  type: dict
anchor_action: {description: "V(generated), V(reused), V(supplied) or V(rotated).", returned: success, type: str}
issuer_action: {description: "V(generated), V(reused), V(supplied) or V(renewed).", returned: success, type: str}
renew_reason: {description: "Why the issuer was renewed, when it was.", returned: success, type: str}
trust_anchor: {
  description: "Public facts about the trust anchor that signs the issuer (of a bundle, the one whose key is known).",
  returned: success, type: dict,
  contains: {
    subject: {description: The subject (RFC 4514)., type: str},
    issuer: {description: The issuer's name (RFC 4514)., type: str},
    serial: {description: "The serial number, hexadecimal.", type: str},
    not_before: {description: Start of validity (ISO 8601)., type: str},
    not_after: {description: End of validity (ISO 8601)., type: str},
    ca: {description: Whether it is a CA., type: bool},
    path_length: {description: "The path length constraint, V(null) for none.", type: int}}}
issuer:
  description: Public facts about the issuer certificate, as in RV(trust_anchor).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd_certs, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import new_module, options_of


# The options passed to _linkerd_certs.resolve under their own names.
RESOLVE_OPTIONS = ("anchor_cert_pem", "anchor_key_pem", "issuer_cert_pem", "issuer_key_pem", "renew_before_days",
                   "issuer_validity_days", "anchor_validity_days", "rotate_anchor", "trust_domain", "namespace")


def secret_data(pems: dict) -> dict | None:
    """The Secret data (base64 values) of the PEMs given, as the API would hold it; None when none is."""
    data = {name: _linkerd_certs.b64(pem) for name, pem in pems.items() if pem}
    return data or None


def main() -> None:
    # Keys come in as PEM through no_log options and go out only base64-encoded (in the Secrets'
    # data): Ansible masks no_log values wherever they appear in a result, and a base64 string
    # never contains the PEM it encodes, so the returned data stays intact. Certificates are public.
    module = new_module(AnsibleModule, dict(
        **options_of("str", "current_issuer_cert_pem", "current_issuer_ca_pem", "current_anchor_cert_pem",
                     "anchor_cert_pem", "issuer_cert_pem"),
        **options_of("str", "current_issuer_key_pem", "current_anchor_key_pem", "anchor_key_pem", "issuer_key_pem",
                     no_log=True),
        renew_before_days=dict(type="int", default=60),
        issuer_validity_days=dict(type="int", default=365),
        anchor_validity_days=dict(type="int", default=3650),
        rotate_anchor=dict(type="bool", default=False),
        trust_domain=dict(type="str", default="cluster.local"),
        namespace=dict(type="str", default="linkerd"),
    ), required_together=[("issuer_cert_pem", "issuer_key_pem")],
        required_by={"anchor_key_pem": "anchor_cert_pem", "issuer_cert_pem": "anchor_cert_pem"})
    if not _linkerd_certs.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(_linkerd_certs.CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    longest = _linkerd_certs.MAX_VALIDITY_DAYS
    if not (1 <= params["issuer_validity_days"] <= longest and 1 <= params["anchor_validity_days"] <= longest) \
            or params["renew_before_days"] < 0:
        module.fail_json(msg=f"issuer_validity_days and anchor_validity_days must be between 1 and {longest} (a century), "
                             "renew_before_days at least 0.")
    if params["renew_before_days"] >= params["issuer_validity_days"]:
        module.fail_json(msg=f"renew_before_days ({params['renew_before_days']}) must be less than issuer_validity_days "
                             f"({params['issuer_validity_days']}), or every run would renew the issuer.")
    try:
        result = _linkerd_certs.resolve(
            secret_data({"tls.crt": params["current_issuer_cert_pem"], "tls.key": params["current_issuer_key_pem"],
                         "ca.crt": params["current_issuer_ca_pem"]}),
            secret_data({"tls.crt": params["current_anchor_cert_pem"], "tls.key": params["current_anchor_key_pem"]}),
            **{name: params[name] for name in RESOLVE_OPTIONS},
        )
    except _linkerd_certs.IdentityError as exc:
        module.fail_json(msg=f"Linkerd's identity certificates cannot be used: {_text.clean(str(exc), 2000)}")
    result.pop("issuer_key_pem")  # a PEM key is never returned; it is in issuer_secret_data, base64
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
