# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in Kubernetes API server, enough for ``kubernetes.core.k8s_info`` to list and get objects.

``k8s_info`` (through the kubernetes Python client) first reads ``/version`` and the discovery
documents (``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``: the kinds each group
serves), then lists ``.../namespaces/<ns>/<plural>`` or gets ``.../<plural>/<name>``. The answers
have the shapes of the Kubernetes API (APIVersions, APIGroupList, APIResourceList, a List of items);
the objects are the ones a test puts in ``objects``. No watch; a PATCH is recorded in ``patches``
and answered with the object unchanged (so a restart is seen, and the pods stay what the test says).
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlparse

from mcp_peers import LocalHTTPServer

# group/version path -> (plural, kind, namespaced)
API_RESOURCES = {
    "/api/v1": [("pods", "Pod", True), ("namespaces", "Namespace", False), ("services", "Service", True)],
    "/apis/apps/v1": [("deployments", "Deployment", True)],
    "/apis/admissionregistration.k8s.io/v1": [("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False)],
    "/apis/metallb.io/v1beta1": [("ipaddresspools", "IPAddressPool", True)],
}


def pod(name: str, namespace: str, meshed: bool = True) -> dict:
    containers = [{"name": "app"}] + ([{"name": "linkerd-proxy"}] if meshed else [])
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"containers": containers},
            "status": {"phase": "Running"}}


def deployment(name: str, namespace: str, labels: dict) -> dict:
    """An available Deployment (what kubernetes.core's waiter calls ready: every replica available)."""
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels, "generation": 1},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels}},
            "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                       "updatedReplicas": 1,
                       "conditions": [{"type": "Available", "status": "True"},
                                      {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}}


class FakeApiServer(LocalHTTPServer):
    """``objects[(namespace or "", plural)]`` is the list served; ``requests`` logs the paths asked."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], list[dict]] = {}
        self.requests: list[str] = []
        self.patches: list[tuple[str, dict]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                path = urlparse(self.path).path
                api.requests.append(path)
                if path == "/version":
                    return self._json({"major": "1", "minor": "36", "gitVersion": "v1.36.1"})
                if path == "/api":
                    return self._json({"kind": "APIVersions", "versions": ["v1"]})
                if path == "/apis":
                    groups = []
                    for group_version in (gv[len("/apis/"):] for gv in API_RESOURCES if gv.startswith("/apis/")):
                        entry = {"groupVersion": group_version, "version": group_version.split("/")[1]}
                        groups.append({"name": group_version.split("/")[0], "versions": [entry], "preferredVersion": entry})
                    return self._json({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
                if path in API_RESOURCES:
                    resources = [{"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                                  "verbs": ["get", "list"]} for plural, kind, namespaced in API_RESOURCES[path]]
                    return self._json({"kind": "APIResourceList", "groupVersion": path.split("/", 2)[2],
                                       "resources": resources})
                return self._objects(path)

            def do_PATCH(self):  # noqa: N802
                path = urlparse(self.path).path
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                api.requests.append(f"PATCH {path}")
                api.patches.append((path, body))
                return self._objects(path)

            def _objects(self, path: str):
                parts = path.strip("/").split("/")
                base = 2 if parts[0] == "api" else 3  # api/v1/... or apis/<group>/<version>/...
                rest = parts[base:]
                namespace = ""
                if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
                    namespace, rest = rest[1], rest[2:]
                if not rest:
                    return self._status(404)
                group_version = "/".join(parts[1:base])
                kinds = {plural: kind for plural, kind, _namespaced in API_RESOURCES.get("/" + "/".join(parts[:base]), [])}
                items = [{"apiVersion": group_version, "kind": kinds.get(rest[0], ""), **item}
                         for item in api.objects.get((namespace, rest[0]), [])]
                if len(rest) == 1:
                    return self._json({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                                       "items": items})
                for item in items:
                    if item["metadata"]["name"] == rest[1]:
                        return self._json(item)
                return self._status(404)

            def _status(self, code: int):
                self._json({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                            "message": "the server could not find the requested resource", "code": code}, code)

            def _json(self, body, code: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig whose current context is this server (no credentials: it asks for none)."""
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.base}}],
            "users": [{"name": "fake", "user": {}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}))
        return path
