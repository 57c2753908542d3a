# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""An MCP client over Streamable HTTP, for verifying servers: the whole session logic, no Ansible.

The HTTP exchange itself is injected (``send``), so the module supplies one built on Ansible's
``open_url`` and the tests can drive the logic directly. ``send(method, url, headers, body, timeout)``
returns an object with ``status`` (int), ``headers`` (a mapping or ``(name, value)`` pairs),
``read(size)`` (whatever is available, at most ``size`` bytes; ``b""`` at the end) and
``close()``; it raises :class:`TransportError` when no HTTP answer came at all.

What happens on the wire is described in docs/mcp_verify.md.
"""
from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.mcpmesh.platform.plugins.module_utils._mcp_sse import SseParser

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
except ImportError:  # reported by the module, which needs it only for `expect`
    jmespath = None
    JMESPathError = ValueError

# Revisions that open with `initialize`, oldest first, and the stateless ones (no handshake).
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSIONS = ("2026-07-28",)
KNOWN_VERSIONS = HANDSHAKE_VERSIONS + MODERN_VERSIONS
LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[-1]
LATEST_MODERN_VERSION = MODERN_VERSIONS[-1]
VERSION_CHOICES = ("auto",) + KNOWN_VERSIONS

CLIENT_INFO = {"name": "mcpmesh.platform.mcp_verify", "version": "1.0.0"}
ACCEPT = "application/json, text/event-stream"
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
READ_SIZE = 65536
BODY_HEAD = 300
MAX_PAGES = 100

META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

# Tool results that report a failure in plain text with no `isError` (generated OpenAPI servers,
# the Petstore server's "Error executing X: fetch failed", TS SDK's "MCP error -32602: ...").
ERROR_TEXT = re.compile(r"^\s*(Error executing\b|MCP error -?\d+)", re.I)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

STATUS_HINTS = {
    301: "the server redirects; use the Location it names as url",
    302: "the server redirects; use the Location it names as url",
    307: "the server redirects (often a trailing slash); use the Location it names as url",
    308: "the server redirects; use the Location it names as url",
    400: "the server refused the request; check the path, the protocol_version and any proxy in between",
    401: "the server wants credentials: set bearer_token or an Authorization header",
    403: "the server refused access (credentials, or its Origin check)",
    404: "nothing answers MCP at this path (or the session is gone); check url",
    405: "this URL does not take POST; check url",
    406: "the server did not accept the Accept header; it must list application/json and text/event-stream",
    415: "the server did not accept the Content-Type; it must be application/json",
    421: "the server does not serve this Host; set headers.Host to the name it expects",
    502: "a proxy in front of the server could not reach it",
    503: "the server (or the proxy in front of it) is not ready yet; wait_timeout retries",
    504: "a proxy in front of the server timed out",
}


class TransportError(Exception):
    """No HTTP answer at all: connection refused, DNS, TLS, a read timeout."""


class McpError(Exception):
    """A step of the session did not get what MCP asks for. ``str()`` says which step, what was
    expected and what came back."""

    def __init__(self, step: str, problem: str, status: int | None = None, content_type: str | None = None,
                 body: str | bytes | None = None, hint: str | None = None):
        super().__init__(problem)
        self.step = step
        self.problem = problem
        self.status = status
        self.content_type = content_type
        self.body = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        self.hint = hint if hint is not None else STATUS_HINTS.get(status or 0)
        self.attempts = 1

    def __str__(self) -> str:
        text = f"{self.step}: {self.problem}"
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
            details.append(f"content-type {self.content_type or '(none)'}")
        if self.body is not None:
            details.append(f"body {shorten(self.body, BODY_HEAD)!r}" if self.body else "empty body")
        if details:
            text += f" (got {', '.join(details)})"
        if self.hint:
            text += f". Hint: {self.hint}"
        return text

    def as_dict(self) -> dict:
        return {"step": self.step, "problem": self.problem, "status": self.status, "content_type": self.content_type,
                "body": None if self.body is None else shorten(self.body, BODY_HEAD), "message": str(self)}


class McpUnreachable(McpError):
    """No HTTP answer at all (see TransportError)."""


# ----------------------------------------------------------------------------------------------
# Small helpers


def shorten(value, limit: int = 300) -> str:
    """One line of at most ``limit`` characters for messages: JSON for data, the text for strings."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    if len(text) <= limit:
        return text
    return f"{text[:max(limit - 20, 10)]}... ({len(text)} chars)"


def content_type_of(headers: dict) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def lower_headers(raw) -> dict[str, str]:
    items = raw.items() if hasattr(raw, "items") else (raw or [])
    return {str(name).lower(): str(value) for name, value in items}


def merge_headers(*layers: dict | None) -> dict[str, str]:
    """Later layers win, names compared case-insensitively, the last spelling kept."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in (layer or {}).items():
            if value is None:
                continue
            merged[name.lower()] = (name, str(value))
    return dict(merged.values())


def header_value(text: str) -> str:
    """An HTTP header value for a name (Mcp-Name): verbatim when plain ASCII, else the base64 form."""
    if text and text.isascii() and text.isprintable() and text == text.strip():
        return text
    return "=?base64?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def negotiate(offered: str, answered) -> str:
    """The version the session runs at: whatever the server answered, if it is a handshake revision
    we know (servers counter-offer older and newer ones), else an McpError."""
    if not isinstance(answered, str) or not answered:
        raise McpError("initialize", f"the server's InitializeResult has no protocolVersion (we offered {offered})")
    if answered not in HANDSHAKE_VERSIONS:
        known = ", ".join(HANDSHAKE_VERSIONS)
        raise McpError("initialize", f"we offered {offered}; the server answered protocolVersion {answered!r}, "
                       f"which is not a handshake revision this module speaks ({known})")
    return answered


def is_modern(version: str) -> bool:
    return version in MODERN_VERSIONS


# ----------------------------------------------------------------------------------------------
# Results


def jsonrpc_error_text(error) -> str:
    if not isinstance(error, dict):
        return f"JSON-RPC error {shorten(error, 200)}"
    text = f"JSON-RPC error {error.get('code')}: {error.get('message')}"
    if error.get("data") not in (None, ""):
        text += f" (data: {shorten(error.get('data'), 200)})"
    return text


def result_texts(result: dict) -> list[str]:
    content = result.get("content") if isinstance(result, dict) else None
    if not isinstance(content, list):
        return []
    return [item.get("text", "") for item in content if isinstance(item, dict) and item.get("type") == "text"]


def result_error(message: dict) -> str | None:
    """Why a tools/call answer is a failure, or None: a JSON-RPC error, ``isError: true``, a result
    that is not complete (2026-07-28 ``resultType``), or, when ``isError`` is absent, a plain-text
    error such as ``Error executing get_pet: fetch failed``."""
    if "error" in message:
        return jsonrpc_error_text(message["error"])
    result = message.get("result")
    if not isinstance(result, dict):
        return f"the result is not an object: {shorten(result, 200)}"
    texts = result_texts(result)
    if result.get("isError") is True:
        return "the tool reported isError: true: " + shorten(" ".join(texts) or result.get("content"), 300)
    result_type = result.get("resultType", "complete")
    if result_type != "complete":
        return f"the result is not complete (resultType {result_type!r}); this module does not answer follow-up requests"
    if "isError" not in result and texts and ERROR_TEXT.match(texts[0]):
        return "the tool answered with an error text (and no isError): " + shorten(texts[0], 300)
    return None


def _json_or_text(text: str):
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"') or stripped in ("true", "false", "null") or _NUMBER.fullmatch(stripped):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def result_data(result: dict):
    """What an expectation runs against: ``structuredContent`` when present, else the text content
    parsed as JSON when it is JSON (else the text itself); several text items give a list."""
    if not isinstance(result, dict):
        return result
    if result.get("structuredContent") is not None:
        return result["structuredContent"]
    texts = result_texts(result)
    if not texts:
        return result.get("content")
    if len(texts) == 1:
        return _json_or_text(texts[0])
    return [_json_or_text(text) for text in texts]


def compile_expectation(expression: str):
    """A compiled JMESPath expression; ValueError with the parser's message when it does not parse."""
    if jmespath is None:
        raise ValueError("the Python library jmespath is needed for expect")
    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise ValueError(f"{expression!r} is not a JMESPath expression: {exc}") from exc


def truthy(value) -> bool:
    """JMESPath truth: false, null, empty string, list and object are false; every number is true."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict)) and not value:
        return False
    return True


def check_expectation(expression: str, data) -> tuple[bool, object, str | None]:
    """(passed, value, problem) for one ``expect``."""
    try:
        value = compile_expectation(expression).search(data)
    except (JMESPathError, ValueError, TypeError) as exc:
        return False, None, f"expect {expression!r} could not be evaluated ({exc}) against {shorten(data)}"
    if truthy(value):
        return True, value, None
    return False, value, f"expect {expression!r} gave {shorten(value, 100)} (not truthy) against {shorten(data)}"


# ----------------------------------------------------------------------------------------------
# Statistics for the load check


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(latencies_ms: list[float], failures: int, wall_s: float, concurrency: int) -> dict:
    """success_ratio, p50/p95/p99 (ms, over the successful calls), rps (over all calls)."""
    total = len(latencies_ms) + failures

    def rnd(value):
        return None if value is None else round(value, 3)

    return {
        "requests": total,
        "concurrency": concurrency,
        "successes": len(latencies_ms),
        "failures": failures,
        "success_ratio": round(len(latencies_ms) / total, 6) if total else None,
        "p50_ms": rnd(percentile(latencies_ms, 50)),
        "p95_ms": rnd(percentile(latencies_ms, 95)),
        "p99_ms": rnd(percentile(latencies_ms, 99)),
        "min_ms": rnd(min(latencies_ms)) if latencies_ms else None,
        "max_ms": rnd(max(latencies_ms)) if latencies_ms else None,
        "mean_ms": rnd(sum(latencies_ms) / len(latencies_ms)) if latencies_ms else None,
        "wall_s": round(wall_s, 3),
        "rps": round(total / wall_s, 1) if wall_s > 0 else None,
    }


def load_problems(stats: dict, thresholds: dict) -> list[str]:
    """Which thresholds the figures cross. Latency thresholds need at least one successful call."""
    problems = []
    ratio, minimum = stats["success_ratio"], thresholds.get("min_success_ratio")
    if minimum is not None and (ratio is None or ratio < minimum):
        problems.append(f"success ratio {ratio} is below min_success_ratio {minimum} "
                        f"({stats['failures']} of {stats['requests']} calls failed)")
    for key in ("p50", "p95", "p99"):
        limit = thresholds.get(f"max_{key}_ms")
        value = stats[f"{key}_ms"]
        if limit is None:
            continue
        if value is None:
            problems.append(f"{key} latency unknown (no successful call) against max_{key}_ms {limit}")
        elif value > limit:
            problems.append(f"{key} latency {value} ms is above max_{key}_ms {limit}")
    return problems


# ----------------------------------------------------------------------------------------------
# The client


class McpClient:
    """One MCP conversation with one endpoint (one session, or none for stateless revisions)."""

    def __init__(self, send: Callable, url: str, *, headers: dict | None = None, timeout: float = 10.0,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, client_info: dict | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.send = send
        self.url = url
        self.extra_headers = dict(headers or {})
        self.timeout = float(timeout)
        self.max_response_bytes = int(max_response_bytes)
        self.client_info = client_info or dict(CLIENT_INFO)
        self.clock = clock
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self.modern = False
        self.server_info: dict | None = None
        self.capabilities: dict | None = None
        self.instructions: str | None = None
        self.notifications: dict[str, int] = {}
        self.server_requests: list[str] = []
        self.priming_events = 0
        self.exchanges: list[dict] = []
        self._ids = 0
        self._lock = threading.Lock()

    # -- wire -------------------------------------------------------------------------------

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def headers_for(self, method: str | None, params: dict | None = None) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": ACCEPT}
        protocol = {}
        if self.session_id:
            protocol["Mcp-Session-Id"] = self.session_id
        if self.protocol_version:
            protocol["MCP-Protocol-Version"] = self.protocol_version
        if self.modern and method:
            protocol["Mcp-Method"] = method
            key = NAME_BEARING.get(method)
            if key and params and isinstance(params.get(key), str):
                protocol["Mcp-Name"] = header_value(params[key])
        # The user's headers may replace Accept/Content-Type (to probe a server), never the protocol ones.
        return merge_headers(ours, self.extra_headers, protocol)

    def _envelope(self, params: dict | None) -> dict | None:
        if not self.modern:
            return params
        params = dict(params or {})
        meta = dict(params.get("_meta") or {})
        meta.update({META_PROTOCOL_VERSION: self.protocol_version, META_CLIENT_CAPABILITIES: {},
                     META_CLIENT_INFO: self.client_info})
        params["_meta"] = meta
        return params

    def _post(self, step: str, method: str | None, payload: dict | None, http_method: str = "POST"):
        params = payload.get("params") if payload else None
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else None
        headers = self.headers_for(method, params)
        if payload is None:
            headers.pop("Content-Type", None)
        try:
            return self.send(http_method, self.url, headers, body, self.timeout)
        except TransportError as exc:
            raise McpUnreachable(step, f"no HTTP answer from {self.url}: {exc}",
                                 hint="check that the server runs and url names its host and port") from exc

    def _read_some(self, response, deadline: float, step: str, got: int) -> bytes:
        if self.clock() > deadline:
            raise McpError(step, f"the answer was not complete within timeout {self.timeout:g} s ({got} bytes so far)")
        try:
            return response.read(READ_SIZE)
        except (TransportError, OSError, ValueError) as exc:
            raise McpError(step, f"reading the answer failed after {got} bytes: {exc or type(exc).__name__}") from exc

    def _read_body(self, response, deadline: float, step: str, limit: int) -> bytes:
        chunks, size = [], 0
        while True:
            chunk = self._read_some(response, deadline, step, size)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)

    def _body_head(self, response, deadline: float, step: str) -> bytes:
        try:
            return self._read_body(response, min(deadline, self.clock() + 2.0), step, BODY_HEAD * 4)[:BODY_HEAD * 4]
        except McpError:
            return b""

    def _close(self, response) -> None:
        try:
            response.close()
        except (OSError, ValueError, TransportError):
            pass

    def request(self, method: str, params: dict | None = None, *, step: str | None = None, record: bool = True) -> dict:
        """Send one request; the JSON-RPC message that answers it (``result`` or ``error``).

        HTTP or framing problems raise McpError; a JSON-RPC error with our id (or id null) is returned."""
        step = step or method
        request_id = self._next_id()
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method}
        params = self._envelope(params)
        if params is not None:
            payload["params"] = params
        started = self.clock()
        deadline = started + self.timeout
        response = self._post(step, method, payload)
        try:
            status = int(response.status)
            headers = lower_headers(response.headers)
            ctype = content_type_of(headers)
            message = self._answer(response, status, headers, ctype, request_id, deadline, step)
        finally:
            self._close(response)
        elapsed = (self.clock() - started) * 1000.0
        if record:
            self.exchanges.append({"step": step, "status": status, "content_type": ctype, "ms": round(elapsed, 3)})
        message["_http"] = {"status": status, "content_type": ctype, "headers": headers, "ms": elapsed}
        return message

    def _answer(self, response, status, headers, ctype, request_id, deadline, step) -> dict:
        if status != 200:
            body = self._body_head(response, deadline, step)
            message = self._jsonrpc_from(body, request_id) if ctype == "application/json" else None
            if message is not None and "error" in message:
                # A JSON-RPC error with an HTTP error status (stateless revisions map codes to statuses).
                message["_status_error"] = True
                return message
            hint = STATUS_HINTS.get(status)
            if status in (301, 302, 307, 308) and headers.get("location"):
                hint = f"the server redirects to {headers['location']}; use that as url"
            raise McpError(step, "expected HTTP 200 with application/json or text/event-stream", status, ctype, body, hint)
        if ctype == "application/json":
            body = self._read_body(response, deadline, step, self.max_response_bytes)
            if len(body) > self.max_response_bytes:
                raise McpError(step, f"the answer is larger than max_response_bytes ({self.max_response_bytes})",
                               status, ctype, body[:BODY_HEAD])
            message = self._jsonrpc_from(body, request_id)
            if message is None:
                raise McpError(step, f"expected a JSON-RPC response with id {request_id}", status, ctype, body)
            return message
        if ctype == "text/event-stream":
            return self._from_stream(response, status, ctype, request_id, deadline, step)
        body = self._body_head(response, deadline, step)
        raise McpError(step, "expected content-type application/json or text/event-stream", status, ctype, body)

    @staticmethod
    def _jsonrpc_from(body: bytes, request_id) -> dict | None:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        candidates = data if isinstance(data, list) else [data]
        for item in candidates:
            if not isinstance(item, dict) or "id" not in item and "jsonrpc" not in item:
                continue
            if "result" in item and item.get("id") == request_id:
                return item
            if isinstance(item.get("error"), dict) and item.get("id") in (request_id, None):
                return item
        return None

    def _from_stream(self, response, status, ctype, request_id, deadline, step) -> dict:
        parser = SseParser()
        size = 0
        seen: list[str] = []
        while True:
            chunk = self._read_some(response, deadline, step, size)
            events = parser.feed(chunk) if chunk else parser.close()
            size += len(chunk)
            for event in events:
                found = self._event(event, request_id, seen, step, status, ctype)
                if found is not None:
                    return found  # stop reading here: the stream may stay open
            if not chunk:
                raise McpError(step, f"the event stream ended without the response to request id {request_id}"
                               f" (events seen: {', '.join(seen) or 'none'})", status, ctype, None)
            if size > self.max_response_bytes:
                raise McpError(step, f"the event stream passed max_response_bytes ({self.max_response_bytes}) without "
                               f"the response to request id {request_id} (events seen: {shorten(', '.join(seen), 200)})",
                               status, ctype, None)

    def _event(self, event, request_id, seen: list[str], step, status, ctype) -> dict | None:
        if event.data == "":
            if event.is_priming:
                self.priming_events += 1
                seen.append("priming")
            return None
        try:
            data = json.loads(event.data)
        except ValueError:
            raise McpError(step, "an SSE event's data is not JSON", status, ctype, event.data) from None
        for message in data if isinstance(data, list) else [data]:
            if not isinstance(message, dict):
                raise McpError(step, "an SSE event holds JSON that is not a JSON-RPC message", status, ctype, event.data)
            method = message.get("method")
            if isinstance(method, str):
                if "id" in message:  # a request from the server (ping, sampling, elicitation): not answered here
                    self.server_requests.append(method)
                    seen.append(f"request {method}")
                else:
                    with self._lock:
                        self.notifications[method] = self.notifications.get(method, 0) + 1
                    seen.append(method)
                continue
            if "result" in message or "error" in message:
                if message.get("id") == request_id or (message.get("id") is None and "error" in message):
                    return message
                seen.append(f"response to id {message.get('id')!r}")
        return None

    def notify(self, method: str, params: dict | None = None, *, step: str | None = None) -> int:
        """Send a notification; its HTTP status (202, or 200/204 from lenient servers)."""
        step = step or method
        payload = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            payload["params"] = params
        started = self.clock()
        response = self._post(step, method, payload)
        try:
            status = int(response.status)
            ctype = content_type_of(lower_headers(response.headers))
            if status not in (200, 202, 204):
                body = self._body_head(response, started + self.timeout, step)
                raise McpError(step, "expected HTTP 202 Accepted for a notification", status, ctype, body)
        finally:
            self._close(response)
        self.exchanges.append({"step": step, "status": status, "content_type": ctype,
                               "ms": round((self.clock() - started) * 1000.0, 3)})
        return status

    # -- protocol steps ---------------------------------------------------------------------

    @staticmethod
    def _require_result(message: dict, step: str, expected: str) -> dict:
        http = message.get("_http", {})
        if "error" in message:
            raise McpError(step, f"expected {expected}; the server answered {jsonrpc_error_text(message['error'])}",
                           http.get("status"), http.get("content_type"), None)
        result = message.get("result")
        if not isinstance(result, dict):
            raise McpError(step, f"expected {expected}; the result is {shorten(result, 200)}",
                           http.get("status"), http.get("content_type"), None)
        return result

    def initialize(self, offered: str = LATEST_HANDSHAKE_VERSION) -> dict:
        """initialize + notifications/initialized; sets the session id and negotiated version."""
        self.modern = False
        self.session_id = None
        self.protocol_version = None
        message = self.request("initialize", {"protocolVersion": offered, "capabilities": {},
                                              "clientInfo": self.client_info})
        result = self._require_result(message, "initialize", "an InitializeResult")
        self.protocol_version = negotiate(offered, result.get("protocolVersion"))
        self.server_info = result.get("serverInfo") if isinstance(result.get("serverInfo"), dict) else {}
        self.capabilities = result.get("capabilities") if isinstance(result.get("capabilities"), dict) else {}
        self.instructions = result.get("instructions")
        # The session id comes from the InitializeResult's response only (error answers may carry one too).
        self.session_id = message["_http"]["headers"].get("mcp-session-id") or None
        self.notify("notifications/initialized", step="notifications/initialized")
        return result

    def discover(self, version: str = LATEST_MODERN_VERSION) -> dict:
        """server/discover under a stateless revision; sets the version when the server supports it."""
        self.modern = True
        self.session_id = None
        self.protocol_version = version
        hint = f"the server does not seem to speak the stateless revision {version}; use protocol_version auto or a handshake revision"
        try:
            message = self.request("server/discover", {}, step="server/discover")
            result = self._require_result(message, "server/discover", "a DiscoverResult")
        except McpUnreachable:
            raise
        except McpError as exc:
            if exc.status in (None, 200, 400, 404, 405):
                exc.hint = hint
            raise
        supported = result.get("supportedVersions")
        if not isinstance(supported, list) or version not in supported:
            raise McpError("server/discover", f"the server does not list {version} in supportedVersions "
                           f"({shorten(supported, 200)})", hint=hint)
        meta = result.get("_meta") if isinstance(result.get("_meta"), dict) else {}
        info = meta.get(META_SERVER_INFO)
        self.server_info = info if isinstance(info, dict) else {}
        self.capabilities = result.get("capabilities") if isinstance(result.get("capabilities"), dict) else {}
        self.instructions = result.get("instructions")
        return result

    def reset(self) -> None:
        self.modern = False
        self.session_id = None
        self.protocol_version = None

    def open(self, protocol_version: str = LATEST_HANDSHAKE_VERSION) -> dict:
        """Start the conversation the way ``protocol_version`` says: a handshake revision is offered
        in initialize (and the server's answer accepted), a stateless one is checked with
        server/discover, ``auto`` tries server/discover and falls back to initialize."""
        if protocol_version == "auto":
            try:
                self.discover(LATEST_MODERN_VERSION)
                return self.summary()
            except McpUnreachable:
                raise  # nothing listens: falling back would only repeat that
            except McpError:
                self.reset()
            self.initialize(LATEST_HANDSHAKE_VERSION)
        elif is_modern(protocol_version):
            self.discover(protocol_version)
        elif protocol_version in HANDSHAKE_VERSIONS:
            self.initialize(protocol_version)
        else:
            raise McpError("initialize", f"unknown protocol_version {protocol_version!r}; "
                           f"use one of {', '.join(VERSION_CHOICES)}")
        return self.summary()

    def summary(self) -> dict:
        return {"server_info": self.server_info or {}, "protocol_version": self.protocol_version,
                "session": {"id": self.session_id, "used": bool(self.session_id), "stateless": self.modern},
                "capabilities": self.capabilities or {}, "instructions": self.instructions}

    def list_tools(self) -> list[dict]:
        tools: list[dict] = []
        cursor = None
        seen_cursors = set()
        for page in range(1, MAX_PAGES + 1):
            step = "tools/list" if page == 1 else f"tools/list (page {page})"
            message = self.request("tools/list", {"cursor": cursor} if cursor is not None else {}, step=step)
            result = self._require_result(message, step, "a ListToolsResult")
            page_tools = result.get("tools")
            if not isinstance(page_tools, list):
                raise McpError(step, f"expected a tools list; the result is {shorten(result, 200)}")
            tools.extend(tool for tool in page_tools if isinstance(tool, dict))
            cursor = result.get("nextCursor")
            if cursor in (None, ""):
                return tools
            if cursor in seen_cursors:
                raise McpError(step, f"the server repeats nextCursor {shorten(cursor, 80)!r}; pagination does not end")
            seen_cursors.add(cursor)
        raise McpError("tools/list", f"more than {MAX_PAGES} pages of tools; giving up")

    def call_tool(self, name: str, arguments: dict | None = None, *, record: bool = True) -> dict:
        params = {"name": name, "arguments": arguments or {}, "_meta": {"progressToken": f"mcp-verify-{name}"}}
        return self.request("tools/call", params, step=f"tools/call {name}", record=record)

    def delete_session(self) -> int | None:
        """DELETE the session at the end (200; 404 and 405 are fine too). None when there is none."""
        if not self.session_id:
            return None
        started = self.clock()
        try:
            response = self._post("DELETE session", None, None, http_method="DELETE")
        except McpError:
            return None
        try:
            status = int(response.status)
        finally:
            self._close(response)
        self.exchanges.append({"step": "DELETE session", "status": status, "content_type": None,
                               "ms": round((self.clock() - started) * 1000.0, 3)})
        return status


# ----------------------------------------------------------------------------------------------
# The verification as a whole


def wait_for(attempt: Callable[[], object], wait_timeout: float, *, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep, interval: float = 0.5, max_interval: float = 2.0):
    """Run attempt() until it returns, retrying on McpError until wait_timeout seconds have passed.

    Returns (value, attempts); raises McpError whose message names the attempts and the last error."""
    deadline = clock() + max(float(wait_timeout), 0.0)
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt(), attempts
        except McpError as exc:
            left = deadline - clock()
            if left <= 0:
                if attempts > 1:
                    exc.problem = f"{exc.problem} [still failing after {attempts} attempts over wait_timeout {wait_timeout:g} s]"
                exc.attempts = attempts
                raise
            sleep(min(interval, left))
            interval = min(interval * 2, max_interval)


def run_calls(client: McpClient, calls: list[dict]) -> list[dict]:
    """Each call: its result, the data expectations ran against, passed, and the problem if any."""
    rows = []
    for spec in calls:
        name = spec["name"]
        row = {"name": name, "arguments": spec.get("arguments") or {}, "expect": spec.get("expect"),
               "result": None, "data": None, "passed": False, "problem": None, "ms": None}
        try:
            message = client.call_tool(name, row["arguments"])
        except McpError as exc:
            row["problem"] = str(exc)
            rows.append(row)
            continue
        http = message.pop("_http", {})
        message.pop("_status_error", None)
        row["ms"] = round(http.get("ms", 0.0), 3)
        row["result"] = message.get("result")
        row["error"] = message.get("error")
        problem = result_error(message)
        if problem is None:
            row["data"] = result_data(message["result"])
            if spec.get("expect"):
                _passed, value, problem = check_expectation(spec["expect"], row["data"])
                row["expect_value"] = value
        row["problem"] = problem
        row["passed"] = problem is None
        rows.append(row)
    return rows


def run_load(client: McpClient, tool: str, arguments: dict | None, requests: int, concurrency: int,
             expect: str | None = None) -> tuple[dict, list[str]]:
    """``requests`` calls of one tool, ``concurrency`` at a time, over the open session.

    Returns the figures and up to five distinct failure messages."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one(_index: int) -> None:
        started = client.clock()
        try:
            message = client.call_tool(tool, arguments, record=False)
            problem = result_error(message)
            if problem is None and expect:
                problem = check_expectation(expect, result_data(message["result"]))[2]
        except McpError as exc:
            problem = str(exc)
        elapsed = (client.clock() - started) * 1000.0
        with lock:
            if problem is None:
                latencies.append(elapsed)
            else:
                failures.append(problem)

    concurrency = max(1, min(int(concurrency), int(requests) or 1))
    started = client.clock()
    if requests > 0:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(int(requests))))
    wall = client.clock() - started
    stats = summarize(latencies, len(failures), wall, concurrency)
    distinct = list(dict.fromkeys(failures))[:5]
    return stats, distinct
