# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module_utils is PRIVATE to the collection. It can change at any time.
"""What the roles once computed in Jinja filter chains, as plain functions.

* :func:`pool_summary`: the MetalLB pool a role renders and the sentence saying where it came from.
* :func:`endpoints_ready` and :func:`webhooks_ca_bundled`: the readiness signs of an admission
  webhook, read from ``kubernetes.core.k8s_info`` resources.
* :func:`release_values`: a Helm release's values, read back from the validated values file and
  completed with what is only known at install time (public certificates), refusing a file that
  holds a secret.

The filters of plugins/filter/ call these. No Ansible imports: tests import it directly.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from ansible_collections.mcpmesh.platform.plugins.module_utils._artifacts import forbidden_digest_hits
from ansible_collections.mcpmesh.platform.plugins.module_utils._yaml import YamlRefused, load

SAMPLE_ORIGIN = "a sample of the usual docker network of kind; a real run reads the live one"


class RoleValueError(ValueError):
    """Input a filter cannot use; the message says what to do and quotes no secret."""


# ---------------------------------------------------------------- the MetalLB pool


def pool_summary(found, addresses=None, network_info_given: bool = False) -> dict:
    """``{addresses, source}``: the pool the metallb role renders, and where it came from.

    ``addresses`` are the user's (``metallb_addresses``); when they are empty, ``found`` is what
    ``mcpmesh.platform.metallb_range`` returned. ``network_info_given`` tells a network inspect the
    user supplied (``metallb_network_info``) from the role's render-only sample of kind's network.
    """
    addresses = list(addresses or [])
    if addresses:
        return {"addresses": addresses, "source": "Addresses set in metallb_addresses."}
    if not isinstance(found, Mapping) or "addresses" not in found:
        raise RoleValueError("metallb_pool_summary: no metallb_range result to read; set metallb_addresses "
                             "or let the role compute the pool.")
    source = str(found.get("source") or "")
    if source == "network_info":
        origin = "metallb_network_info" if network_info_given else SAMPLE_ORIGIN
    else:
        origin = f"{source} network inspect"
    left_out = [addr for pool in found.get("pools") or [] for addr in (pool.get("left_out") or [])]
    sentence = (f"From network {found.get('network')} ({origin}, subnets {', '.join(found.get('subnets') or [])}): "
                f"{found.get('range')}" + (f", leaving out {', '.join(left_out)}" if left_out else "") + ".")
    return {"addresses": list(found["addresses"]), "source": sentence}


# ---------------------------------------------------------------- webhook readiness


def _resources(value) -> list:
    """The resources of a k8s_info result, or a list of resources as given."""
    if isinstance(value, Mapping):
        value = value.get("resources") or []
    return [item for item in (value or []) if isinstance(item, Mapping)]


def endpoints_ready(slices) -> bool:
    """True when some endpoint of these EndpointSlices is ready (``conditions.ready`` true)."""
    for piece in _resources(slices):
        for endpoint in piece.get("endpoints") or []:
            if isinstance(endpoint, Mapping) and (endpoint.get("conditions") or {}).get("ready") is True:
                return True
    return False


def webhooks_ca_bundled(configurations) -> bool:
    """True when these webhook configurations have webhooks and each carries a CA bundle."""
    hooks = [hook for conf in _resources(configurations) for hook in (conf.get("webhooks") or [])]
    return bool(hooks) and all(isinstance(hook, Mapping) and (hook.get("clientConfig") or {}).get("caBundle")
                               for hook in hooks)


# ---------------------------------------------------------------- Helm release values


def merge(base, extra):
    """``extra`` over ``base``: mappings merged key by key, anything else replaced (Ansible's
    ``combine(recursive=True)`` with lists replaced)."""
    if not isinstance(base, Mapping) or not isinstance(extra, Mapping):
        return extra
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if key in out else value
    return out


def _secret_check(text: str, forbidden_digests, what: str) -> None:
    if forbidden_digests and forbidden_digest_hits(text, forbidden_digests):
        raise RoleValueError(
            f"{what} holds a secret (the licence or a line of a private key). Keep secrets out of the chart "
            "values variables: the role passes them through Secrets.")


def release_values(read, fallback=None, overlays=None, forbidden_digests=None, what: str = "the values file") -> dict:
    """The values of a Helm release, from the values file the role rendered and validated.

    ``read`` is what ``ansible.builtin.slurp`` registered for that file (``content``, base64); when
    it was skipped (check mode, where a changed render is not written) the values the file was
    rendered from, ``fallback``, stand in. Each of ``overlays`` is then merged over them, in order.
    The file and the result are refused when they hold one of ``forbidden_digests``
    (``{sha256, length}``, from the ``secret_digests`` filter).
    """
    content = read.get("content") if isinstance(read, Mapping) and not read.get("skipped") else None
    if content is None:
        values = fallback if fallback is not None else {}
    else:
        try:
            text = base64.b64decode(str(content), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise RoleValueError(f"{what} could not be read back (its content is not base64 UTF-8 text).") from None
        _secret_check(text, forbidden_digests, what)
        try:
            values = load(text)
        except YamlRefused as exc:
            raise RoleValueError(f"{what} is not usable YAML: {exc}.") from None
        values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise RoleValueError(f"{what} must hold a mapping of chart values, not a {type(values).__name__}.")
    for index, overlay in enumerate(overlays or []):
        if not isinstance(overlay, Mapping):
            raise RoleValueError(f"overlay {index + 1} of {what} must be a mapping, not a {type(overlay).__name__}.")
        values = merge(values, overlay)
    _secret_check(json.dumps(values, sort_keys=True, default=str), forbidden_digests, f"the release values of {what}")
    return dict(values)


# ---------------------------------------------------------------- Linkerd identity Secrets

# linkerd_identity option <- (which Secret, its data field)
IDENTITY_FIELDS = (
    ("current_issuer_cert_pem", 0, "tls.crt"),
    ("current_issuer_key_pem", 0, "tls.key"),
    ("current_issuer_ca_pem", 0, "ca.crt"),
    ("current_anchor_cert_pem", 1, "tls.crt"),
    ("current_anchor_key_pem", 1, "tls.key"),
)


def secret_data(result) -> dict:
    """The ``data`` of the first Secret of a k8s_info result ({} when there is none)."""
    found = _resources(result)
    data = found[0].get("data") if found else None
    return dict(data) if isinstance(data, Mapping) else {}


def identity_current(found, names=("the issuer Secret", "the trust anchor Secret")) -> dict:
    """The ``current_*`` options of mcpmesh.platform.linkerd_identity, from the two Secrets read.

    ``found`` is what k8s_info registered in a loop over the issuer Secret, then the trust anchor
    Secret (``results``), or the two results as a list. The module takes PEM through ``no_log``
    options and returns the Secrets' data base64-encoded: were it given the base64 data itself,
    Ansible would mask that very text in the data it returns. Fields a Secret lacks are left out.
    """
    results = found.get("results") if isinstance(found, Mapping) else found
    results = list(results or [])
    if len(results) != 2:
        raise RoleValueError("linkerd_identity_current needs the k8s_info results of two Secrets: the issuer's, "
                             "then the trust anchor's.")
    datas = [secret_data(result) for result in results]
    out = {}
    for option, which, field in IDENTITY_FIELDS:
        value = datas[which].get(field)
        if not value:
            continue
        try:
            out[option] = base64.b64decode(str(value), validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            raise RoleValueError(
                f"The {field} of {names[which]} is not base64-encoded PEM text; delete that Secret (kubectl delete "
                "secret) to have the role make new certificates, or supply them.") from None
    return out
