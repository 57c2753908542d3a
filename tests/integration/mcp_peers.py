# SPDX-License-Identifier: GPL-3.0-or-later
"""Starting the real MCP peers (tests/peers) and a few misbehaving HTTP endpoints for the mcp_verify tests.

The peers are the official SDKs' servers; the misbehaving endpoints are plain ``http.server`` handlers
that answer with bad HTTP (500, HTML, wrong content types, streams that never end, oversized bodies,
401) to prove the verifier's error paths. They do not imitate an MCP server.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PEERS = ROOT / "tests" / "peers"
PYTHON_PEER = PEERS / "python_server.py"
PETSTORE_PEER = PEERS / "petstore_server.py"
TS_PEER = PEERS / "ts" / "server.mjs"
TS_READY = (PEERS / "ts" / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json").exists()
HOST_HEADER = "petstore-mcp.localhost.cosmonic.sh"


class ServerProcess:
    """A server process on 127.0.0.1:``port``, its output in ``log``; ``command()`` says how to start it."""

    def __init__(self, kind: str, port: int, log: Path, command: list[str] | None = None):
        self.kind = kind
        self.port = port
        self.log = log
        self._command = command
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return list(self._command or [])

    def start(self) -> ServerProcess:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        return self

    def wait_listening(self, timeout: float = 90) -> ServerProcess:
        """Poll the port with a deadline (a readiness check, not a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} peer exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} peer did not listen on {self.port} within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Peer(ServerProcess):
    """One MCP peer (the Python or the TypeScript SDK server); ``url`` is its MCP endpoint."""

    def __init__(self, kind: str, *args: str, path: str = "/mcp", port: int | None = None, log_dir: Path | None = None):
        port = port or free_port()
        super().__init__(kind, port, (log_dir or Path("/tmp")) / f"peer-{kind}-{port}.log")
        self.args = args
        self.path = path
        self.url = f"http://127.0.0.1:{self.port}{path}"

    def command(self) -> list[str]:
        common = ["--port", str(self.port), "--path", self.path, *self.args]
        if self.kind == "python":
            return [sys.executable, str(PYTHON_PEER), *common]
        return ["node", str(TS_PEER), *common]


class PetstorePeer(ServerProcess):
    """tests/peers/petstore_server.py on a free port (its switches in ``args``); ``url`` is its MCP endpoint."""

    def __init__(self, *args: str, log_dir: Path | None = None):
        port = free_port()
        super().__init__("petstore", port, (log_dir or Path("/tmp")) / f"peer-petstore-{port}.log",
                         [sys.executable, str(PETSTORE_PEER), "--port", str(port), *args])
        self.url = f"http://127.0.0.1:{port}/v1/mcp"


def start_all(peers: dict[str, Peer]) -> dict[str, Peer]:
    for peer in peers.values():
        peer.start()
    for peer in peers.values():
        peer.wait_listening()
    return peers


# ---------------------------------------------------------------------------------------------
# Plain HTTP servers in a thread: the misbehaving endpoints here, the Petstore-like backend of
# test_petstore_verify.py


class LocalHTTPServer:
    """A ThreadingHTTPServer on a free port of 127.0.0.1, serving from a thread while in a ``with``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Misbehaving(LocalHTTPServer):
    """A ThreadingHTTPServer whose paths each answer POSTs with one kind of bad HTTP."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.requests: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, ctype, body: bytes, extra=None):
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _open_stream(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()  # no length: the stream ends when the connection closes

            def _hold(self, chunk: bytes = b": keep-alive\n\n", every: float = 0.2):
                try:
                    while not owner.stop_event.wait(every):
                        if chunk:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

            def do_DELETE(self):  # noqa: N802
                self._send(405, None, b"")

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                owner.requests.append((self.path, dict(self.headers)))
                try:
                    message = json.loads(raw or b"{}")
                except ValueError:
                    message = {}
                path = self.path
                if path == "/500":
                    return self._send(500, "text/html", b"<html><body><h1>500 Internal Server Error</h1></body></html>")
                if path == "/html":
                    return self._send(200, "text/html", b"<!doctype html><html><title>Welcome to nginx!</title></html>")
                if path == "/plain":
                    return self._send(200, "text/plain", b"OK")
                if path == "/not-jsonrpc":
                    return self._send(200, "application/json", b'{"hello": "world"}')
                if path == "/malformed-sse":
                    self._open_stream()
                    self.wfile.write(b"event: message\ndata: {this is not json\n\n")
                    self.close_connection = True
                    return None
                if path == "/big":
                    return self._send(200, "application/json", b'{"padding": "' + b"x" * 2_000_000 + b'"}')
                if path == "/big-stream":
                    self._open_stream()
                    note = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"data": "x" * 8000}}
                    return self._hold(b"data: " + json.dumps(note).encode() + b"\n\n", 0.001)
                if path == "/never":
                    self._open_stream()
                    return self._hold()
                if path == "/silent":
                    self._open_stream()
                    return self._hold(b"")
                if path == "/auth":
                    if self.headers.get("Authorization") != "Bearer s3cret":
                        return self._send(401, "application/json", b'{"error": "invalid_token"}',
                                          {"WWW-Authenticate": 'Bearer error="invalid_token"'})
                    return self._send(200, "text/plain", b"authorised, but not MCP")
                if path == "/redirect":
                    return self._send(307, None, b"", {"Location": "/mcp"})
                if path == "/open-after-answer":
                    # Answers each request with a bare result, then keeps the stream open.
                    if "id" not in message:
                        return self._send(202, None, b"")
                    results = {"initialize": {"protocolVersion": "2025-11-25", "capabilities": {},
                                              "serverInfo": {"name": "open-stream", "version": "0"}},
                               "tools/list": {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}}
                    result = results.get(message.get("method"), {"content": [{"type": "text", "text": "ok"}]})
                    self._open_stream()
                    self.wfile.write(b"data: " + json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()
                                     + b"\n\n")
                    self.wfile.flush()
                    return self._hold()
                return self._send(404, "text/plain", b"Not Found")

        super().__init__(Handler)

    def __exit__(self, *exc) -> None:
        self.stop_event.set()  # releases the handlers that hold their streams open
        super().__exit__(*exc)


class Doorstop:
    """Holds a port before the server is started: accepts and drops connections, and signals the first one.

    The wait test starts the real server on this port once the module has tried (and failed) at least once."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.knocked = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            conn.close()
            self.knocked.set()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Hostile endpoints: a server that trickles, lies about ids, sends invalid UTF-8 or deep JSON.

INIT_RESULT = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "hostile", "version": "0"}}
TRICKLE_FOR = 60.0  # seconds a trickling answer lasts: far beyond any timeout the tests give


class Hostile(LocalHTTPServer):
    """Each path answers POSTs with one hostile behaviour (see ``_hostile``); ``/ok`` is a tiny valid MCP server.

    Trickling paths send one byte every 0.2 s for TRICKLE_FOR seconds, which resets any per-read socket
    timeout: only a deadline for the whole request stops a client in time."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _raw(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()

            def _trickle(self, head: bytes, drip: bytes) -> None:
                self.close_connection = True
                try:
                    self._raw(head)
                    until = time.monotonic() + TRICKLE_FOR
                    while time.monotonic() < until and not owner.stop_event.wait(0.2):
                        self._raw(drip)
                except OSError:
                    pass

            def _json(self, body: bytes, extra: bytes = b"", status: bytes = b"200 OK") -> None:
                self._raw(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n" + extra
                          + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

            def _sse(self, data: bytes) -> None:
                self.close_connection = True
                self._raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                          b"event: message\r\ndata: " + data + b"\r\n\r\n")

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    message = json.loads(raw or b"{}")
                except ValueError:
                    message = {}
                if "id" not in message:
                    return self._raw(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                return self._hostile(self.path.strip("/"), message)

            def do_DELETE(self):  # noqa: N802
                self._raw(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")

            def _answer(self, message: dict, result) -> bytes:
                return json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()

            def _hostile(self, path: str, message: dict):
                method = message.get("method")
                if path == "trickle-status":
                    return self._trickle(b"H", b"T")
                if path == "trickle-headers":
                    return self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ", b"a")
                if path == "trickle-chunk-line":
                    return self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                         b"Transfer-Encoding: chunked\r\n\r\n", b"0")
                if path == "trickle-body":
                    return self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                         b"Content-Length: 100000\r\n\r\n", b" ")
                if path == "silent-headers":
                    return self._trickle(b"", b"")
                if path == "huge-header":
                    return self._json(self._answer(message, INIT_RESULT), b"X-Huge: " + b"h" * 70000 + b"\r\n")
                if path == "many-headers":
                    return self._json(self._answer(message, INIT_RESULT),
                                      b"".join(b"X-H%d: v\r\n" % number for number in range(150)))
                if path in ("true-id", "float-id", "string-id"):
                    wrong = {"true-id": True, "float-id": 1.0, "string-id": "1"}[path]
                    return self._json(json.dumps({"jsonrpc": "2.0", "id": wrong, "result": INIT_RESULT}).encode())
                if path == "true-id-sse":
                    return self._sse(json.dumps({"jsonrpc": "2.0", "id": True, "result": INIT_RESULT}).encode())
                if path == "bad-utf8-json":
                    return self._json(b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "\xff\xfe"}}')
                if path == "bad-utf8-sse":
                    return self._sse(b'{"jsonrpc": "2.0", "id": 1, "result": {"serverInfo": "\xc3\x28"}}')
                if path == "deep-json":
                    return self._json(b'{"jsonrpc": "2.0", "id": 1, "result": ' + b"[" * 100000 + b"]" * 100000 + b"}")
                if path == "deep-sse":
                    return self._sse(b'{"jsonrpc": "2.0", "id": 1, "result": ' + b"{\"a\":" * 50000 + b"1" + b"}" * 50000 + b"}")
                if path == "surrogate" and method == "initialize":  # a lone surrogate escape: valid JSON, not UTF-8 text
                    return self._json(b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25", '
                                      b'"serverInfo": {"name": "\\ud800 \\u001b[31mred"}}}')
                if path == "nan-json":
                    return self._json(b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": NaN}}')
                if path == "echo-headers":  # a server that quotes the request in its error page
                    body = ("Unauthorized. You sent:\n" + str(self.headers)).encode()
                    return self._raw(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: "
                                     + str(len(body)).encode() + b"\r\n\r\n" + body)
                if path == "session-control" and method == "initialize":
                    return self._json(self._answer(message, INIT_RESULT), b"Mcp-Session-Id: abc\x01def\r\n")
                if method == "initialize":
                    return self._json(self._answer(message, INIT_RESULT))
                if method == "tools/list":
                    tools = {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}
                    if path == "cursor-object":
                        tools["nextCursor"] = {"page": 2}
                    if path == "cursor-number":
                        tools["nextCursor"] = 2
                    return self._json(self._answer(message, tools))
                return self._json(self._answer(message, {"content": [{"type": "text", "text": "[1]"}]}))

        super().__init__(Handler)

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        super().__exit__(*exc)
