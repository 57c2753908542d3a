#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Petstore-like MCP server on the official Python SDK (``mcp`` 2.x), answering the way the real one does.

The real server (cosmonic-labs/petstore-mcp-server) is stateless, answers every request as
``text/event-stream``, lists 19 tools with string parameters (request bodies in one ``body``
argument) and no ``outputSchema``, and returns the backend's body as one ordinary text item for any
HTTP status, without ``isError``: ``Internal Server Error``, an HTML error page, ``Pet not found``,
``{"code":400,"message":"Input error: ..."}``; when the backend cannot be reached the text is
``Error executing <tool>: NetworkError when attempting to fetch resource.``. This server does the
same, with the SDK doing the wire; only the tools and the backend are ours.

Its backend is a small Petstore v3 API in the same process (on a free loopback port) unless
``--service-url`` names another one, and its failure mode is switchable:

==============  ==============================================================================
mode            what the backend does
==============  ==============================================================================
healthy         answers like swaggerapi/petstore3 (the pets of ``pets.json``; 400 for a bad status)
500             every answer is HTTP 500 ``Internal Server Error`` (text/plain)
html            every answer is HTTP 502 with an HTML error page
empty           ``findByStatus`` answers ``[]``
wrong-status    ``findByStatus`` answers every pet, whatever status was asked
down            nothing listens: the tools answer ``Error executing <tool>: NetworkError ...``
flaky           every second answer of the backend is HTTP 500 ``Internal Server Error``
==============  ==============================================================================

Switches (a command-line option, or its environment variable):

* ``--port N`` (required), ``--host`` (127.0.0.1), ``--path`` (``/v1/mcp``, as the real server);
* ``--backend-mode MODE`` / ``PETSTORE_BACKEND_MODE`` (default ``healthy``); a request may pick
  another mode for itself with the HTTP header ``X-Petstore-Backend-Mode: MODE`` (so one server
  serves every mode to a test);
* ``--service-url URL`` / ``SERVICE_URL``: use that Petstore v3 backend instead of the built-in one
  (the modes then do nothing but ``down``);
* ``--allowed-host NAME`` (repeatable): the SDK's DNS-rebinding protection, accepting only that Host
  (``petstore-mcp.localhost.cosmonic.sh`` behind the platform's Envoy);
* ``--rate-limit N`` / ``PETSTORE_RATE_LIMIT`` and ``--rate-window S`` / ``PETSTORE_RATE_WINDOW``
  (default 1): requests beyond N in a fixed window of S seconds, counted over every HTTP request
  like a proxy's local rate limit (Linkerd's ``HTTPLocalRateLimitPolicy``), are answered
  ``429 Too Many Requests`` (text/plain, with ``Retry-After``) before they reach MCP.

It prints ``listening <host>:<port><path> backend <url>`` when it starts.
"""
from __future__ import annotations

import argparse
import inspect
import itertools
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings

PETS = json.loads((Path(__file__).resolve().parent / "pets.json").read_text())
MODES = ("healthy", "500", "html", "empty", "wrong-status", "down", "flaky")
MODE_HEADER = "x-petstore-backend-mode"
STATUSES = ("available", "pending", "sold")
HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n")


class Backend:
    """The Petstore v3 API (the part the tools use), in memory, on a free loopback port."""

    def __init__(self) -> None:
        self.pets = {pet["id"]: dict(pet) for pet in PETS}
        self.lock = threading.Lock()
        self.answers = itertools.count(1)
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body, ctype: str = "application/json") -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                mode = self.headers.get("X-Backend-Mode", "healthy")
                with backend.lock:
                    number = next(backend.answers)
                if mode == "500" or (mode == "flaky" and number % 2 == 0):
                    return self._answer(500, "Internal Server Error", "text/plain")
                if mode == "html":
                    return self._answer(502, HTML_PAGE, "text/html")
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                status, answer = backend.route(self.command, self.path, body, mode)
                return self._answer(status, answer, "application/json" if not isinstance(answer, str) else "text/plain")

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v3"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method: str, target: str, body, mode: str):
        url = urllib.parse.urlsplit(target)
        path = url.path.removeprefix("/api/v3")
        query = urllib.parse.parse_qs(url.query)
        with self.lock:
            pets = list(self.pets.values())
            if path == "/pet/findByStatus" and method == "GET":
                wanted = ",".join(query.get("status", ["available"])).split(",")
                bad = [status for status in wanted if status not in STATUSES]
                if bad:
                    return 400, {"code": 400, "message": f"Input error: query parameter `status value `{bad[0]}` is not in "
                                                         f"the allowable values `[available, pending, sold]`"}
                if mode == "empty":
                    return 200, []
                if mode == "wrong-status":
                    return 200, pets
                return 200, [pet for pet in pets if pet["status"] in wanted]
            if path == "/store/inventory":
                counts: dict[str, int] = {}
                for pet in pets:
                    counts[pet["status"]] = counts.get(pet["status"], 0) + 1
                return 200, counts
            if path == "/pet" and method in ("POST", "PUT") and isinstance(body, dict):
                try:
                    pet_id = int(body.get("id"))
                except (TypeError, ValueError):
                    return 400, {"code": 400, "message": "Input error: the pet needs a numeric id"}
                self.pets[pet_id] = dict(body, id=pet_id)
                return 200, self.pets[pet_id]
            if path.startswith("/pet/"):
                key = path.split("/")[2]
                pet = self.pets.get(int(key)) if key.isdigit() else None
                if pet is None:
                    return 404, "Pet not found"
                if method == "DELETE":
                    del self.pets[pet["id"]]
                    return 200, "Pet deleted"
                return 200, pet
            if path.startswith("/user/login"):
                return 200, f"logged in user session:{int(time.time() * 1000)}"
            if path.startswith("/user/logout"):
                return 200, "User logged out"
            return 404, {"code": 404, "message": f"no route for {method} {path}"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RateLimit:
    """ASGI middleware: beyond ``limit`` HTTP requests in a fixed window of ``window`` seconds, 429."""

    def __init__(self, app, limit: int, window: float) -> None:
        self.app = app
        self.limit = limit
        self.window = window
        self.started = None
        self.count = 0
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        now = time.monotonic()
        with self.lock:
            if self.started is None or now - self.started >= self.window:
                self.started, self.count = now, 0
            self.count += 1
            over = self.count > self.limit
        if not over:
            return await self.app(scope, receive, send)
        body = b"Too Many Requests"
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(max(1, round(self.window))).encode())]})
        await send({"type": "http.response.body", "body": body})
        return None


def build(default_mode: str, service_url: str) -> MCPServer:
    server = MCPServer(name="example-server", version="1.0.0", log_level="WARNING")
    down_url = f"http://127.0.0.1:{closed_port()}/api/v3"

    def fetch(ctx: Context, tool: str, method: str, path: str, query: dict | None = None, body=None) -> str:
        headers = ctx.headers or {}
        mode = headers.get(MODE_HEADER) or default_mode
        base = down_url if mode == "down" else service_url
        query = {key: value for key, value in (query or {}).items() if value is not None}
        url = f"{base}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json", "X-Backend-Mode": mode})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.read().decode()
        except urllib.error.HTTPError as exc:  # the real server returns the body whatever the status
            return exc.read().decode()
        except (urllib.error.URLError, OSError):
            return f"Error executing {tool}: NetworkError when attempting to fetch resource."

    def tool(name: str, method: str, path: str, params: tuple[str, ...] = (), query: tuple[str, ...] = (),
             body: bool = False, description: str = ""):
        """A tool with string parameters, like the generated ones; path parameters in {braces}."""

        def run(ctx: Context, **kwargs) -> str:
            target = path.format(**{key: urllib.parse.quote(str(kwargs.get(key, "")), safe="") for key in params})
            return fetch(ctx, name, method, target, {key: kwargs.get(key) for key in query},
                         kwargs.get("body") if body else None)

        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [inspect.Parameter("ctx", keyword, annotation=Context)]
        if body:
            parameters.append(inspect.Parameter("body", keyword, annotation=dict | list))
        parameters += [inspect.Parameter(key, keyword, annotation=str) for key in params]
        parameters += [inspect.Parameter(key, keyword, annotation=str | None, default=None) for key in query]

        def function(**kwargs) -> str:
            return run(kwargs.pop("ctx"), **kwargs)

        function.__name__ = function.__qualname__ = name
        function.__doc__ = description or name
        function.__signature__ = inspect.Signature(parameters, return_annotation=str)
        function.__annotations__ = {**{p.name: p.annotation for p in parameters}, "return": str}
        server.add_tool(function, structured_output=False)

    tool("post_pet", "POST", "/pet", body=True, description="Add a new pet to the store.")
    tool("put_pet", "PUT", "/pet", body=True, description="Update an existing pet.")
    tool("get_pet_find_by_status", "GET", "/pet/findByStatus", query=("status",), description="Finds Pets by status.")
    tool("get_pet_find_by_tags", "GET", "/pet/findByTags", query=("tags",), description="Finds Pets by tags.")
    tool("get_pet_pet_id", "GET", "/pet/{petId}", params=("petId",), description="Find pet by ID.")
    tool("post_pet_pet_id", "POST", "/pet/{petId}", params=("petId",), query=("name", "status"),
         description="Updates a pet in the store with form data.")
    tool("delete_pet_pet_id", "DELETE", "/pet/{petId}", params=("petId",), description="Deletes a pet.")
    tool("post_pet_pet_id_upload_image", "POST", "/pet/{petId}/uploadImage", params=("petId",),
         query=("additionalMetadata",), description="Uploads an image.")
    tool("get_store_inventory", "GET", "/store/inventory", description="Returns pet inventories by status.")
    tool("post_store_order", "POST", "/store/order", body=True, description="Place an order for a pet.")
    tool("get_store_order_order_id", "GET", "/store/order/{orderId}", params=("orderId",),
         description="Find purchase order by ID.")
    tool("delete_store_order_order_id", "DELETE", "/store/order/{orderId}", params=("orderId",),
         description="Delete purchase order by ID.")
    tool("post_user", "POST", "/user", body=True, description="Create user.")
    tool("post_user_create_with_list", "POST", "/user/createWithList", body=True,
         description="Creates list of users with given input array.")
    tool("get_user_login", "GET", "/user/login", query=("username", "password"), description="Logs user into the system.")
    tool("get_user_logout", "GET", "/user/logout", description="Logs out current logged in user session.")
    tool("get_user_username", "GET", "/user/{username}", params=("username",), description="Get user by user name.")
    tool("put_user_username", "PUT", "/user/{username}", params=("username",), body=True, description="Update user.")
    tool("delete_user_username", "DELETE", "/user/{username}", params=("username",), description="Delete user.")
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/mcp")
    parser.add_argument("--backend-mode", choices=MODES, default=os.environ.get("PETSTORE_BACKEND_MODE", "healthy"))
    parser.add_argument("--service-url", default=os.environ.get("SERVICE_URL"))
    parser.add_argument("--allowed-host", action="append", default=[])
    parser.add_argument("--rate-limit", type=int, default=int(os.environ.get("PETSTORE_RATE_LIMIT") or 0))
    parser.add_argument("--rate-window", type=float, default=float(os.environ.get("PETSTORE_RATE_WINDOW") or 1))
    args = parser.parse_args()

    service_url = args.service_url or Backend().url
    server = build(args.backend_mode, service_url)
    security = None
    if args.allowed_host:
        security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=args.allowed_host,
                                             allowed_origins=[f"http://{host}" for host in args.allowed_host])
    app = server.streamable_http_app(streamable_http_path=args.path, stateless_http=True, json_response=False,
                                     transport_security=security, host=args.host)
    if args.rate_limit:
        app = RateLimit(app, args.rate_limit, args.rate_window)
    print(f"listening {args.host}:{args.port}{args.path} backend {service_url}", flush=True)
    uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")).run()


if __name__ == "__main__":
    main()
