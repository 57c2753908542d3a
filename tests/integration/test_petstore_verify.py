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
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import free_port, run_playbook
from mcp_peers import HOST_HEADER, PEERS, LocalHTTPServer, ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.peers]

# --------------------------------------------------------------------------------------------
# A Petstore-like backend: GET /api/v3/pet/findByStatus?status=... (and a few neighbours).

PETS = json.loads((PEERS / "pets.json").read_text())  # the Python peer serves the same pets


class Backend(LocalHTTPServer):
    """Answers like swaggerapi/petstore3; ``mode`` switches to a wrong answer."""

    def __init__(self) -> None:
        self.mode = "right"  # right | wrong-status | empty
        self.requests: list[str] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                backend.requests.append(self.path)
                if url.path == "/api/v3/pet/findByStatus":
                    wanted = set(",".join(parse_qs(url.query).get("status", ["available"])).split(","))
                    if backend.mode == "wrong-status":
                        body = PETS  # every status, whatever was asked
                    elif backend.mode == "empty":
                        body = []
                    else:
                        body = [p for p in PETS if p["status"] in wanted]
                    return self._json(200, body)
                if url.path == "/api/v3/store/inventory":
                    counts: dict[str, int] = {}
                    for pet in PETS:
                        counts[pet["status"]] = counts.get(pet["status"], 0) + 1
                    return self._json(200, counts)
                if url.path.startswith("/api/v3/pet/"):
                    pet_id = url.path.rsplit("/", 1)[-1]
                    for pet in PETS:
                        if str(pet["id"]) == pet_id:
                            return self._json(200, pet)
                    return self._json(404, {"code": 1, "message": "Pet not found"})
                return self._json(404, {"code": 404, "message": "not found"})

            def _json(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
        self.url = f"{self.base}/api/v3"


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


@pytest.fixture
def backend():
    with Backend() as running:
        yield running


@pytest.fixture
def start_server(tmp_path, backend):
    script = tmp_path / "petstore_mcp_server.py"
    script.write_text(MCP_SERVER)
    started: list[McpServer] = []

    def start(drop_tools: tuple[str, ...] = (), wait: bool = True) -> McpServer:
        server = McpServer(script, backend.url, tmp_path, drop_tools).start()
        started.append(server)
        if wait:
            server.wait_listening()
        return server

    yield start
    for server in started:
        server.stop()


def run_verify(tmp_path: Path, url: str, **extra) -> object:
    """Run the petstore role's verify entry point, MCP part only, against url."""
    playbook = tmp_path / "verify.yml"
    playbook.write_text(
        "- name: Run the petstore role's verification.\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Verify the Petstore MCP server.\n"
        "      ansible.builtin.include_role:\n"
        "        name: mcpmesh.platform.petstore\n"
        "        tasks_from: verify\n"
    )
    extra_vars = {
        "petstore_verify_url": url,
        "petstore_verify_mcp": True,
        # These need a cluster with Linkerd and viz (see the module docstring).
        "petstore_verify_mesh": False,
        "petstore_verify_traffic": False,
        "petstore_verify_wait_timeout": 30,
        **extra,
    }
    return run_playbook(playbook, extra_vars=extra_vars, timeout=300)


def test_verify_passes_against_the_petstore_mcp_server(tmp_path, backend, start_server):
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc == 0, result
    assert result.localhost["failed"] == 0, result
    assert result.localhost["changed"] == 0, result
    assert "example-server" in result.stdout, result
    # The call really went through the MCP server to the backend, with the seed's argument.
    assert any(r.startswith("/api/v3/pet/findByStatus?status=available") for r in backend.requests), backend.requests


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
    assert "status != 'available'" in result.stdout, result  # the failing expression is shown


def test_verify_fails_when_the_list_is_empty(tmp_path, backend, start_server):
    backend.mode = "empty"
    server = start_server()
    result = run_verify(tmp_path, server.url)
    assert result.rc != 0, result
    assert result.localhost["failed"] == 1, result


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
