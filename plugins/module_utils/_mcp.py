# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""An MCP client over Streamable HTTP, for verifying servers: the whole session logic, no Ansible.

The HTTP exchange itself is injected (``send``), so the module supplies the deadline-bound one of
``_mcp_http`` and the tests can drive the logic directly. ``send(method, url, headers, body, timeout)``
(``timeout``: the seconds left for the whole request) returns an object with ``status`` (int),
``headers`` (a mapping or ``(name, value)`` pairs), ``read(size)`` (whatever is available, at most
``size`` bytes; ``b""`` at the end) and ``close()``; it raises :class:`TransportError` when no HTTP
answer came at all, :class:`TransportTimeout` when the deadline passed.

Answers are judged by :class:`Judge` (error signals, the declared outputSchema, ``expect``,
``schema``); everything read from a server is bounded (size, JSON depth) and strict (ids, UTF-8).

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

from ansible_collections.mcpmesh.platform.plugins.module_utils._deadline import Deadline, poll
from ansible_collections.mcpmesh.platform.plugins.module_utils._mcp_sse import SseError, SseParser

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
except ImportError:  # reported by the module, which needs it only for `expect`
    jmespath = None
    JMESPathError = ValueError

try:
    import jsonschema
    from jsonschema.exceptions import SchemaError
    from jsonschema.exceptions import best_match as best_schema_error
except ImportError:  # reported by the module, which needs it for `schema` and declared output schemas
    jsonschema = None
    SchemaError = ValueError
    best_schema_error = None

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
# JSON nested deeper than this is refused (a hostile answer would otherwise reach Python's recursion limit
# in the JSON, JMESPath and JSON Schema code and in Ansible's handling of the result).
MAX_JSON_DEPTH = 64
# The load check's worker pool never has more threads than this.
MAX_CONCURRENCY = 64
MAX_LOAD_REQUESTS = 1_000_000
MAX_LATENCY_SAMPLES = 2000
MAX_FAILURE_REASONS = 5
# Bounds of the numeric options: (minimum, maximum, whether the minimum itself is allowed).
NUMBER_BOUNDS = {
    "timeout": (0.0, 3600.0, False),
    "wait_timeout": (0.0, 86400.0, True),
    "max_response_bytes": (1024, 256 * 1024 * 1024, True),
    "load.requests": (1, MAX_LOAD_REQUESTS, True),
    "load.concurrency": (1, MAX_CONCURRENCY, True),
    "load.min_success_ratio": (0.0, 1.0, True),
    "load.max_p50_ms": (0.0, 86_400_000.0, False),
    "load.max_p95_ms": (0.0, 86_400_000.0, False),
    "load.max_p99_ms": (0.0, 86_400_000.0, False),
}
# Header names whose values are credentials: masked in output, never quoted.
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
CREDENTIAL_WORDS = ("token", "secret", "key", "auth", "cookie", "password", "passwd")
# RFC 9110 token characters, for header names.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# MCP: a session id holds visible ASCII only (0x21 to 0x7E).
SESSION_ID = re.compile(r"^[\x21-\x7e]{1,1024}$")

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
    429: "the server (or a rate limit in front of it, such as Linkerd's HTTPLocalRateLimitPolicy) refused: too many requests",
    500: "the server failed; its logs say why",
    502: "a proxy in front of the server could not reach it",
    503: "the server (or the proxy in front of it) is not ready yet; wait_timeout retries",
    504: "a proxy in front of the server timed out",
}


class TransportError(Exception):
    """No HTTP answer at all: connection refused, DNS, TLS, a read timeout."""


class TransportTimeout(TransportError):
    """The request's deadline passed (connecting, or waiting for the headers or the body)."""


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
        self.http_status = status  # set by the client when an answer came, also for framing problems

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
    text = control_free(text)
    if len(text) <= limit:
        return text
    return f"{text[:max(limit - 20, 10)]}... ({len(text)} chars)"


def _number_text(value) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}"


def number_problem(name: str, value) -> str | None:
    """Why a numeric option's value is refused (NaN, infinite, out of its bounds), or None."""
    minimum, maximum, inclusive = NUMBER_BOUNDS[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{name} must be a number, got {shorten(value, 60)!r}"
    if isinstance(value, float) and math.isnan(value):
        return f"{name} must be a number, got NaN"
    if isinstance(value, float) and math.isinf(value):
        return f"{name} must be finite, got {value}"
    if value < minimum or (value == minimum and not inclusive):
        return f"{name} must be {'at least' if inclusive else 'above'} {_number_text(minimum)}, got {_number_text(value)}"
    if value > maximum:
        return f"{name} must be at most {_number_text(maximum)}, got {_number_text(value)}"
    return None


def number_problems(values: dict) -> list[str]:
    """number_problem for each ``{option name: value}`` given (names as in NUMBER_BOUNDS)."""
    return [problem for name, value in values.items() if (problem := number_problem(name, value))]


def is_credential_header(name: str) -> bool:
    """Authorization, Proxy-Authorization, Cookie, X-Api-Key, and any name holding token, secret, key, auth..."""
    lowered = str(name).lower()
    return lowered in CREDENTIAL_HEADERS or any(word in lowered for word in CREDENTIAL_WORDS)


def header_problem(name, value) -> str | None:
    """Why a header cannot be sent: a name that is not an HTTP token, or a value holding CR, LF, NUL or another
    control character (or a character outside Latin-1). The value is never quoted."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        return f"the header name {shorten(control_free(str(name)), 60)!r} is not an HTTP token (letters, digits, -)"
    text = str(value)
    for index, char in enumerate(text):
        code = ord(char)
        if (code < 0x20 and char != "\t") or code == 0x7F:
            return (f"the value of header {name} holds a control character (0x{code:02x}, position {index}); "
                    "CR, LF, NUL and other control characters are refused (the value is not shown)")
        if code > 0xFF:
            return (f"the value of header {name} holds a character outside Latin-1 (position {index}); "
                    "send it encoded (the value is not shown)")
    return None


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def control_free(text: str) -> str:
    """The text without ANSI sequences and control characters (tabs and line ends kept)."""
    return _CONTROL.sub("", text)


def same_id(found, ours) -> bool:
    """JSON-RPC ids match in type and value: ``true`` is not ``1``, ``1.0`` is not ``1``, ``"1"`` is not ``1``."""
    return type(found) is type(ours) and found == ours


class JsonProblem(ValueError):
    """A body is not usable JSON: invalid UTF-8, not JSON, or nested too deeply."""


def json_depth_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists/objects nest deeper than ``limit`` (iterative: safe on any input)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def has_lone_surrogate(value) -> bool:
    """Whether a string anywhere in the value (keys too) holds a lone UTF-16 surrogate, which no UTF-8 text can carry
    (ansible-core refuses such a module result). Iterative: safe on any input."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def decode_json(data: bytes | str):
    """The JSON value of a body or an event's data; JsonProblem naming what is wrong otherwise."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonProblem(f"the answer is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    else:
        text = data
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonProblem(f"the answer's JSON nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise JsonProblem(f"the answer is not JSON ({exc})") from None
    if json_depth_exceeds(value):
        raise JsonProblem(f"the answer's JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if has_lone_surrogate(value):
        raise JsonProblem("the answer's JSON holds a lone surrogate escape (such as \\ud800), which is no Unicode character")
    return value


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
    return [item["text"] if isinstance(item.get("text"), str) else json.dumps(item.get("text"), default=str)
            for item in content if isinstance(item, dict) and item.get("type") == "text"]


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


def _json_or_none(text: str):
    """(True, value) when the text is JSON, else (False, None)."""
    try:
        return True, decode_json(text)
    except JsonProblem:
        return False, None


def answer_data(result) -> tuple[object, str, str | None]:
    """What expectations and schemas judge: ``(data, source, problem)``.

    ``source`` is ``structuredContent`` (its value), ``json text`` (the text content parsed as JSON;
    several text items give a list), ``plain text`` (data is None: text that is not JSON has no data,
    so no JSON expectation or schema can pass on an error page or ``Internal Server Error``),
    ``content`` (no text items: the content list) or ``none``. ``problem`` says why a plain-text
    answer cannot be judged, quoting its start."""
    if not isinstance(result, dict):
        return None, "none", f"the result is not an object: {shorten(result, 200)}"
    if result.get("structuredContent") is not None:
        return result["structuredContent"], "structuredContent", None
    texts = result_texts(result)
    if not texts:
        content = result.get("content")
        return content, "content" if content is not None else "none", None
    values = []
    for text in texts:
        is_json, value = _json_or_none(text) if isinstance(text, str) else (False, None)
        if not is_json:
            return None, "plain text", f"the answer is plain text, not JSON: {shorten(text, 200)!r}"
        values.append(value)
    return (values[0] if len(values) == 1 else values), "json text", None


def result_data(result):
    """The data of :func:`answer_data` (None for plain text)."""
    return answer_data(result)[0]


def compile_expectation(expression: str):
    """A compiled JMESPath expression; ValueError with the parser's message when it does not parse."""
    if jmespath is None:
        raise ValueError("the Python library jmespath is needed for expect")
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("an expectation must be a non-empty JMESPath expression")
    try:
        return jmespath.compile(expression)
    except (JMESPathError, RecursionError, TypeError, ValueError) as exc:  # JMESPathError is a ValueError
        detail = shorten(str(exc), 200) if isinstance(exc, JMESPathError) else type(exc).__name__
        raise ValueError(f"{shorten(expression, 200)!r} is not a JMESPath expression: {detail}") from exc


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
    except (JMESPathError, ValueError, TypeError, RecursionError) as exc:
        return False, None, f"expect {expression!r} could not be evaluated ({shorten(str(exc), 200)}) against {shorten(data)}"
    if truthy(value):
        return True, value, None
    return False, value, f"expect {expression!r} gave {shorten(value, 100)} (not truthy) against {shorten(data)}"


def schema_validator(schema, where: str):
    """A validator for a JSON Schema (the draft its ``$schema`` names, else 2020-12); ValueError saying why not."""
    if jsonschema is None:
        raise ValueError(f"{where}: the Python library jsonschema is needed to check JSON Schemas")
    if not isinstance(schema, dict):
        raise ValueError(f"{where} must be a JSON Schema object, got {type(schema).__name__}")
    if json_depth_exceeds(schema):
        raise ValueError(f"{where} nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        return cls(schema)
    except (SchemaError, RecursionError, TypeError, ValueError, LookupError) as exc:
        if isinstance(exc, SchemaError):
            raise ValueError(f"{where} is not a valid JSON Schema: {shorten(exc.message, 200)}") from None
        raise ValueError(f"{where} is not a usable JSON Schema: {type(exc).__name__}: {shorten(str(exc), 200)}") from None


def _path_text(path) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def schema_problem(validator, data, where: str) -> str | None:
    """None when data satisfies the schema, else the most relevant violation and where it is."""
    try:
        errors = list(validator.iter_errors(data))
    except (RecursionError, TypeError, ValueError, LookupError) as exc:
        return f"{where} could not be checked ({type(exc).__name__}: {shorten(str(exc), 200)})"
    if not errors:
        return None
    error = best_schema_error(errors)
    more = f" ({len(errors)} violations)" if len(errors) > 1 else ""
    return (f"the data does not match {where}: {shorten(error.message, 200)} at {shorten(_path_text(error.absolute_path), 80)}"
            f"{more}; data {shorten(data, 200)}")


class Judge:
    """How one tool's answers are judged, the same way for a call and for every answer of the load check.

    A JSON-RPC error, ``isError: true``, a plain error text (see :func:`result_error`) fail always.
    A declared ``outputSchema`` must be met by ``structuredContent``; ``expect`` (JMESPath) must be truthy
    over the data and ``schema`` must validate it (see :func:`answer_data`: plain text has no data).
    With none of the three, only the transport and the error signals are judged."""

    def __init__(self, expect: str | None = None, schema: dict | None = None, output_schema=None,
                 where: str = "schema") -> None:
        self.expect = expect or None
        self.schema = schema or None
        self.expression = compile_expectation(self.expect) if self.expect else None
        self.validator = schema_validator(self.schema, where) if self.schema else None
        self.output_schema = output_schema
        self.output_problem = None
        self.output_validator = None
        if output_schema is not None:
            try:
                self.output_validator = schema_validator(output_schema, "the tool's declared outputSchema")
            except ValueError as exc:
                self.output_problem = str(exc)

    @property
    def judged_by(self) -> list[str]:
        return [name for name, on in (("outputSchema", self.output_schema is not None), ("expect", self.expect),
                                      ("schema", self.schema)) if on]

    def __call__(self, message: dict) -> tuple[str | None, dict]:
        """(problem or None, details: data, data_source, expect_value when an expectation ran)."""
        details: dict = {"data": None, "data_source": "none"}
        problem = result_error(message)
        if problem is not None:
            return problem, details
        result = message["result"]
        data, source, text_problem = answer_data(result)
        details.update(data=data, data_source=source)
        if self.output_schema is not None:
            if self.output_problem:
                return self.output_problem, details
            structured = result.get("structuredContent")
            if structured is None:
                return "the tool declares an outputSchema but the result has no structuredContent", details
            problem = schema_problem(self.output_validator, structured, "the tool's declared outputSchema")
            if problem:
                return problem, details
        if (self.expression is not None or self.validator is not None) and text_problem:
            return f"{text_problem}; expect and schema judge JSON data", details
        if self.expression is not None:
            try:
                value = self.expression.search(data)
            except (JMESPathError, ValueError, TypeError, RecursionError) as exc:
                return (f"expect {self.expect!r} could not be evaluated ({shorten(str(exc), 200)}) "
                        f"against {shorten(data)}"), details
            details["expect_value"] = value
            if not truthy(value):
                return f"expect {self.expect!r} gave {shorten(value, 100)} (not truthy) against {shorten(data)}", details
        if self.validator is not None:
            problem = schema_problem(self.validator, data, "schema")
            if problem:
                return problem, details
        return None, details


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
        # An absolute clock() value no request may pass (the end of wait_timeout's retries), or None.
        self.hard_deadline: float | None = None
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

    def deadline_from(self, started: float) -> float:
        """When a request started at ``started`` must be over: ``timeout`` later, or the hard deadline if sooner."""
        deadline = started + self.timeout
        return deadline if self.hard_deadline is None else min(deadline, self.hard_deadline)

    def _post(self, step: str, method: str | None, payload: dict | None, http_method: str = "POST",
              deadline: float | None = None):
        params = payload.get("params") if payload else None
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else None
        headers = self.headers_for(method, params)
        if payload is None:
            headers.pop("Content-Type", None)
        left = (deadline if deadline is not None else self.deadline_from(self.clock())) - self.clock()
        if left <= 0:
            raise McpUnreachable(step, "not sent: the time for it ran out (timeout, or the end of wait_timeout)")
        try:
            return self.send(http_method, self.url, headers, body, left)
        except TransportTimeout as exc:
            raise McpUnreachable(step, f"no HTTP answer from {self.url} within timeout {self.timeout:g} s ({exc})",
                                 hint="the server accepts connections but answers too slowly, or not at all") from None
        except TransportError as exc:
            raise McpUnreachable(step, f"no HTTP answer from {self.url}: {exc}",
                                 hint="check that the server runs and url names its host and port") from exc

    def _read_some(self, response, deadline: float, step: str, got: int) -> bytes:
        if self.clock() > deadline:
            raise McpError(step, f"the answer was not complete within timeout {self.timeout:g} s ({got} bytes so far)")
        try:
            return response.read(READ_SIZE)
        except TransportTimeout:
            raise McpError(step, f"the answer was not complete within timeout {self.timeout:g} s ({got} bytes so far)") from None
        except (TransportError, OSError, ValueError) as exc:
            raise McpError(step, f"reading the answer failed after {got} bytes: {exc or type(exc).__name__}") from None

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

    def _send(self, step: str, method: str, payload: dict, params: dict | None):
        """POST ``payload`` (with ``params`` when there are any) under a new deadline: (response, start, deadline)."""
        if params is not None:
            payload["params"] = params
        started = self.clock()
        deadline = self.deadline_from(started)
        return self._post(step, method, payload, deadline=deadline), started, deadline

    def request(self, method: str, params: dict | None = None, *, step: str | None = None, record: bool = True) -> dict:
        """Send one request; the JSON-RPC message that answers it (``result`` or ``error``).

        HTTP or framing problems raise McpError; a JSON-RPC error with our id (or id null) is returned."""
        step = step or method
        request_id = self._next_id()
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method}
        response, started, deadline = self._send(step, method, payload, self._envelope(params))
        status = None
        try:
            status = int(response.status)
            headers = lower_headers(response.headers)
            ctype = content_type_of(headers)
            message = self._answer(response, status, headers, ctype, request_id, deadline, step)
        except McpError as exc:
            exc.http_status = status
            raise
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
                hint = f"the server redirects to {shorten(headers['location'], 200)}; use that as url"
            raise McpError(step, "expected HTTP 200 with application/json or text/event-stream", status, ctype, body, hint)
        if ctype == "application/json":
            body = self._read_body(response, deadline, step, self.max_response_bytes)
            if len(body) > self.max_response_bytes:
                raise McpError(step, f"the answer is larger than max_response_bytes ({self.max_response_bytes})",
                               status, ctype, body[:BODY_HEAD])
            try:
                data = decode_json(body)
            except JsonProblem as exc:
                raise McpError(step, f"expected a JSON-RPC response with id {request_id}; {exc}", status, ctype,
                               body.decode("utf-8", errors="replace")) from None
            message, other = self._pick(data, request_id)
            if message is None:
                why = f"; the answer is for id {other}, not {request_id}" if other else ""
                raise McpError(step, f"expected a JSON-RPC response with id {request_id}{why}", status, ctype, body)
            return message
        if ctype == "text/event-stream":
            return self._from_stream(response, status, ctype, request_id, deadline, step)
        body = self._body_head(response, deadline, step)
        raise McpError(step, "expected content-type application/json or text/event-stream", status, ctype, body)

    @staticmethod
    def _jsonrpc_from(body: bytes, request_id) -> dict | None:
        """The JSON-RPC message answering ``request_id`` in a body, or None (best effort, for error answers)."""
        try:
            data = decode_json(body)
        except JsonProblem:
            return None
        return McpClient._pick(data, request_id)[0]

    @staticmethod
    def _pick(data, request_id) -> tuple[dict | None, str | None]:
        """(the response to request_id, or None; a description of another id that was answered, or None).

        Ids match in type and value (``true`` is not ``1``); an error with id null answers any request."""
        other = None
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict) or "id" not in item and "jsonrpc" not in item:
                continue
            found = item.get("id")
            if "result" in item and same_id(found, request_id):
                return item, None
            if isinstance(item.get("error"), dict) and (found is None or same_id(found, request_id)):
                return item, None
            if ("result" in item or "error" in item) and other is None:
                other = f"{shorten(found, 40)} ({type(found).__name__})"
        return None, other

    def _from_stream(self, response, status, ctype, request_id, deadline, step) -> dict:
        parser = SseParser()
        size = 0
        seen: list[str] = []
        while True:
            chunk = self._read_some(response, deadline, step, size)
            try:
                events = parser.feed(chunk) if chunk else parser.close()
            except SseError as exc:
                raise McpError(step, str(exc), status, ctype, None) from None
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
            data = decode_json(event.data)
        except JsonProblem as exc:
            problem = "an SSE event's data is not JSON" if "not JSON" in str(exc) else f"an SSE event: {exc}"
            raise McpError(step, problem, status, ctype, event.data) from None
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
                found = message.get("id")
                if same_id(found, request_id) or (found is None and isinstance(message.get("error"), dict)):
                    return message
                seen.append(f"response to id {shorten(found, 40)} ({type(found).__name__})")
        return None

    def notify(self, method: str, params: dict | None = None, *, step: str | None = None) -> int:
        """Send a notification; its HTTP status (202, or 200/204 from lenient servers)."""
        step = step or method
        response, started, deadline = self._send(step, method, {"jsonrpc": "2.0", "method": method}, params)
        try:
            status = int(response.status)
            ctype = content_type_of(lower_headers(response.headers))
            if status not in (200, 202, 204):
                body = self._body_head(response, deadline, step)
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
        self.reset()
        message = self.request("initialize", {"protocolVersion": offered, "capabilities": {},
                                              "clientInfo": self.client_info})
        result = self._require_result(message, "initialize", "an InitializeResult")
        self.protocol_version = negotiate(offered, result.get("protocolVersion"))
        self._describe_server(result, result.get("serverInfo"))
        # The session id comes from the InitializeResult's response only (error answers may carry one too).
        session_id = message["_http"]["headers"].get("mcp-session-id") or None
        if session_id is not None and not SESSION_ID.match(session_id):
            raise McpError("initialize", f"the server's Mcp-Session-Id ({len(session_id)} characters) holds characters "
                           "outside visible ASCII (control characters, CR, LF, NUL, spaces); refused, not sent back",
                           hint="the server is broken or hostile; MCP session ids are visible ASCII (0x21 to 0x7E)")
        self.session_id = session_id
        self.notify("notifications/initialized", step="notifications/initialized")
        return result

    def discover(self, version: str = LATEST_MODERN_VERSION) -> dict:
        """server/discover under a stateless revision; sets the version when the server supports it."""
        self.reset(modern=True, protocol_version=version)
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
        self._describe_server(result, meta.get(META_SERVER_INFO))
        return result

    def _describe_server(self, result: dict, info) -> None:
        """What the server said about itself in ``result``: ``info`` (its serverInfo), capabilities, instructions."""
        self.server_info = info if isinstance(info, dict) else {}
        self.capabilities = result.get("capabilities") if isinstance(result.get("capabilities"), dict) else {}
        self.instructions = result.get("instructions")

    def reset(self, modern: bool = False, protocol_version: str | None = None) -> None:
        """Forget the session: no session id, and the revision (stateless with ``modern``) not yet agreed."""
        self.modern = modern
        self.session_id = None
        self.protocol_version = protocol_version

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
            if cursor is None or cursor == "":
                return tools
            if not isinstance(cursor, str):
                raise McpError(step, f"nextCursor must be a string; the server sent {type(cursor).__name__} "
                               f"{shorten(cursor, 80)}")
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
            response = self._post("DELETE session", None, None, http_method="DELETE", deadline=self.deadline_from(started))
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

    Never sleeps past the deadline and starts no attempt after it. Returns (value, attempts); raises
    McpError whose message names the attempts and the last error. ValueError for a NaN, infinite or
    negative wait_timeout (it would retry forever or not at all)."""
    wait_timeout = float(wait_timeout)
    if not math.isfinite(wait_timeout) or wait_timeout < 0:
        raise ValueError(f"wait_timeout must be a finite number of seconds, at least 0, got {wait_timeout}")
    try:
        return poll(attempt, Deadline(wait_timeout, clock), interval, clock=clock, sleep=sleep,
                    done=lambda _result: True, retry_on=(McpError,), backoff=2.0, max_interval_s=max_interval)
    except McpError as exc:
        attempts = getattr(exc, "attempts", 1)
        if attempts > 1:
            exc.problem = f"{exc.problem} [still failing after {attempts} attempts over wait_timeout {wait_timeout:g} s]"
        raise


def judge_for(tools: list[dict] | None, name: str, expect: str | None = None, schema: dict | None = None,
              where: str = "schema") -> Judge:
    """The Judge of a tool's answers: its declared outputSchema (from tools/list) plus expect and schema."""
    output_schema = None
    for tool in tools or []:
        if isinstance(tool, dict) and tool.get("name") == name and tool.get("outputSchema") is not None:
            output_schema = tool["outputSchema"]
            break
    return Judge(expect, schema, output_schema, where=where)


def run_calls(client: McpClient, calls: list[dict], tools: list[dict] | None = None) -> list[dict]:
    """Each call: its result, the data expectations ran against, passed, and the problem if any."""
    rows = []
    for index, spec in enumerate(calls):
        name = spec["name"]
        row = {"name": name, "arguments": spec.get("arguments") or {}, "expect": spec.get("expect"),
               "schema": spec.get("schema"), "result": None, "data": None, "data_source": "none",
               "passed": False, "problem": None, "ms": None}
        # judge_for raises ValueError for an expectation or schema that cannot judge (the call is not made);
        # call_tool raises only McpError (its transport's and parsers' errors, ValueErrors among them, become one).
        try:
            judge = judge_for(tools, name, spec.get("expect"), spec.get("schema"), where=f"calls[{index}].schema")
            row["judged_by"] = judge.judged_by
            message = client.call_tool(name, row["arguments"])
        except (ValueError, McpError) as exc:
            row["problem"] = str(exc)
            rows.append(row)
            continue
        http = message.pop("_http", {})
        message.pop("_status_error", None)
        row["ms"] = round(http.get("ms", 0.0), 3)
        row["result"] = message.get("result")
        row["error"] = message.get("error")
        problem, details = judge(message)
        row.update(details)
        row["problem"] = problem
        row["passed"] = problem is None
        rows.append(row)
    return rows


_VARYING = [(re.compile(r"\b(request id|id) \d+"), r"\1 N"), (re.compile(r"\b\d+ bytes\b"), "N bytes"),
            (re.compile(r"\d+(\.\d+)? ms\b"), "N ms")]


def failure_reason(text: str) -> str:
    """A failure message with its per-request parts (ids, byte counts, times) replaced, for counting."""
    reason = shorten(str(text), 300)
    for pattern, replacement in _VARYING:
        reason = pattern.sub(replacement, reason)
    return reason


def top_reasons(reasons: list[str], limit: int = MAX_FAILURE_REASONS) -> list[dict]:
    """[{reason, count}], the most frequent first (ties: the first seen first), at most ``limit``."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    order = {reason: index for index, reason in enumerate(counts)}
    ranked = sorted(counts, key=lambda reason: (-counts[reason], order[reason]))
    return [{"reason": reason, "count": counts[reason]} for reason in ranked[:limit]]


def sample(values: list[float], limit: int = MAX_LATENCY_SAMPLES) -> list[float]:
    """At most ``limit`` values, evenly spread over the list and in its order (all when there are fewer)."""
    if len(values) <= limit:
        return [round(value, 3) for value in values]
    step = len(values) / limit
    return [round(values[int(index * step)], 3) for index in range(limit)]


def run_load(client: McpClient, tool: str, arguments: dict | None, requests: int, concurrency: int,
             expect: str | None = None, judge: Judge | None = None) -> tuple[dict, list[str]]:
    """``requests`` calls of one tool over the open session, by a fixed pool of ``concurrency`` workers
    (at most MAX_CONCURRENCY; never a thread per request). Every answer is judged by ``judge`` (or, for
    older callers, by ``expect`` alone).

    Returns the figures (with ``status_counts``, ``failure_reasons``, ``latency_samples_ms``) and up to
    five distinct failure messages."""
    requests = int(requests)
    if judge is None:
        judge = Judge(expect)
    latencies: list[float] = []
    failures: list[str] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    next_index = iter(range(requests))

    def one() -> None:
        started = client.clock()
        status = None
        try:
            message = client.call_tool(tool, arguments, record=False)
            status = message.get("_http", {}).get("status")
            problem = judge(message)[0]
        except McpUnreachable as exc:
            problem = str(exc)
        except McpError as exc:
            status = exc.http_status if exc.http_status is not None else exc.status
            problem = str(exc)
        elapsed = (client.clock() - started) * 1000.0
        key = str(status) if status is not None else "no_answer"
        with lock:
            statuses[key] = statuses.get(key, 0) + 1
            if problem is None:
                latencies.append(elapsed)
            else:
                failures.append(problem)

    def worker() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            one()

    workers = max(1, min(int(concurrency), MAX_CONCURRENCY, requests or 1))
    started = client.clock()
    if requests > 0:
        pool = [threading.Thread(target=worker, name=f"mcp-verify-load-{number}", daemon=True) for number in range(workers)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    wall = client.clock() - started
    stats = summarize(latencies, len(failures), wall, workers)
    stats["status_counts"] = dict(sorted(statuses.items()))
    stats["failure_reasons"] = top_reasons([failure_reason(text) for text in failures])
    stats["latency_samples_ms"] = sample(latencies)
    stats["judged_by"] = judge.judged_by
    distinct = list(dict.fromkeys(failures))[:5]
    return stats, distinct
