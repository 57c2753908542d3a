# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schemas for the metallb custom resources and Helm values we render (the fields we set).

Sources (see docs/kind-and-metallb.md):

* ``IPAddressPool`` and ``L2Advertisement``, ``metallb.io/v1beta1``: MetalLB's
  api/v1beta1/ipaddresspool_types.go and l2advertisement_types.go at v0.16.1 (metallb/metallb).
  ``spec.addresses`` holds CIDRs or ``start-end`` ranges; pools and advertisements live in the
  MetalLB namespace. Unknown spec keys are errors, so a typo never reaches the webhook.
* The ``metallb`` chart 0.16.1 values the role sets: ``speaker.frr.enabled`` and
  ``frrk8s.enabled`` (both false: native L2 mode; 0.16 enables frr-k8s by default, and the chart
  cannot run both FRR modes), ``speaker.ignoreExcludeLB``, ``crds.validationFailurePolicy``,
  ``loadBalancerClass``. Other chart keys pass through unchecked (metallb_values may set them).
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schema_parts as parts

# a CIDR (10.0.0.0/24, fc00::/120) or a range (a-b); ipaddress-level checks are metallb_range's job
_POOL_ENTRY = r"^[0-9A-Fa-f.:]+(/[0-9]{1,3}|-[0-9A-Fa-f.:]+)$"

_LABEL_SELECTOR = parts.label_selector({"type": "string", "minLength": 1})


def _object(api_version: str, kind: str, spec: dict) -> dict:
    return parts.resource(api_version, kind, spec, title=f"{kind} ({api_version}), the fields the metallb role sets",
                          name_pattern=parts.DNS_SUBDOMAIN, name_length=253, closed_top=True)


_IP_ADDRESS_POOL = _object("metallb.io/v1beta1", "IPAddressPool", parts.closed({
    "addresses": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _POOL_ENTRY}},
    "autoAssign": {"type": "boolean"},
    "avoidBuggyIPs": {"type": "boolean"},
    "serviceAllocation": parts.closed({
        "priority": {"type": "integer"},
        "namespaces": {"type": "array", "items": {"type": "string", "pattern": parts.DNS_LABEL}},
        "namespaceSelectors": {"type": "array", "items": _LABEL_SELECTOR},
        "serviceSelectors": {"type": "array", "items": _LABEL_SELECTOR},
    }),
}, "addresses"))

_L2_ADVERTISEMENT = _object("metallb.io/v1beta1", "L2Advertisement", parts.closed({
    "ipAddressPools": {"type": "array", "items": {"type": "string", "pattern": parts.DNS_SUBDOMAIN}},
    "ipAddressPoolSelectors": {"type": "array", "items": _LABEL_SELECTOR},
    "nodeSelectors": {"type": "array", "items": _LABEL_SELECTOR},
    "serviceSelectors": {"type": "array", "items": _LABEL_SELECTOR},
    "interfaces": {"type": "array", "items": {"type": "string", "minLength": 1}},
}))

CHART_VALUES = parts.chart_values(
    "metallb chart values (the keys the metallb role sets)",
    {
        "speaker": parts.obj({
            "enabled": {"type": "boolean"},
            "frr": parts.enabled(),
            "ignoreExcludeLB": {"type": "boolean"},
        }),
        "frrk8s": parts.enabled(),
        "controller": parts.enabled(),
        "crds": parts.obj({
            "enabled": {"type": "boolean"},
            "validationFailurePolicy": {"enum": ["Fail", "Ignore"]},
        }),
        "loadBalancerClass": {"type": "string"},
    },
    # The chart cannot run FRR inside the speaker and the frr-k8s daemon at the same time.
    {"not": {
        "required": ["speaker", "frrk8s"],
        "properties": {
            "speaker": {"required": ["frr"], "properties": {"frr": {"required": ["enabled"],
                                                                    "properties": {"enabled": {"const": True}}}}},
            "frrk8s": {"required": ["enabled"], "properties": {"enabled": {"const": True}}},
        },
    }},
)

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {
    ("metallb.io/v1beta1", "IPAddressPool"): _IP_ADDRESS_POOL,
    ("metallb.io/v1beta1", "L2Advertisement"): _L2_ADVERTISEMENT,
}
