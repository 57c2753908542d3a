# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""A request to a Service through the API server's service proxy, with ``kubectl get|delete --raw``.

The URL is ``/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>``. kubectl prints the
body on stdout and exits 0 for a 2xx answer; otherwise it prints one line on stderr and exits 1
(kubernetes/kubectl ``pkg/rawhttp/raw.go`` and ``pkg/cmd/util/helpers.go`` StandardErrorMessage;
client-go ``rest/request.go``; apimachinery ``pkg/api/errors/errors.go`` NewGenericServerResponse):

* the backend answered 404: ``Error from server (NotFound): the server could not find the requested resource``;
* the Service does not exist: ``Error from server (NotFound): services "petstore" not found``;
* no ready pod behind it: ``Error from server (ServiceUnavailable): no endpoints available for service "petstore"``;
* its pod refused or did not answer: ``Error from server (ServiceUnavailable): error trying to reach service: dial tcp ...``;
* the backend answered 5xx: ``Error from server (InternalError): an error on the server ("<body>") has prevented the request from succeeding``;
* no API server: ``The connection to the server <host> was refused - did you specify the right host or port?``
  or ``Unable to connect to the server: <why>``;
* not allowed: ``Error from server (Forbidden): ...``.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.mcpmesh.platform.plugins.module_utils._schema_parts import DNS1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN, PORT_NAME
from ansible_collections.mcpmesh.platform.plugins.module_utils._text import cut, last_line

_DNS1123_LABEL, _DNS1035_LABEL, _DNS1123_SUBDOMAIN, _PORT_NAME = map(re.compile, (DNS_LABEL, DNS1035_LABEL, DNS_SUBDOMAIN, PORT_NAME))
# What may stay as it is in the path and query (RFC 3986 pchar, "/", "?" and "%" of escapes the caller made).
_SAFE = "/?=&%:@!$'()*+,;-._~"

OK, NOT_FOUND = "ok", "not_found"
_SERVER_ERROR = re.compile(r"^Error from server(?: \((?P<reason>[A-Za-z]+)\))?: (?P<message>.*)$")


def proxy_url(namespace: str, service: str, port, path: str) -> str:
    """The service-proxy URL; ValueError naming what is wrong with an argument."""
    _namespace(namespace)
    _name("service", service, 63, _DNS1035_LABEL, "a Service name (a lower-case letter first, then letters, digits and '-', at most 63)")
    return f"/api/v1/namespaces/{namespace}/services/{service}:{_port(port)}/proxy/{_path(path)}"


def pod_proxy_url(namespace: str, pod: str, port, path: str) -> str:
    """The pod-proxy URL (one pod, not the Service's choice); ValueError naming what is wrong with an argument.

    The API server joins the pod's IP with the port as it is, so the port must be the container port's number.
    """
    _namespace(namespace)
    _name("pod", pod, 253, _DNS1123_SUBDOMAIN, "a pod name (lower-case letters, digits, '-' and '.', at most 253)")
    if isinstance(port, bool) or not (isinstance(port, int) or (isinstance(port, str) and port.isdigit())):
        raise ValueError(f"port {cut(str(port), 40)!r} must be the container port's number for a pod (the API server "
                         "does not resolve port names there)")
    return f"/api/v1/namespaces/{namespace}/pods/{pod}:{_port(port)}/proxy/{_path(path)}"


def _name(what: str, value, limit: int, pattern: re.Pattern, rule: str) -> None:
    """ValueError saying ``<what> <value> is not <rule>`` unless ``value`` is a string of ``pattern`` within ``limit``."""
    if not isinstance(value, str) or len(value) > limit or not pattern.match(value):
        raise ValueError(f"{what} {cut(str(value), 80)!r} is not {rule}")


def _namespace(namespace) -> None:
    _name("namespace", namespace, 63, _DNS1123_LABEL, "a namespace name (lower-case letters, digits and '-', at most 63)")


def _path(path) -> str:
    if not isinstance(path, str):
        raise ValueError("path must be a string")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in path):
        raise ValueError("path holds white space or control characters; percent-encode them")
    if "#" in path:
        raise ValueError("path holds '#': a fragment is never sent to a server; percent-encode it as %23")
    route = path.split("?", 1)[0]
    if any(segment in (".", "..") for segment in route.split("/")):
        raise ValueError("path holds a '.' or '..' segment; give the backend's path as it is")
    return quote(path.lstrip("/"), safe=_SAFE)


def _port(port) -> str:
    if isinstance(port, bool):
        raise ValueError("port must be a port number or a port name")
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        number = int(port)
        if not 1 <= number <= 65535:
            raise ValueError(f"port {number} is not between 1 and 65535")
        return str(number)
    if isinstance(port, str) and len(port) <= 15 and _PORT_NAME.match(port):
        return port
    raise ValueError(f"port {cut(str(port), 40)!r} is neither a number from 1 to 65535 nor a port name "
                     "(lower-case letters, digits and '-', at most 15)")


def classify_failure(stderr: str, stdout: str, service: str, namespace: str, kind: str = "Service") -> tuple[str, str]:
    """``("not_found", line)`` when the backend answered 404, else ``("error", what to tell the user)``."""
    line = last_line(stderr) or last_line(stdout) or "kubectl printed nothing"
    match = _SERVER_ERROR.match(line)
    reason, message = (match["reason"] or "", match["message"]) if match else ("", line)
    if reason == "NotFound":
        if re.match(r'^services? "[^"]*" not found', message):
            return "error", (f"the Service {service} does not exist in namespace {namespace} ({line}); check the "
                             "names, and that the backend was deployed")
        if re.match(r'^pods? "[^"]*" not found', message):
            return "error", (f"the pod {service} does not exist in namespace {namespace} ({line}); it may have been "
                             "replaced: list the pods again")
        if re.match(r'^namespaces? "[^"]*" not found', message):
            return "error", f"the namespace {namespace} does not exist ({line})"
        return NOT_FOUND, line
    if reason == "ServiceUnavailable" and "no endpoints available" in message:
        return "error", (f"the Service {service} has no ready pod behind it ({line}); check the backend's pods are "
                         "Ready and its selector matches them")
    if reason == "ServiceUnavailable":
        target = f"the pod {service}" if kind == "pod" else f"a pod of the Service {service}"
        return "error", (f"the API server could not reach {target} ({line}); check the pod "
                         "listens on that port and that no network policy or Linkerd policy refuses the API server")
    if reason == "Forbidden":
        resource = "pods/proxy" if kind == "pod" else "services/proxy"
        return "error", f"not allowed ({line}); the user needs the verb on {resource} in namespace {namespace}"
    if reason in ("InternalError", "BadRequest", "MethodNotAllowed", "Invalid", "Conflict", "Timeout", "Unknown"):
        return "error", f"the backend (or the API server) answered an error: {line}"
    if line.startswith("The connection to the server") or line.startswith("Unable to connect to the server"):
        return "error", (f"kubectl cannot reach the API server ({line}); check kubeconfig and context, and that "
                         "the cluster is running")
    return "error", line
