# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests (hypothesis) over the MCP verifier's parsers and JSON-RPC matching.

Whatever bytes a server sends, split however the network splits them, nothing escapes but the
module's own error types: SseError from the event-stream parser, JsonProblem from decode_json,
McpError from the client. Judging any JSON answer never raises at all.
"""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp, _mcp_sse
from test_mcp_logic import Scripted, Transport, ok, stateful

# No example database: nothing is written into the checkout.
SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
# Messages shaped like JSON-RPC, with hostile values where the client looks.
IDS = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=3) | st.lists(st.integers(), max_size=2)
MESSAGES = st.fixed_dictionaries({"jsonrpc": st.just("2.0") | JSON, "id": IDS},
                                 optional={"result": JSON, "error": JSON, "method": st.text(max_size=10) | JSON, "params": JSON})
SSE_LINES = st.lists(st.sampled_from([b"data: ", b"data:", b"event: message", b"id: 7", b"id: \x00", b"retry: 100", b": ping",
                                      b"", b"data: {\"a\": 1}", b"retry: x", b"\xef\xbb\xbf", b"data: \xff", b"field"]) | st.binary(max_size=12),
                     max_size=20)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    pieces, last = [], 0
    for point in points + [len(data)]:
        pieces.append(data[last:point])
        last = point
    return [piece for piece in pieces if piece]


@SETTINGS
@given(st.binary(max_size=400), st.lists(st.integers(min_value=0), max_size=8))
def test_the_sse_parser_raises_nothing_but_sse_error(data, cuts):
    parser = _mcp_sse.SseParser()
    try:
        events = []
        for piece in chunked(data, cuts):
            events += parser.feed(piece)
        events += parser.close()
    except _mcp_sse.SseError:
        return
    assert all(isinstance(event.data, str) and isinstance(event.event, str) for event in events)


@SETTINGS
@given(SSE_LINES, st.sampled_from([b"\n", b"\r\n", b"\r"]), st.lists(st.integers(min_value=0), max_size=6))
def test_sse_events_do_not_depend_on_how_the_stream_is_split(lines, end, cuts):
    data = end.join(lines) + end + end
    try:
        whole = _mcp_sse.parse_all(data)
    except _mcp_sse.SseError:
        whole = "error"
    parser = _mcp_sse.SseParser()
    try:
        pieces = []
        for piece in chunked(data, cuts):
            pieces += parser.feed(piece)
        pieces += parser.close()
    except _mcp_sse.SseError:
        pieces = "error"
    assert pieces == whole


@SETTINGS
@given(st.binary(max_size=300))
def test_decode_json_raises_nothing_but_json_problem(data):
    try:
        value = _mcp.decode_json(data)
    except _mcp.JsonProblem:
        return
    assert not _mcp.json_depth_exceeds(value)


@SETTINGS
@given(JSON | st.lists(MESSAGES, max_size=3) | MESSAGES, st.integers(1, 3))
def test_jsonrpc_matching_takes_only_our_id_or_a_null_id_error(data, request_id):
    message, other = _mcp.McpClient._pick(data, request_id)
    if message is not None:
        found = message.get("id")
        assert _mcp.same_id(found, request_id) or (found is None and isinstance(message.get("error"), dict))
        assert found is not True or request_id is True
    assert other is None or isinstance(other, str)


@SETTINGS
@given(MESSAGES, st.sampled_from(["application/json", "text/event-stream"]), st.lists(st.integers(min_value=0), max_size=4))
def test_the_client_raises_nothing_but_mcp_error_for_any_message(message, ctype, cuts):
    body = json.dumps(message).encode()
    if ctype == "text/event-stream":
        body = b"event: message\ndata: " + body + b"\n\n"

    def handler(request):
        if request["body"].get("method") == "tools/call":
            return Scripted(200, {"Content-Type": ctype}, chunked(body, cuts))
        return stateful(request)

    client = _mcp.McpClient(Transport(handler), "http://h/mcp", timeout=5)
    client.open()
    try:
        answer = client.call_tool("t", {})
    except _mcp.McpError as exc:
        assert str(exc)
        return
    problem, _details = _mcp.Judge("length(@) > `0`", {"type": "array"})(answer)
    assert problem is None or isinstance(problem, str)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/event-stream", "text/html", ""]),
       st.integers(100, 599), st.lists(st.integers(min_value=0), max_size=4))
def test_the_client_raises_nothing_but_mcp_error_for_any_bytes(body, ctype, status, cuts):
    def handler(request):
        return Scripted(status, {"Content-Type": ctype}, chunked(body, cuts))

    client = _mcp.McpClient(Transport(handler), "http://h/mcp", timeout=5)
    try:
        client.open()
        client.list_tools()
    except _mcp.McpError as exc:
        assert str(exc) and len(str(exc)) < 2000


@SETTINGS
@given(JSON)
def test_tools_list_pages_of_any_shape(page):
    pages = [page if isinstance(page, dict) else {"tools": page}]

    def handler(request):
        body = request["body"]
        if body.get("method") == "tools/list":
            return Scripted(200, {"Content-Type": "application/json"}, [json.dumps(ok(body["id"], pages[0])).encode()])
        return stateful(request)

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    client.open()
    try:
        tools = client.list_tools()
    except _mcp.McpError:
        return
    assert all(isinstance(tool, dict) for tool in tools)


@SETTINGS
@given(JSON, JSON)
def test_judging_any_answer_never_raises(result, output_schema):
    message = {"jsonrpc": "2.0", "id": 1, "result": result}
    tools = [{"name": "t", "outputSchema": output_schema}]
    for judge in (_mcp.Judge(), _mcp.Judge("a.b[0]", {"type": "object"}), _mcp.judge_for(tools, "t")):
        problem, details = judge(message)
        assert problem is None or isinstance(problem, str)
        assert details["data_source"] in ("structuredContent", "json text", "plain text", "content", "none")


@SETTINGS
@given(st.sampled_from(sorted(_mcp.NUMBER_BOUNDS)), st.floats() | st.integers() | st.booleans() | st.text(max_size=5) | st.none())
def test_number_checks_never_raise(name, value):
    problem = _mcp.number_problem(name, value)
    assert problem is None or problem.startswith(name)


@SETTINGS
@given(st.text(max_size=20), st.text(max_size=40))
def test_header_checks_never_raise_and_never_quote_the_value(name, value):
    problem = _mcp.header_problem(name, value)
    if problem is not None and len(value) > 3 and value not in name:
        assert value not in problem.split("header ", 1)[-1]
