# SPDX-License-Identifier: GPL-3.0-or-later
"""The petstore role's verification, run through ansible-playbook against a real MCP server.

The tasks are the role's own entry point (``tasks_from: verify``), the very ones the role runs
after deploying and ``playbooks/verify.yml`` runs on an existing stack. Only the URL changes:
instead of ``http://localhost/v1/mcp`` behind kind and Envoy, a server on 127.0.0.1.

The server is built on the official MCP Python SDK (``mcp`` 2.x, ``MCPServer``): it registers
the 19 tools of cosmonic-labs/petstore-mcp-server under the same names, serves them on
``/v1/mcp`` and, like that server, answers each call with the backend's raw response text.
Its backend is a small Petstore-like HTTP server in this file, so the chain is the real one:
verifier -> MCP server -> backend. The server only accepts the Host header
``petstore-mcp.localhost.cosmonic.sh`` (the SDK's DNS-rebinding protection), which is how the
role's default Host header is proven to be sent.

The mesh and traffic parts of the entry point need a cluster with Linkerd and viz; they are
switched off here with ``petstore_verify_mesh=false`` and ``petstore_verify_traffic=false``
(the molecule scenario ``petstore-cluster`` runs them for real).
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import yaml

from conftest import ROOT, free_port, run_playbook
from fake_kube_api import FakeApiServer, deployment, pod
from mcp_peers import HOST_HEADER, PEERS, LocalHTTPServer, ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.peers]

# --------------------------------------------------------------------------------------------
# A Petstore-like backend: GET /api/v3/pet/findByStatus?status=... (and a few neighbours).

PETS = json.loads((PEERS / "pets.json").read_text())  # the Python peer serves the same pets
EXPECTED_TOOLS = yaml.safe_load((ROOT / "roles" / "petstore" / "defaults" / "main.yml").read_text())[
    "petstore_verify_expected_tools"]


class Backend(LocalHTTPServer):
    """Answers like swaggerapi/petstore3 (findByStatus, GET/POST/DELETE /pet); ``mode`` switches to a wrong answer.

    It keeps the pets it is given (``POST /pet``) in memory, as petstore3 does, so a marker pet written
    through the MCP server can be read back here; ``requests`` logs "METHOD path".
    """

    def __init__(self) -> None:
        self.mode = "right"  # right | wrong-status | empty | broken-find | every-second | broken-post
        self.find_calls = 0
        self.requests: list[str] = []
        self.pets: dict[int, dict] = {pet["id"]: pet for pet in PETS}
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                backend.requests.append(f"GET {self.path}")
                if url.path == "/api/v3/pet/findByStatus":
                    wanted = set(",".join(parse_qs(url.query).get("status", ["available"])).split(","))
                    backend.find_calls += 1
                    if backend.mode == "broken-find" or (backend.mode == "every-second" and backend.find_calls % 2 == 0):
                        return self._text(500, "Internal Server Error")
                    if backend.mode == "wrong-status":
                        body = list(backend.pets.values())  # every status, whatever was asked
                    elif backend.mode == "empty":
                        body = []
                    else:
                        body = [p for p in backend.pets.values() if p["status"] in wanted]
                    return self._json(200, body)
                if url.path == "/api/v3/store/inventory":
                    counts: dict[str, int] = {}
                    for pet in backend.pets.values():
                        counts[pet["status"]] = counts.get(pet["status"], 0) + 1
                    return self._json(200, counts)
                if url.path.startswith("/api/v3/pet/"):
                    pet = backend.pets.get(self._pet_id(url.path))
                    return self._json(200, pet) if pet else self._text(404, "Pet not found")
                return self._json(404, {"code": 404, "message": "not found"})

            def do_POST(self):  # noqa: N802
                backend.requests.append(f"POST {self.path}")
                if urlparse(self.path).path != "/api/v3/pet":
                    return self._json(404, {"code": 404, "message": "not found"})
                pet = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                backend.pets[int(pet["id"])] = pet
                if backend.mode == "broken-post":  # stored, but the answer is an error (fails halfway)
                    return self._json(400, {"code": 400, "message": "Input error: couldn't convert `photoUrls`"})
                return self._json(200, pet)

            def do_DELETE(self):  # noqa: N802
                backend.requests.append(f"DELETE {self.path}")
                pet_id = self._pet_id(urlparse(self.path).path)
                if backend.pets.pop(pet_id, None) is None:
                    return self._text(404, "Pet not found")
                return self._text(200, "Pet deleted")

            @staticmethod
            def _pet_id(path: str) -> int | None:
                tail = path.rsplit("/", 1)[-1]
                return int(tail) if tail.isdigit() else None

            def _json(self, status: int, body) -> None:
                self._send(status, "application/json", json.dumps(body).encode())

            def _text(self, status: int, body: str) -> None:
                self._send(status, "text/plain", body.encode())

            def _send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
        self.url = f"{self.base}/api/v3"

    def markers(self) -> list[dict]:
        return [pet for pet in self.pets.values() if str(pet.get("name", "")).startswith("mcpmesh-marker-")]


# --------------------------------------------------------------------------------------------
# The MCP server, on the official Python SDK, with the Petstore MCP server's 19 tools.

MCP_SERVER = r'''
import argparse, json, urllib.error, urllib.parse, urllib.request
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--service-url", required=True)
parser.add_argument("--host-header", required=True)
parser.add_argument("--drop-tool", action="append", default=[])
args = parser.parse_args()

# The name and version cosmonic-labs/petstore-mcp-server reports.
server = MCPServer(name="example-server", version="1.0.0")

def call(method, path, query=None, body=None):
    # Like the Wasm server: fetch(`${SERVICE_URL}${path}?${query}`) and return the raw text.
    url = f"{args.service_url}{path}?{urllib.parse.urlencode({k: v for k, v in (query or {}).items() if v is not None})}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.read().decode()

def post_pet(body: dict) -> str: return call("POST", "/pet", body=body)
def put_pet(body: dict) -> str: return call("PUT", "/pet", body=body)
def get_pet_find_by_status(status: str) -> str: return call("GET", "/pet/findByStatus", {"status": status})
def get_pet_find_by_tags(tags: str) -> str: return call("GET", "/pet/findByTags", {"tags": tags})
def get_pet_pet_id(petId: str) -> str: return call("GET", f"/pet/{petId}")
def post_pet_pet_id(petId: str, name: str | None = None, status: str | None = None) -> str:
    return call("POST", f"/pet/{petId}", {"name": name, "status": status})
def delete_pet_pet_id(petId: str, api_key: str | None = None) -> str: return call("DELETE", f"/pet/{petId}")
def post_pet_pet_id_upload_image(petId: str, additionalMetadata: str | None = None) -> str:
    return call("POST", f"/pet/{petId}/uploadImage", {"additionalMetadata": additionalMetadata})
def get_store_inventory() -> str: return call("GET", "/store/inventory")
def post_store_order(body: dict) -> str: return call("POST", "/store/order", body=body)
def get_store_order_order_id(orderId: str) -> str: return call("GET", f"/store/order/{orderId}")
def delete_store_order_order_id(orderId: str) -> str: return call("DELETE", f"/store/order/{orderId}")
def post_user(body: dict) -> str: return call("POST", "/user", body=body)
def post_user_create_with_list(body: list) -> str: return call("POST", "/user/createWithList", body=body)
def get_user_login(username: str | None = None, password: str | None = None) -> str:
    return call("GET", "/user/login", {"username": username, "password": password})
def get_user_logout() -> str: return call("GET", "/user/logout")
def get_user_username(username: str) -> str: return call("GET", f"/user/{username}")
def put_user_username(username: str, body: dict) -> str: return call("PUT", f"/user/{username}", body=body)
def delete_user_username(username: str) -> str: return call("DELETE", f"/user/{username}")

for fn in (post_pet, put_pet, get_pet_find_by_status, get_pet_find_by_tags, get_pet_pet_id, post_pet_pet_id,
           delete_pet_pet_id, post_pet_pet_id_upload_image, get_store_inventory, post_store_order,
           get_store_order_order_id, delete_store_order_order_id, post_user, post_user_create_with_list,
           get_user_login, get_user_logout, get_user_username, put_user_username, delete_user_username):
    if fn.__name__ not in args.drop_tool:
        # Unstructured, like the seed's server: one text content holding the backend's answer.
        server.add_tool(fn, structured_output=False)

server.run(
    "streamable-http",
    host="127.0.0.1",
    port=args.port,
    streamable_http_path="/v1/mcp",
    stateless_http=True,  # the seed's server is stateless too
    transport_security=TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[args.host_header],
        allowed_origins=[f"http://{args.host_header}"],
    ),
)
'''


class McpServer(ServerProcess):
    """The MCP server above, on the official Python SDK, on a free port; ``url`` is its endpoint."""

    def __init__(self, script: Path, service_url: str, log_dir: Path, drop_tools: tuple[str, ...] = ()):
        port = free_port()
        cmd = [sys.executable, str(script), "--port", str(port), "--service-url", service_url, "--host-header", HOST_HEADER]
        for tool in drop_tools:
            cmd += ["--drop-tool", tool]
        super().__init__("petstore MCP server", port, log_dir / f"petstore-mcp-{port}.log", cmd)
        self.url = f"http://127.0.0.1:{port}/v1/mcp"


# --------------------------------------------------------------------------------------------
# The cluster side, stood in for: an API server answering k8s_info's discovery and lists of pods and
# Deployments (the objects the tests give it), and stand-in kubectl / linkerd CLIs
# (tests/fixtures/petstore/bin, outputs written from the upstream source, see SOURCE.md there).

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "petstore"


class Cluster:
    """The stand-in cluster of one test: API server, kubectl proxying to ``service_backend``, linkerd."""

    def __init__(self, tmp_path: Path, api: FakeApiServer, service_backend: Backend):
        self.tmp_path = tmp_path
        self.api = api
        self.log = tmp_path / "cli-calls.log"
        self.log.touch()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name in ("kubectl", "linkerd"):
            (self.bin / name).symlink_to(FIXTURES / "bin" / name)
        self.kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        self.edges = {"petstore": "edges-petstore-healthy.json", "cosmonic-system": "edges-cosmonic-system-healthy.json"}
        self.stat = "stat-from-host.json"
        self.service = "petstore/petstore:8080"  # the Service the API server knows (namespace/name:port)
        self.service_backend = service_backend
        self.pods: dict[str, str] = {}  # "<ns>/<pod>:<port>" -> the backend the pod proxy forwards to
        api.objects[("petstore", "pods")] = [pod("petstore-6d5f7c9b8-x2k4q", "petstore")]
        api.objects[("cosmonic-system", "deployments")] = [
            deployment("envoy", "cosmonic-system", {"app.kubernetes.io/name": "envoy"}),
            deployment("hostgroup-default", "cosmonic-system", {"wasmcloud.com/name": "hostgroup"}),
            deployment("nats", "cosmonic-system", {"app.kubernetes.io/name": "nats"}),
        ]

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "STANDIN_LOG": str(self.log),
            "STANDIN_FIXTURES": str(FIXTURES),
            "STANDIN_EDGES": json.dumps(self.edges),
            "STANDIN_STAT": self.stat,
            "STANDIN_SERVICE": self.service,
            "STANDIN_SERVICE_URL": self.service_backend.base,
            "STANDIN_PODS": json.dumps(self.pods),
        }

    def calls(self, cli: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith(cli + " ")]


@pytest.fixture
def backend():
    with Backend() as running:
        yield running


@pytest.fixture
def api():
    with FakeApiServer() as running:
        yield running


@pytest.fixture
def cluster(tmp_path, api, backend):
    return Cluster(tmp_path, api, backend)


@pytest.fixture
def start_server(tmp_path, backend):
    script = tmp_path / "petstore_mcp_server.py"
    script.write_text(MCP_SERVER)
    started: list[McpServer] = []

    def start(drop_tools: tuple[str, ...] = (), wait: bool = True, service_url: str | None = None) -> McpServer:
        server = McpServer(script, service_url or backend.url, tmp_path, drop_tools).start()
        started.append(server)
        if wait:
            server.wait_listening()
        return server

    yield start
    for server in started:
        server.stop()


VERIFY_PLAYBOOK = (
    "- name: Run the petstore role's verification.\n"
    "  hosts: localhost\n"
    "  gather_facts: false\n"
    "  tasks:\n"
    "    - name: Verify the Petstore MCP server.\n"
    "      ansible.builtin.include_role:\n"
    "        name: mcpmesh.platform.petstore\n"
    "        tasks_from: verify\n"
)


def run_verify(tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None, **extra) -> object:
    """Run the petstore role's verify entry point against url: the MCP part only, unless extra switches more on."""
    playbook = tmp_path / "verify.yml"
    playbook.write_text(VERIFY_PLAYBOOK)
    extra_vars = {
        "petstore_verify_url": url,
        "petstore_verify_mcp": True,
        # These need a cluster with Linkerd and viz (run_full stands one in).
        "petstore_verify_marker": False,
        "petstore_verify_mesh": False,
        "petstore_verify_edges": False,
        "petstore_verify_traffic": False,
        "petstore_verify_wait_timeout": 30,
        **extra,
    }
    res = run_playbook(playbook, *args, extra_vars=extra_vars, env=env, timeout=300)
    res.flat = " ".join(res.stdout.split())  # the callback's line wrapping undone
    return res


def run_full(tmp_path: Path, url: str, cluster: Cluster, *args: str, **extra) -> object:
    """Every part of the verification, against url and the stand-in cluster."""
    return run_verify(tmp_path, url, *args, env=cluster.env(), **{
        "petstore_apply": True,
        "petstore_verify_marker": True,
        "petstore_verify_mesh": True,
        "petstore_verify_edges": True,
        "petstore_verify_traffic": True,
        "petstore_verify_load_requests": 20,
        "petstore_verify_load_concurrency": 4,
        "petstore_verify_edges_timeout": 0,
        "petstore_verify_traffic_timeout": 0,
        # Deleting pods needs a kubectl that lists and deletes them: test_petstore_disruption.py has one.
        "petstore_verify_disruption": False,
        "petstore_kubeconfig": str(cluster.kubeconfig),
        "petstore_verify_report_dir": str(tmp_path / "report"),
        **extra,
    })


def test_verify_passes_against_the_petstore_mcp_server(tmp_path, backend, start_server):
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc == 0, result
    assert result.localhost["failed"] == 0, result
    assert result.localhost["changed"] == 0, result
    assert "example-server" in result.stdout, result
    # The call really went through the MCP server to the backend, with the seed's argument.
    assert any(r.startswith("GET /api/v3/pet/findByStatus?status=available") for r in backend.requests), backend.requests


def test_verify_waits_for_a_server_that_starts_late(tmp_path, start_server):
    """The probe retries the handshake until wait_timeout, as after a Helm install."""
    server = start_server(wait=False)  # ansible-playbook starts while the server is still importing
    result = run_verify(tmp_path, server.url)
    assert result.rc == 0, result


def test_verify_fails_when_the_list_holds_pets_of_another_status(tmp_path, backend, start_server):
    backend.mode = "wrong-status"
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc != 0, result
    assert result.localhost["failed"] == 1, result
    assert "get_pet_find_by_status" in result.stdout, result
    flat = " ".join(result.stdout.split())
    assert "does not match schema" in flat and "'available' was expected" in flat, result  # the violation is shown


def test_verify_fails_when_the_list_is_empty(tmp_path, backend, start_server):
    backend.mode = "empty"
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc != 0, result
    assert result.localhost["failed"] == 1, result
    assert "should be non-empty" in " ".join(result.stdout.split()), result  # minItems: 1


def test_verify_fails_when_the_backend_answers_internal_server_error(tmp_path, backend, start_server):
    """The real server returns a backend failure as ordinary text: that is no list of pets."""
    backend.mode = "broken-find"
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc != 0, result
    assert "Internal Server Error" in result.stdout, result


def test_verify_fails_when_a_tool_is_missing(tmp_path, start_server):
    server = start_server(drop_tools=("get_store_inventory",))
    result = run_verify(tmp_path, server.url)
    assert result.rc != 0, result
    assert result.localhost["failed"] == 1, result
    assert "get_store_inventory" in result.stdout, result


def test_verify_fails_without_the_host_header(tmp_path, start_server):
    """The server only answers for petstore-mcp.localhost.cosmonic.sh, as Envoy routes only that Host."""
    server = start_server()
    result = run_verify(tmp_path, server.url, petstore_verify_headers={}, petstore_verify_wait_timeout=3)
    assert result.rc != 0, result
    assert result.localhost["failed"] == 1, result


# --------------------------------------------------------------------------------------------
# The whole verification against the stand-in cluster: marker pet, mesh share, edges, traffic, verdict.


def test_whole_verification_passes_on_a_healthy_stack(tmp_path, backend, cluster, start_server):
    """Every step passes. The gate is off here only because the MCP row's latency is this test machine's
    (a loaded 2-core host can push a loopback p50 past the seed's 100 ms); the verdicts are checked below,
    and the gate itself by the load-failure test, whose success rate does not depend on the machine."""
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_verify_gate="none")
    assert res.rc == 0, res
    assert res.localhost["failed"] == 0, res
    # The marker pet went through MCP to the backend, was found there through the service proxy, and is gone.
    assert "In-cluster backend path proven" in res.flat, res
    assert any(r.split("?")[0] == "POST /api/v3/pet" for r in backend.requests), backend.requests
    assert any(r.startswith("DELETE /api/v3/pet/") for r in backend.requests), backend.requests
    assert backend.markers() == []
    raw_gets = [c for c in cluster.calls("kubectl") if " get --raw " in f" {c} "]
    assert any("/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/" in c for c in raw_gets), raw_gets
    # The host and the ingress were found by their labels; both edges shown with their identities.
    assert "mTLS hostgroup-default (cosmonic-system) -> petstore (petstore): client hostgroup.cosmonic-system" in res.flat, res
    assert "mTLS envoy (cosmonic-system) -> hostgroup-default (cosmonic-system)" in res.flat, res
    # The backend's figures were taken --from the host workload, after the load.
    stats = [c for c in cluster.calls("linkerd") if " viz stat " in f" {c} "]
    assert stats and all("--from deploy/hostgroup-default" in c and "--from-namespace cosmonic-system" in c for c in stats), stats
    assert all("deploy/petstore" in c and "-n petstore" in c for c in stats), stats
    # The verdict and the report.
    assert "Every answer passed." in res.flat, res
    report = json.loads((tmp_path / "report" / "slo.json").read_text())
    assert str(tmp_path / "report" / "index.html") in res.flat, res
    verdicts = {w["workload"]: {m: v["verdict"] for m, v in w["metrics"].items()} for w in report["workloads"]}
    assert set(verdicts) == {"petstore-mcp (MCP)", "petstore (Linkerd)"}, verdicts
    assert verdicts["petstore (Linkerd)"] == {"success_rate": "good", "p50_ms": "good", "p99_ms": "good",
                                              "meshed_ratio": "good"}, verdicts
    assert verdicts["petstore-mcp (MCP)"]["success_rate"] == "good" == verdicts["petstore-mcp (MCP)"]["meshed_ratio"]
    backend_row = next(w for w in report["workloads"] if w["workload"] == "petstore (Linkerd)")["metrics"]
    # The figures of stat-from-host.json and the mesh share of the stand-in namespace (one meshed pod).
    assert {m: v["value"] for m, v in backend_row.items()} == {
        "success_rate": 1.0, "p50_ms": 2.0, "p99_ms": 9.0, "meshed_ratio": 1.0}, backend_row


def two_replicas(cluster: Cluster, first: Backend, second: Backend) -> None:
    """The backend at two replicas, each its own store (petstore3 keeps its pets in memory, per replica)."""
    cluster.api.objects[("petstore", "pods")] = [pod("petstore-6d5f7c9b8-aaaaa", "petstore"),
                                                 pod("petstore-6d5f7c9b8-bbbbb", "petstore")]
    cluster.pods = {"petstore/petstore-6d5f7c9b8-aaaaa:8080": first.base,
                    "petstore/petstore-6d5f7c9b8-bbbbb:8080": second.base}


def pod_reads(cluster: Cluster) -> list[str]:
    return [c for c in cluster.calls("kubectl") if " get --raw " in f" {c} " and "/pods/" in c]


def test_marker_not_in_the_in_cluster_backend_fails_saying_service_url(tmp_path, backend, cluster, start_server):
    """The MCP server writes to another store (the public demo store, here a third backend): it must fail,
    after reading through each of the two backend replicas."""
    with Backend() as public_store, Backend() as other_replica:
        two_replicas(cluster, backend, other_replica)
        server = start_server(service_url=public_store.url)
        res = run_full(tmp_path, server.url, cluster, petstore_verify_traffic=False, petstore_verify_edges=False,
                       petstore_backend_replicas=2)
        assert res.rc != 0, res
        assert "Marker pet not found in the in-cluster backend" in res.flat, res
        assert "the MCP server is not using SERVICE_URL" in res.flat, res
        assert ("replica petstore-6d5f7c9b8-aaaaa:8080: not_found, replica petstore-6d5f7c9b8-bbbbb:8080: not_found "
                "(read through each of the 2 replicas, each with its own pets)") in res.flat, res
        assert len(pod_reads(cluster)) == 2 + 2, pod_reads(cluster)  # each replica once, and again after the clean-up
        # Nothing left behind, in any store: the MCP delete removed it where the server wrote it.
        assert public_store.markers() == [] and backend.markers() == [] and other_replica.markers() == []
        assert any(r.split("?")[0] == "POST /api/v3/pet" for r in public_store.requests)
        assert not any(r.startswith("POST") for r in backend.requests + other_replica.requests)


def test_with_two_backend_replicas_the_marker_is_found_in_the_replica_that_holds_it(tmp_path, backend, cluster,
                                                                                    start_server):
    """The MCP server writes to one replica (here the second, by its SERVICE_URL): every replica is read through
    the pod proxy, the one that holds the pet is named, and the pet is gone from both afterwards."""
    with Backend() as first_replica:
        two_replicas(cluster, first_replica, backend)
        server = start_server()
        res = run_full(tmp_path, server.url, cluster, petstore_verify_traffic=False, petstore_verify_edges=False,
                       petstore_backend_replicas=2)
        assert res.rc == 0, res
        assert "In-cluster backend path proven" in res.flat, res
        assert "(replica petstore-6d5f7c9b8-bbbbb:8080 of 2 replicas read)" in res.flat, res
        reads = pod_reads(cluster)
        assert any("/pods/petstore-6d5f7c9b8-aaaaa:8080/proxy/api/v3/pet/" in c for c in reads), reads
        assert any("/pods/petstore-6d5f7c9b8-bbbbb:8080/proxy/api/v3/pet/" in c for c in reads), reads
        assert not any("/services/" in c for c in cluster.calls("kubectl")), cluster.calls("kubectl")
        assert backend.markers() == [] and first_replica.markers() == []


def test_a_marker_written_before_a_failure_is_deleted(tmp_path, backend, cluster, start_server):
    """post_pet stores the pet but answers an error text: the run fails there and still removes the pet."""
    backend.mode = "broken-post"
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_verify_traffic=False, petstore_verify_edges=False)
    assert res.rc != 0, res
    assert "post_pet" in res.flat, res
    assert backend.markers() == []
    assert any(r.startswith("DELETE /api/v3/pet/") for r in backend.requests), backend.requests


def test_an_unreadable_backend_fails_saying_so_and_leaves_no_marker(tmp_path, backend, cluster, start_server):
    """The Service is not there (another name): not a SERVICE_URL verdict, and the MCP delete still cleans up."""
    cluster.service = "petstore/petstore-api:8080"
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_verify_traffic=False, petstore_verify_edges=False)
    assert res.rc != 0, res
    assert "Could not read GET /api/v3/pet/" in res.flat and "does not exist" in res.flat, res
    assert "not using SERVICE_URL" not in res.flat, res
    assert backend.markers() == []


def test_the_service_proxy_deletes_a_marker_the_mcp_delete_left(tmp_path, backend, cluster, start_server):
    tools = [t for t in EXPECTED_TOOLS if t != "delete_pet_pet_id"]
    server = start_server(drop_tools=("delete_pet_pet_id",))
    res = run_full(tmp_path, server.url, cluster, petstore_verify_traffic=False, petstore_verify_edges=False,
                   petstore_verify_expected_tools=tools)
    assert res.rc == 0, res
    assert "it was deleted through the API server's proxy instead (Service petstore:8080)" in res.flat, res
    assert any(" delete --raw " in f" {c} " for c in cluster.calls("kubectl")), cluster.calls("kubectl")
    assert backend.markers() == []


# The edges need no MCP server: only the stand-in cluster.
EDGES_ONLY = {"petstore_verify_mcp": False, "petstore_verify_marker": False, "petstore_verify_traffic": False}


@pytest.mark.parametrize("namespace, fixture, reason", [
    ("petstore", "edges-petstore-missing.json", "edge missing: hostgroup-default (cosmonic-system) -> petstore (petstore)"),
    ("petstore", "edges-petstore-no-identity.json", "no identity on hostgroup-default (cosmonic-system) -> petstore (petstore)"),
    ("cosmonic-system", "edges-cosmonic-system-missing.json",
     "edge missing: envoy (cosmonic-system) -> hostgroup-default (cosmonic-system)"),
])
def test_edges_without_mtls_fail_naming_the_edge(tmp_path, cluster, namespace, fixture, reason):
    cluster.edges[namespace] = fixture
    res = run_full(tmp_path, "http://127.0.0.1:9/v1/mcp", cluster, **EDGES_ONLY)
    assert res.rc != 0, res
    assert "mTLS not proven" in res.flat and reason in res.flat, res


def test_workloads_not_found_by_their_labels_fail_listing_what_is_there(tmp_path, cluster, api):
    api.objects[("cosmonic-system", "deployments")] = [deployment("hosts", "cosmonic-system", {"team": "wasm"})]
    res = run_full(tmp_path, "http://127.0.0.1:9/v1/mcp", cluster, **EDGES_ONLY)
    assert res.rc != 0, res
    assert "No Deployment in cosmonic-system matches" in res.flat and '"hosts": {"team": "wasm"}' in res.flat, res


def test_load_failures_are_counted_with_their_reasons_and_gated(tmp_path, backend, cluster, start_server):
    """Every second findByStatus answer is the backend's 500 text: not a success, and the reason is named."""
    backend.mode = "every-second"
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_verify_marker=False)
    assert res.rc != 0, res
    assert "Failure reasons (most frequent first)" in res.flat and "Internal Server Error" in res.flat, res
    assert "Key Metrics critical" in res.flat and "petstore-mcp (MCP): success_rate critical" in res.flat, res
    assert (tmp_path / "report" / "index.html").exists()
    # Gate none: the same figures are reported, and the run passes.
    backend.find_calls = 0
    lenient = run_full(tmp_path, server.url, cluster, petstore_verify_marker=False, petstore_verify_gate="none")
    assert lenient.rc == 0, lenient
    assert "Worst: critical" in lenient.flat, lenient


def test_no_traffic_from_the_host_is_not_measured_and_critical(tmp_path, backend, cluster, start_server):
    """Probes do not count: without traffic from the host, the backend's figures are missing, hence critical."""
    cluster.stat = "stat-from-host-no-traffic.json"
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_verify_marker=False, petstore_verify_edges=False)
    assert res.rc != 0, res
    for metric in ("success_rate", "p50_ms", "p99_ms"):
        assert f"petstore (Linkerd): {metric} critical" in res.flat, res
    report = json.loads((tmp_path / "report" / "slo.json").read_text())
    backend_row = next(w for w in report["workloads"] if w["workload"] == "petstore (Linkerd)")["metrics"]
    assert "not measured" in backend_row["success_rate"]["reason"], backend_row


def test_check_mode_writes_nothing_and_says_what_it_skipped(tmp_path, backend, cluster, start_server):
    calls = [{"name": "get_pet_find_by_status", "arguments": {"status": "available"}},
             {"name": "post_store_order", "arguments": {"body": {"id": 1, "petId": 1, "quantity": 1}}}]
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, "--check", petstore_verify_calls=calls)
    assert res.rc == 0, res
    assert "Check mode writes nothing" in res.flat and "the calls that may write: post_store_order" in res.flat, res
    assert not any(r.startswith(("POST", "DELETE")) for r in backend.requests), backend.requests
    assert any(r.startswith("GET /api/v3/pet/findByStatus") for r in backend.requests)
    assert cluster.calls("kubectl") == [] and not (tmp_path / "report").exists()


def test_a_line_that_cannot_prove_the_path_says_not_applicable(tmp_path, backend, cluster, start_server):
    server = start_server()
    res = run_full(tmp_path, server.url, cluster, petstore_backend_path_provable=False,
                   petstore_verify_traffic=False, petstore_verify_edges=False)
    assert res.rc == 0, res
    assert "In-cluster backend path: not applicable on this line" in res.flat, res
    assert "In-cluster backend path proven" not in res.flat, res
    assert not any(r.startswith("POST") for r in backend.requests)
