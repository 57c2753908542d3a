# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure logic of mcp_verify: SSE parsing, negotiation, result checks, expectations, statistics,
and the client's session logic over a scripted transport (byte streams written out by hand here,
so each framing edge case is pinned down; the real servers are in tests/integration)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp
from ansible_collections.mcpmesh.platform.plugins.module_utils._mcp_sse import SseEvent, SseParser, parse_all

# ---------------------------------------------------------------------------------------------
# SSE


@pytest.mark.parametrize("body, expected", [
    (b"event: message\ndata: {\"a\":1}\n\n", [SseEvent('{"a":1}')]),
    (b"event: message\r\ndata: x\r\n\r\n", [SseEvent("x")]),
    (b"data: x\r\rdata: y\r\r", [SseEvent("x"), SseEvent("y")]),
    (b"data: line1\ndata: line2\n\n", [SseEvent("line1\nline2")]),
    (b"data:no-space\n\n", [SseEvent("no-space")]),
    (b"data:  two spaces\n\n", [SseEvent(" two spaces")]),
    (b": keep-alive\n\n: another\ndata: x\n\n", [SseEvent("x")]),
    (b"id: 3\ndata: \nretry: 1500\n\n", [SseEvent("", id="3", retry=1500)]),
    (b"id: 3\n\n", [SseEvent("", id="3")]),
    (b"retry: soon\ndata: x\n\n", [SseEvent("x")]),
    (b"id: a\0b\ndata: x\n\n", [SseEvent("x")]),
    (b"event: ping\n\n", []),
    (b"\n\n\n", []),
    (b"unknown: 1\ndata\n\n", [SseEvent("")]),
    (b"\xef\xbb\xbfdata: bom\n\n", [SseEvent("bom")]),
    (b"event: custom\ndata: x\n\ndata: y\n\n", [SseEvent("x", event="custom"), SseEvent("y")]),
    (b"data: no blank line at the end", [SseEvent("no blank line at the end")]),
    (b"data: caf\xc3\xa9\n\n", [SseEvent("café")]),
])
def test_sse_events(body, expected):
    assert parse_all(body) == expected


@pytest.mark.parametrize("body", [
    b"id: 1\r\ndata: \r\nretry: 10\r\n\r\nevent: message\r\ndata: {\"id\":1}\r\n\r\n: c\r\n\r\ndata: a\r\ndata: b\r\n\r\n",
    b"id: 1\rdata: \rretry: 10\r\revent: message\rdata: {\"id\":1}\r\r: c\r\rdata: a\rdata: b\r\r",
])
def test_sse_any_split_gives_the_same_events(body):
    whole = parse_all(body)
    assert [e.data for e in whole] == ["", '{"id":1}', "a\nb"]
    for cut in range(1, len(body)):
        parser = SseParser()
        events = parser.feed(body[:cut]) + parser.feed(body[cut:]) + parser.close()
        assert events == whole, cut
    parser = SseParser()
    one_by_one = [event for index in range(len(body)) for event in parser.feed(body[index:index + 1])]
    assert one_by_one + parser.close() == whole


def test_sse_event_is_dispatched_as_soon_as_its_blank_line_arrives():
    parser = SseParser()
    assert parser.feed(b"data: x\r") == []
    assert parser.feed(b"\r") == [SseEvent("x")]  # no need to wait for a possible LF
    assert parser.feed(b"\ndata: y\n\n") == [SseEvent("y")]
    assert parser.last_event_id is None and parser.comments == 0


def test_sse_priming_and_last_event_id():
    parser = SseParser()
    events = parser.feed(b"id: 7\ndata: \n\nid: 8\nevent: message\ndata: {}\n\n")
    assert events[0].is_priming and not events[1].is_priming
    assert parser.last_event_id == "8"


# ---------------------------------------------------------------------------------------------
# Negotiation, headers, shortening


@pytest.mark.parametrize("offered, answered", [(o, a) for o in _mcp.HANDSHAKE_VERSIONS for a in _mcp.HANDSHAKE_VERSIONS])
def test_negotiation_accepts_any_handshake_revision(offered, answered):
    assert _mcp.negotiate(offered, answered) == answered


@pytest.mark.parametrize("answered, words", [
    ("2026-07-28", "not a handshake revision"),
    ("2099-01-01", "not a handshake revision"),
    (None, "no protocolVersion"),
    ("", "no protocolVersion"),
    (20251125, "no protocolVersion"),
])
def test_negotiation_refuses_unknown_answers(answered, words):
    with pytest.raises(_mcp.McpError, match=words):
        _mcp.negotiate("2025-11-25", answered)


def test_known_versions():
    assert _mcp.KNOWN_VERSIONS == ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")
    assert _mcp.LATEST_HANDSHAKE_VERSION == "2025-11-25"
    assert _mcp.VERSION_CHOICES[0] == "auto"


@pytest.mark.parametrize("layers, expected", [
    (({"Accept": "a"}, {"accept": "b"}), {"accept": "b"}),
    (({"Host": "x"}, None, {"X-A": None}), {"Host": "x"}),
    (({"A": 1}, {"B": "2"}), {"A": "1", "B": "2"}),
])
def test_merge_headers(layers, expected):
    assert _mcp.merge_headers(*layers) == expected


@pytest.mark.parametrize("name, expected", [
    ("get_pet", "get_pet"),
    ("café", "=?base64?Y2Fmw6k=?="),
    (" padded", "=?base64?IHBhZGRlZA==?="),
])
def test_header_value(name, expected):
    assert _mcp.header_value(name) == expected


@pytest.mark.parametrize("value, limit, expected", [
    ("short", 10, "short"),
    ({"a": [1, 2]}, 50, '{"a":[1,2]}'),
    ("a\n  b", 50, "a b"),
    ("x" * 100, 40, "x" * 20 + "... (100 chars)"),
])
def test_shorten(value, limit, expected):
    assert _mcp.shorten(value, limit) == expected


def test_error_message_names_step_status_type_body_and_hint():
    text = str(_mcp.McpError("initialize", "expected HTTP 200", 421, "text/plain", b"Invalid Host header"))
    assert text.startswith("initialize: expected HTTP 200 (got HTTP 421, content-type text/plain, body 'Invalid Host header')")
    assert "headers.Host" in text
    assert "empty body" in str(_mcp.McpError("x", "y", 500, None, b""))


# ---------------------------------------------------------------------------------------------
# Results and expectations


def text_result(text, **extra):
    return {"result": {"content": [{"type": "text", "text": text}], **extra}}


@pytest.mark.parametrize("message, words", [
    ({"error": {"code": -32602, "message": "MCP error -32602: Tool x not found"}}, "JSON-RPC error -32602"),
    ({"error": {"code": -32601, "message": "Method not found", "data": "foo/bar"}}, "data: foo/bar"),
    (text_result("Unknown tool: x", isError=True), "isError: true: Unknown tool: x"),
    (text_result("Error executing get_pet: fetch failed"), "error text (and no isError)"),
    (text_result("MCP error -32602: Tool x not found"), "error text"),
    ({"result": {"content": [], "resultType": "input_required"}}, "not complete"),
    ({"result": "nope"}, "not an object"),
])
def test_result_errors(message, words):
    assert words in _mcp.result_error(message)


@pytest.mark.parametrize("message", [
    text_result("[]", isError=False),
    text_result("Error executing is trusted when isError is false", isError=False),
    text_result("All fine"),
    {"result": {"content": [], "structuredContent": {"result": 5}, "resultType": "complete"}},
])
def test_results_that_are_not_errors(message):
    assert _mcp.result_error(message) is None


@pytest.mark.parametrize("result, data", [
    ({"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}}, {"result": 5}),
    ({"content": [{"type": "text", "text": '[{"id": 1}]'}]}, [{"id": 1}]),
    ({"content": [{"type": "text", "text": "plain words"}]}, None),  # plain text has no data
    ({"content": [{"type": "text", "text": "42"}]}, 42),
    ({"content": [{"type": "text", "text": "{broken"}]}, None),
    ({"content": [{"type": "text", "text": '{"id": 1}'}, {"type": "text", "text": '{"id": 2}'}]}, [{"id": 1}, {"id": 2}]),
    ({"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]}, [{"type": "image", "data": "AA==", "mimeType": "image/png"}]),
    ({"content": [{"type": "text", "text": "[]"}], "structuredContent": None}, []),
])
def test_result_data(result, data):
    assert _mcp.result_data(result) == data


PETS = [{"id": 1, "status": "available"}, {"id": 2, "status": "available"}]
SEED = "length(@) > `0` && length([?status != 'available']) == `0`"


@pytest.mark.parametrize("expression, data, passed", [
    (SEED, PETS, True),
    (SEED, [], False),
    (SEED, PETS + [{"id": 3, "status": "sold"}], False),
    ("result == `5`", {"result": 5}, True),
    ("count", {"count": 0}, True),  # JMESPath: every number is true
    ("names", {"names": []}, False),
    ("missing", {"a": 1}, False),
    ("contains(@, 'done')", "done after 3 steps", True),
    ("`false`", {}, False),
])
def test_expectations(expression, data, passed):
    ok, _value, problem = _mcp.check_expectation(expression, data)
    assert ok is passed
    if not passed:
        assert repr(expression) in problem and "against" in problem


def test_expectation_failure_shows_expression_and_data():
    ok, value, problem = _mcp.check_expectation(SEED, PETS + [{"id": 3, "status": "sold"}])
    assert not ok and value is False
    assert "status != 'available'" in problem and '"status":"sold"' in problem


def test_expectation_that_does_not_parse():
    with pytest.raises(ValueError, match="not a JMESPath expression"):
        _mcp.compile_expectation("length(@ >")
    ok, _value, problem = _mcp.check_expectation("length(@)", 5)  # type error at run time
    assert not ok and "could not be evaluated" in problem


# ---------------------------------------------------------------------------------------------
# Statistics


@pytest.mark.parametrize("values, pct, expected", [
    ([], 50, None),
    ([5.0], 99, 5.0),
    ([1, 2, 3, 4], 50, 2),
    ([1, 2, 3, 4, 5], 50, 3),
    (list(range(1, 101)), 95, 95),
    (list(range(1, 101)), 99, 99),
    (list(range(100, 0, -1)), 99, 99),
    ([1, 2, 3, 1000], 99, 1000),
])
def test_percentile(values, pct, expected):
    assert _mcp.percentile(values, pct) == expected


def test_summary_and_thresholds():
    stats = _mcp.summarize([float(v) for v in range(1, 101)], failures=1, wall_s=0.5, concurrency=4)
    assert stats["requests"] == 101 and stats["successes"] == 100 and stats["failures"] == 1
    assert stats["success_ratio"] == round(100 / 101, 6)
    assert (stats["p50_ms"], stats["p95_ms"], stats["p99_ms"]) == (50.0, 95.0, 99.0)
    assert stats["rps"] == 202.0
    assert _mcp.load_problems(stats, {"min_success_ratio": 0.99, "max_p50_ms": 50, "max_p99_ms": 100}) == []
    problems = _mcp.load_problems(stats, {"min_success_ratio": 0.999, "max_p50_ms": 10, "max_p95_ms": None, "max_p99_ms": 100})
    assert len(problems) == 2
    assert "below min_success_ratio 0.999 (1 of 101 calls failed)" in problems[0]
    assert "p50 latency 50.0 ms is above max_p50_ms 10" in problems[1]
    empty = _mcp.summarize([], failures=3, wall_s=0.1, concurrency=1)
    assert empty["success_ratio"] == 0 and empty["p50_ms"] is None
    assert any("unknown" in p for p in _mcp.load_problems(empty, {"max_p99_ms": 100}))


# ---------------------------------------------------------------------------------------------
# The client over a scripted transport


class Scripted:
    """One HTTP answer: status, headers and the body in the chunks the server would send."""

    def __init__(self, status=200, headers=None, chunks=(), endless=False):
        self.status = status
        self.headers = headers or {}
        self.chunks = list(chunks)
        self.endless = endless
        self.closed = False
        self.reads = 0

    def read(self, size):
        self.reads += 1
        if self.chunks:
            return self.chunks.pop(0)
        if self.endless:
            raise AssertionError("read past the response on a stream that never ends")
        return b""

    def close(self):
        self.closed = True


def sse(*messages, priming=False):
    out = b"id: 0\ndata: \nretry: 100\n\n" if priming else b""
    for message in messages:
        out += b"event: message\r\ndata: " + json.dumps(message).encode() + b"\r\n\r\n"
    return out


def ok(request_id, result):
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


class Transport:
    def __init__(self, handler):
        self.handler = handler
        self.sent: list[dict] = []

    def __call__(self, method, url, headers, body, timeout):
        request = {"method": method, "url": url, "headers": headers, "body": json.loads(body) if body else None}
        self.sent.append(request)
        answer = self.handler(request)
        if isinstance(answer, Exception):
            raise answer
        return answer


def init_result(version="2025-11-25"):
    return {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": {"name": "s", "version": "1"}}


def stateful(request, version="2025-11-25", tools_pages=None):
    body = request["body"]
    if request["method"] == "DELETE":
        return Scripted(405)
    if body.get("method") == "initialize":
        return Scripted(200, {"Content-Type": "text/event-stream", "Mcp-Session-Id": "abc"}, [sse(ok(body["id"], init_result(version)))])
    if "id" not in body:
        return Scripted(202)
    if body["method"] == "tools/list":
        pages = tools_pages or [{"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}]
        cursor = (body.get("params") or {}).get("cursor")
        return Scripted(200, {"content-type": "application/json"}, [json.dumps(ok(body["id"], pages[int(cursor or 0)])).encode()])
    raise AssertionError(body)


def test_handshake_headers_session_and_negotiated_version():
    transport = Transport(lambda r: stateful(r, version="2025-06-18"))
    client = _mcp.McpClient(transport, "http://h/mcp", headers={"Host": "petstore"})
    summary = client.open("2025-11-25")
    tools = client.list_tools()
    status = client.delete_session()
    assert summary["protocol_version"] == "2025-06-18"
    assert summary["session"] == {"id": "abc", "used": True, "stateless": False}
    assert [t["name"] for t in tools] == ["t"] and status == 405
    init, initialized, listing, delete = transport.sent
    assert init["body"]["params"]["protocolVersion"] == "2025-11-25"
    assert init["headers"]["Accept"] == "application/json, text/event-stream"
    assert init["headers"]["Content-Type"] == "application/json"
    assert "Mcp-Session-Id" not in init["headers"] and "MCP-Protocol-Version" not in init["headers"]
    assert initialized["body"] == {"jsonrpc": "2.0", "method": "notifications/initialized"}
    for later in (initialized, listing, delete):
        assert later["headers"]["Mcp-Session-Id"] == "abc"
        assert later["headers"]["MCP-Protocol-Version"] == "2025-06-18"
        assert later["headers"]["Host"] == "petstore"
    assert delete["method"] == "DELETE" and delete["body"] is None


def test_tools_list_follows_next_cursor_and_stops_on_a_cycle():
    pages = [{"tools": [{"name": "a"}], "nextCursor": "1"}, {"tools": [{"name": "b"}], "nextCursor": "2"}, {"tools": [{"name": "c"}]}]
    transport = Transport(lambda r: stateful(r, tools_pages=pages))
    client = _mcp.McpClient(transport, "http://h/mcp")
    client.open()
    assert [t["name"] for t in client.list_tools()] == ["a", "b", "c"]
    assert [r["body"]["params"].get("cursor") for r in transport.sent if r["body"].get("method") == "tools/list"] == [None, "1", "2"]
    looping = [{"tools": [], "nextCursor": "1"}, {"tools": [], "nextCursor": "1"}]
    client = _mcp.McpClient(Transport(lambda r: stateful(r, tools_pages=looping)), "http://h/mcp")
    client.open()
    with pytest.raises(_mcp.McpError, match="pagination does not end"):
        client.list_tools()


def test_stream_response_picked_by_id_after_notifications_and_reading_stops_there():
    answers = {}

    def handler(request):
        body = request["body"]
        if body.get("method") != "tools/call":
            return stateful(request)
        rid = body["id"]
        stream = sse(
            {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "step 1"}},
            {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p", "progress": 1}},
            {"jsonrpc": "2.0", "id": "srv-1", "method": "ping"},
            ok(rid + 100, {"content": []}),
            ok(rid, {"content": [{"type": "text", "text": "[1, 2]"}], "isError": False}),
            priming=True,
        )
        # Split mid-event, and a stream that never ends after the response.
        answers["call"] = Scripted(200, {"Content-Type": "text/event-stream; charset=utf-8"}, [stream[:50], stream[50:]], endless=True)
        return answers["call"]

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    client.open()
    rows = _mcp.run_calls(client, [{"name": "x", "arguments": {"a": 1}, "expect": "length(@) == `2`"}])
    assert rows[0]["passed"], rows
    assert rows[0]["data"] == [1, 2]
    assert answers["call"].closed and answers["call"].reads == 2
    assert client.notifications == {"notifications/message": 1, "notifications/progress": 1}
    assert client.server_requests == ["ping"] and client.priming_events == 1


@pytest.mark.parametrize("answer, words", [
    (Scripted(500, {"Content-Type": "text/html"}, [b"<html><body>Internal Server Error</body></html>"]),
     "expected HTTP 200 with application/json or text/event-stream (got HTTP 500, content-type text/html, body '<html>"),
    (Scripted(200, {"Content-Type": "text/html"}, [b"<html>login</html>"]), "expected content-type application/json or text/event-stream"),
    (Scripted(200, {}, [b"{}"]), "content-type (none)"),
    (Scripted(200, {"Content-Type": "application/json"}, [b"not json"]), "expected a JSON-RPC response with id 1"),
    (Scripted(200, {"Content-Type": "text/event-stream"}, [b"data: {not json\n\n"]), "an SSE event's data is not JSON"),
    (Scripted(200, {"Content-Type": "text/event-stream"}, [b": only a comment\n\n"]), "the event stream ended without the response to request id 1"),
    (Scripted(200, {"Content-Type": "application/json"}, [b"[" + b" " * 5000 + b"]"]), "larger than max_response_bytes (2048)"),
    (Scripted(200, {"Content-Type": "text/event-stream"}, [b": pad\n\n" * 600], endless=True), "passed max_response_bytes (2048)"),
    (Scripted(307, {"Location": "http://h/mcp"}, [b""]), "redirects to http://h/mcp"),
    (Scripted(406, {"Content-Type": "application/json"}, [b'{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Not Acceptable"}}']),
     "HTTP 406"),
    (_mcp.TransportError("[Errno 111] Connection refused"), "no HTTP answer from http://h/mcp: [Errno 111] Connection refused"),
])
def test_failures_say_which_step_and_what_came_back(answer, words):
    client = _mcp.McpClient(Transport(lambda r: answer), "http://h/mcp", max_response_bytes=2048)
    with pytest.raises(_mcp.McpError) as info:
        client.open("2025-11-25")
    assert str(info.value).startswith("initialize: "), str(info.value)
    assert words in str(info.value), str(info.value)


def test_a_jsonrpc_error_with_an_error_status_is_a_call_failure_not_a_crash():
    def handler(request):
        body = request["body"]
        if body.get("method") == "tools/call":
            return Scripted(404, {"Content-Type": "application/json"},
                            [json.dumps({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": "nope"}}).encode()])
        return stateful(request)

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    client.open()
    rows = _mcp.run_calls(client, [{"name": "x"}])
    assert not rows[0]["passed"] and rows[0]["problem"] == "JSON-RPC error -32601: nope"


def test_session_id_only_from_a_successful_initialize():
    def handler(request):
        return Scripted(400, {"Content-Type": "application/json", "Mcp-Session-Id": "fresh"},
                        [b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Bad Request"}}'])

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    with pytest.raises(_mcp.McpError, match="Bad Request"):
        client.open()
    assert client.session_id is None


def test_notification_must_be_accepted():
    def handler(request):
        if "id" not in request["body"]:
            return Scripted(400, {"Content-Type": "text/plain"}, [b"no"])
        return stateful(request)

    with pytest.raises(_mcp.McpError, match=r"^notifications/initialized: expected HTTP 202 Accepted"):
        _mcp.McpClient(Transport(handler), "http://h/mcp").open()


def modern(request):
    body = request["body"]
    meta = body["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    assert "io.modelcontextprotocol/clientCapabilities" in meta
    assert request["headers"]["MCP-Protocol-Version"] == "2026-07-28"
    assert request["headers"]["Mcp-Method"] == body["method"]
    if body["method"] == "server/discover":
        result = {"supportedVersions": ["2025-11-25", "2026-07-28"], "capabilities": {},
                  "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "m", "version": "2"}}, "resultType": "complete"}
    elif body["method"] == "tools/call":
        assert request["headers"]["Mcp-Name"] == body["params"]["name"]
        result = {"content": [{"type": "text", "text": '"ok"'}], "resultType": "complete"}
    else:
        result = {"tools": [{"name": "t"}], "ttlMs": 0}
    return Scripted(200, {"Content-Type": "application/json"}, [json.dumps(ok(body["id"], result)).encode()])


@pytest.mark.parametrize("version", ["2026-07-28", "auto"])
def test_stateless_revision(version):
    transport = Transport(modern)
    client = _mcp.McpClient(transport, "http://h/mcp")
    summary = client.open(version)
    assert summary["protocol_version"] == "2026-07-28" and summary["server_info"]["name"] == "m"
    assert summary["session"] == {"id": None, "used": False, "stateless": True}
    assert [t["name"] for t in client.list_tools()] == ["t"]
    assert _mcp.run_calls(client, [{"name": "t", "expect": "@ == 'ok'"}])[0]["passed"]
    assert client.delete_session() is None
    assert all("Mcp-Session-Id" not in r["headers"] for r in transport.sent)


def test_auto_falls_back_to_initialize_and_explicit_stateless_explains():
    def handler(request):
        if request["body"].get("method") == "server/discover":
            return Scripted(400, {"Content-Type": "application/json"},
                            [b'{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}'])
        assert "Mcp-Method" not in request["headers"]
        return stateful(request)

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    assert client.open("auto")["protocol_version"] == "2025-11-25"
    with pytest.raises(_mcp.McpError, match="does not seem to speak the stateless revision"):
        _mcp.McpClient(Transport(handler), "http://h/mcp").open("2026-07-28")


def test_auto_does_not_fall_back_when_nothing_answers():
    transport = Transport(lambda r: _mcp.TransportError("refused"))
    with pytest.raises(_mcp.McpUnreachable):
        _mcp.McpClient(transport, "http://h/mcp").open("auto")
    assert len(transport.sent) == 1


def test_user_headers_may_replace_accept_but_not_protocol_headers():
    transport = Transport(stateful)
    client = _mcp.McpClient(transport, "http://h/mcp", headers={"accept": "*/*", "mcp-session-id": "mine"})
    client.open()
    client.list_tools()
    assert transport.sent[-1]["headers"]["accept"] == "*/*"
    assert transport.sent[-1]["headers"]["Mcp-Session-Id"] == "abc"


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_retries_until_success():
    clock = Clock()
    outcomes = [_mcp.McpError("initialize", "refused"), _mcp.McpError("initialize", "503", 503), "done"]

    def attempt():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert _mcp.wait_for(attempt, 10, clock=clock, sleep=clock.sleep) == ("done", 3)
    assert clock.sleeps == [0.5, 1.0]


def test_wait_for_reports_the_last_error_at_the_deadline():
    clock = Clock()
    count = {"n": 0}

    def attempt():
        count["n"] += 1
        raise _mcp.McpError("initialize", f"failure {count['n']}")

    with pytest.raises(_mcp.McpError) as info:
        _mcp.wait_for(attempt, 5, clock=clock, sleep=clock.sleep)
    assert clock.now == 5 and info.value.attempts == count["n"] > 2
    assert f"failure {count['n']} [still failing after {count['n']} attempts over wait_timeout 5 s]" in str(info.value)
    with pytest.raises(_mcp.McpError) as once:
        _mcp.wait_for(attempt, 0, clock=clock, sleep=clock.sleep)
    assert "still failing" not in str(once.value)


def test_load_over_a_session():
    def handler(request):
        body = request["body"]
        if body.get("method") == "tools/call":
            if body["params"]["arguments"].get("fail"):
                return Scripted(200, {"Content-Type": "application/json"},
                                [json.dumps(ok(body["id"], {"content": [{"type": "text", "text": "x"}], "isError": True})).encode()])
            return Scripted(200, {"Content-Type": "application/json"},
                            [json.dumps(ok(body["id"], {"content": [{"type": "text", "text": "[1]"}]})).encode()])
        return stateful(request)

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    client.open()
    stats, failures = _mcp.run_load(client, "t", {}, 40, 4, expect="length(@) == `1`")
    assert stats["requests"] == 40 and stats["successes"] == 40 and stats["concurrency"] == 4 and failures == []
    assert stats["p50_ms"] is not None and stats["p99_ms"] >= stats["p50_ms"]
    stats, failures = _mcp.run_load(client, "t", {"fail": True}, 5, 10)
    assert stats["success_ratio"] == 0 and stats["concurrency"] == 5
    assert failures == ["the tool reported isError: true: x"]
