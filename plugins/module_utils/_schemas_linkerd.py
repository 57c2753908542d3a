# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""JSON schemas for the linkerd custom resources and Helm values we render (the fields we set).

Sources of the value names (the charts' values.yaml files named below, docs/linkerd.md):

* ``linkerd-control-plane`` (edge, charts/linkerd-control-plane/values.yaml @edge-26.8.3) and
  ``linkerd-enterprise-control-plane`` (BEL 2.19.x, values top-level): ``identityTrustAnchorsPEM``,
  ``identity.externalCA``, ``identity.issuer.{scheme, issuanceLifetime, clockSkewAllowance, tls}``,
  ``clusterDomain``, ``identityTrustDomain``, ``disableIPv6``, ``cniEnabled``, ``proxy.*``,
  ``proxyInit.*``, ``webhookFailurePolicy``, ``controllerReplicas``; BEL adds ``license`` and
  ``licenseSecret``.
* ``linkerd-crds`` / ``linkerd-enterprise-crds``: ``installGatewayAPI`` (false since 2.19).
* ``linkerd-viz`` (viz/charts/linkerd-viz/values.yaml): ``linkerdNamespace``, ``clusterDomain``,
  ``identityTrustDomain``, ``prometheus.enabled``, ``dashboard.enforcedHostRegexp``.

What never belongs in a values file, and so fails validation: the issuer's private key
(``identity.issuer.tls.keyPEM``; the role pre-creates the ``kubernetes.io/tls`` Secret instead),
and the Buoyant licence (``license``; the role stores it in the ``buoyant-license`` Secret and sets
``licenseSecret``). Unknown keys are allowed (``linkerd_*_values`` pass extra chart values).
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schema_parts as parts

_DURATION = r"^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$"
_PORTS = r"^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$"
_CERT_PEM = r"^\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$"

_NO_ISSUER_KEY = {
    "not": {
        "required": ["identity"],
        "properties": {"identity": {
            "required": ["issuer"],
            "properties": {"issuer": {"required": ["tls"], "properties": {"tls": {"required": ["keyPEM"]}}}},
        }},
    },
    "description": "the issuer key lives in the linkerd-identity-issuer Secret, never in a values file",
}

_CONTROL_PLANE_PROPERTIES = {
    "identityTrustAnchorsPEM": {"type": "string", "pattern": _CERT_PEM},
    "identityTrustDomain": {"type": "string"},
    "clusterDomain": {"type": "string", "pattern": parts.DNS_SUBDOMAIN},
    "identity": parts.obj({
        "externalCA": {"type": "boolean"},
        "serviceAccountTokenProjection": {"type": "boolean"},
        "issuer": parts.obj({
            "scheme": {"enum": ["linkerd.io/tls", "kubernetes.io/tls"]},
            "issuanceLifetime": {"type": "string", "pattern": _DURATION},
            "clockSkewAllowance": {"type": "string", "pattern": _DURATION},
            "tls": parts.obj({"crtPEM": {"type": "string", "pattern": _CERT_PEM}}),
        }),
    }),
    "disableIPv6": {"type": "boolean"},
    "cniEnabled": {"type": "boolean"},
    "controllerReplicas": {"type": "integer", "minimum": 1},
    "enablePodAntiAffinity": {"type": "boolean"},
    "enablePodDisruptionBudget": {"type": "boolean"},
    "webhookFailurePolicy": {"enum": ["Ignore", "Fail"]},
    "proxy": parts.obj({
        "nativeSidecar": {"type": "boolean"},
        "opaquePorts": {"type": "string", "pattern": _PORTS},
        "logLevel": {"type": "string"},
        "await": {"type": "boolean"},
    }),
    "proxyInit": parts.obj({
        "ignoreInboundPorts": {"type": "string", "pattern": r"^([0-9,\-]*)$"},
        "ignoreOutboundPorts": {"type": "string", "pattern": r"^([0-9,\-]*)$"},
        "kubeAPIServerPorts": {"type": "string", "pattern": _PORTS},
        "runAsRoot": {"type": "boolean"},
    }),
}

# Scheme kubernetes.io/tls with the chart's own trust-roots ConfigMap (externalCA false) needs the
# anchors in identityTrustAnchorsPEM (the chart fills its linkerd-identity-trust-roots ConfigMap from
# that value); the role adds them at install time,
# so they are not required in the file, but externalCA must then stay false.
_KUBERNETES_TLS_NEEDS_CHART_ROOTS = {
    "if": {
        "required": ["identity"],
        "properties": {"identity": {
            "required": ["issuer"],
            "properties": {"issuer": {"required": ["scheme"], "properties": {"scheme": {"const": "kubernetes.io/tls"}}}},
        }},
    },
    "then": {"properties": {"identity": {"properties": {"externalCA": {"const": False}}}}},
}

LINKERD_CONTROL_PLANE = parts.chart_values(
    "linkerd-control-plane (edge) chart values (the keys the linkerd role sets)",
    _CONTROL_PLANE_PROPERTIES,
    {"required": ["identity"], "allOf": [
        _NO_ISSUER_KEY,
        _KUBERNETES_TLS_NEEDS_CHART_ROOTS,
        {"not": {"anyOf": [{"required": ["license"]}, {"required": ["licenseSecret"]}]},
         "description": "the open-source edge chart takes no Buoyant licence"},
    ]},
)

LINKERD_ENTERPRISE_CONTROL_PLANE = parts.chart_values(
    "linkerd-enterprise-control-plane (BEL 2.19.x, top-level values) chart values (the keys the linkerd role sets)",
    dict(_CONTROL_PLANE_PROPERTIES, licenseSecret={
        "const": "buoyant-license",
        "description": "the control plane only picks the licence up automatically from a Secret of this name",
    }),
    {"required": ["identity", "licenseSecret"], "allOf": [
        _NO_ISSUER_KEY,
        _KUBERNETES_TLS_NEEDS_CHART_ROOTS,
        {"not": {"required": ["license"]},
         "description": "the licence is stored in the buoyant-license Secret, never in a values file"},
    ]},
)

CRDS = parts.chart_values(
    "linkerd-crds / linkerd-enterprise-crds chart values (the keys the linkerd role sets)",
    {
        "installGatewayAPI": {
            "type": "boolean",
            "description": "false: the role installs the Gateway API CRDs itself, at a pinned version, when missing",
        },
        "enableHttpRoutes": {"type": "boolean"},
        "enableTcpRoutes": {"type": "boolean"},
        "enableTlsRoutes": {"type": "boolean"},
    },
    {"not": {"required": ["license"]}},
)

VIZ = parts.chart_values(
    "linkerd-viz chart values (the keys the linkerd role sets)",
    {
        "linkerdNamespace": {"type": "string", "pattern": parts.DNS_LABEL},
        "clusterDomain": {"type": "string", "pattern": parts.DNS_SUBDOMAIN},
        "identityTrustDomain": {"type": "string"},
        "prometheusUrl": {"type": "string"},
        "prometheus": parts.enabled(),
        "dashboard": parts.obj({"enforcedHostRegexp": {"type": "string"}, "replicas": {"type": "integer", "minimum": 1}}),
    },
    {"required": ["linkerdNamespace"], "not": {"anyOf": [{"required": ["license"]}, {"required": ["licenseSecret"]}]}},
)

CUSTOM_RESOURCES: dict[tuple[str, str], dict] = {}
