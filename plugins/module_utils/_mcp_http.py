# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""HTTP/1.1 for the MCP verifier, with one deadline per request that holds for everything.

``HttpTransport(...)(method, url, headers, body, timeout)`` is the ``send`` that
:class:`_mcp.McpClient` expects. ``timeout`` seconds is the whole budget of the request: resolving
the name, connecting, the TLS handshake, sending, the status line and headers, and every later
``read`` of the body (chunk-size lines included). Two mechanisms enforce it:

* before every blocking step the socket's timeout is set to the time left, so a silent peer is cut
  at the deadline;
* one watchdog thread (shared by every request of the process, never a thread per request) shuts
  the socket down when the deadline passes, so a peer that trickles a byte a second, which resets
  any per-read timeout, is cut too.

Name resolution has no timeout in the C library; it runs once per host and port for the
transport's life in a helper thread that is given up on at the deadline.

Only ``http`` and ``https`` URLs are spoken. Proxies from the environment are not used: the
verifier checks the endpoint it is given. No Ansible imports here.
"""
from __future__ import annotations

import heapq
import http.client
import ipaddress
import itertools
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.mcpmesh.platform.plugins.module_utils._mcp import TransportError, TransportTimeout

SCHEMES = ("http", "https")


class Watchdog:
    """Shuts sockets down when their deadline passes. One daemon thread for all of them."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._live: set[int] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self.fired = 0

    def watch(self, sock: socket.socket, deadline: float) -> int:
        with self._cond:
            token = next(self._seq)
            heapq.heappush(self._heap, (deadline, token, sock))
            self._live.add(token)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mcp-verify-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
            return token

    def release(self, token: int) -> None:
        with self._cond:
            self._live.discard(token)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # released: forget it
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token, sock = self._heap[0]
                left = deadline - self.clock()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                self.fired += 1
            try:
                # The plain socket's shutdown, also for an SSLSocket: it wakes a thread blocked in recv.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


WATCHDOG = Watchdog()


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, target) of an http(s) URL; ValueError saying what is wrong otherwise."""
    if not isinstance(url, str) or not url:
        raise ValueError("the URL is empty")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise ValueError("the URL holds spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"only http and https URLs are spoken, not {scheme or 'a URL without scheme'}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL holds credentials (user:password@); send them in a header instead")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the URL's port is not a number from 0 to 65535") from None
    host = parts.hostname
    if not host:
        raise ValueError("the URL names no host")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), target


class Response:
    """An HTTP answer whose every read is bounded by the request's deadline."""

    def __init__(self, conn, raw: http.client.HTTPResponse, sock, token: int, deadline: float, watchdog: Watchdog):
        self._conn = conn
        self._raw = raw
        self._sock = sock
        self._token = token
        self._deadline = deadline
        self._watchdog = watchdog
        self.status = raw.status
        self.headers = list(raw.getheaders())
        self._got = 0

    def _timed_out(self) -> TransportError:
        return TransportTimeout(f"timed out after {self._got} bytes of the body")

    def read(self, size: int) -> bytes:
        left = self._deadline - self._watchdog.clock()
        if left <= 0:
            raise self._timed_out()
        try:
            self._sock.settimeout(left)
            data = self._raw.read1(size)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if self._watchdog.clock() >= self._deadline:
                raise self._timed_out() from None
            raise TransportError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        if not data and self._watchdog.clock() >= self._deadline:
            raise self._timed_out()  # the watchdog shut the socket: not a normal end of the body
        if not data and self._raw.length:
            raise TransportError(f"the connection closed {self._raw.length} bytes before the end of the body")
        self._got += len(data)
        return data

    def close(self) -> None:
        self._watchdog.release(self._token)
        for thing in (self._raw, self._conn, self._sock):
            try:
                thing.close()
            except (OSError, http.client.HTTPException, ValueError):
                pass


class HttpTransport:
    """``send`` for McpClient. ``context`` is the ssl.SSLContext for https URLs (built by the module)."""

    def __init__(self, context: ssl.SSLContext | None = None, user_agent: str = "mcpmesh.platform.mcp_verify",
                 watchdog: Watchdog | None = None, resolver=socket.getaddrinfo):
        self.context = context
        self.user_agent = user_agent
        self.watchdog = watchdog or WATCHDOG
        self.resolver = resolver
        self._addresses: dict[tuple[str, int], list] = {}
        self._lock = threading.Lock()

    def _resolve(self, host: str, port: int, deadline: float) -> list:
        key = (host, port)
        with self._lock:
            if key in self._addresses:
                return self._addresses[key]
        try:
            ipaddress.ip_address(host)
            literal = True
        except ValueError:
            literal = False
        box: dict = {}

        def resolve() -> None:
            try:
                box["addresses"] = self.resolver(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                box["error"] = exc

        if literal:
            resolve()
        else:
            helper = threading.Thread(target=resolve, name="mcp-verify-resolve", daemon=True)
            helper.start()
            helper.join(max(deadline - self.watchdog.clock(), 0.0))
            if helper.is_alive():
                raise TransportTimeout(f"timed out resolving {host}")
        if "error" in box:
            raise TransportError(f"cannot resolve {host}: {box['error']}")
        addresses = box.get("addresses") or []
        if not addresses:
            raise TransportError(f"cannot resolve {host}: no address")
        with self._lock:
            self._addresses[key] = addresses
        return addresses

    def _connect(self, host: str, port: int, deadline: float) -> tuple[socket.socket, int]:
        last: Exception | None = None
        for family, kind, proto, _name, address in self._resolve(host, port, deadline):
            left = deadline - self.watchdog.clock()
            if left <= 0:
                break
            sock = socket.socket(family, kind, proto)
            token = self.watchdog.watch(sock, deadline)
            try:
                sock.settimeout(left)
                sock.connect(address)
                return sock, token
            except OSError as exc:
                self.watchdog.release(token)
                sock.close()
                last = exc
        if self.watchdog.clock() >= deadline:
            raise TransportTimeout(f"timed out connecting to {host}:{port}")
        raise TransportError(f"{type(last).__name__}: {last}" if last else f"cannot connect to {host}:{port}")

    def __call__(self, method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> Response:
        try:
            scheme, host, port, target = split_url(url)
        except ValueError as exc:
            raise TransportError(str(exc)) from None
        deadline = self.watchdog.clock() + timeout
        sock, token = self._connect(host, port, deadline)
        phase = "while sending the request"
        try:
            if scheme == "https":
                phase = "in the TLS handshake"
                context = self.context or ssl.create_default_context()
                self.watchdog.release(token)
                sock = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
                token = self.watchdog.watch(sock, deadline)
                sock.settimeout(max(deadline - self.watchdog.clock(), 0.001))
                sock.do_handshake()
                phase = "while sending the request"
            conn = http.client.HTTPConnection(host, port)
            conn.sock = sock
            sent = dict(headers)
            if not any(name.lower() == "user-agent" for name in sent):
                sent["User-Agent"] = self.user_agent
            sock.settimeout(max(deadline - self.watchdog.clock(), 0.001))
            conn.request(method, target, body=body, headers=sent)
            phase = "while reading the status line and headers"
            sock.settimeout(max(deadline - self.watchdog.clock(), 0.001))
            raw = conn.getresponse()
            if self.watchdog.clock() >= deadline:
                # The watchdog shut the socket mid-header: http.client reads that as the end of the headers.
                raise socket.timeout("the deadline passed")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.watchdog.release(token)
            try:
                sock.close()
            except OSError:
                pass
            if self.watchdog.clock() >= deadline:
                raise TransportTimeout(f"timed out {phase}") from None
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise TransportError(f"failed {phase}: {detail}") from None
        return Response(conn, raw, sock, token, deadline, self.watchdog)
