# SPDX-License-Identifier: GPL-3.0-or-later
"""_mcp's judgement of answers and its guards against hostile input, table-driven.

What an answer's data is (plain text has none), outputSchema / schema / expect, the load's pool,
status counts and failure reasons, numeric options refused by name, header values, credential header
names, strict JSON-RPC ids, invalid UTF-8 and deep JSON, and the deadline across wait_timeout.
"""
from __future__ import annotations

import json
import math
import threading

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp, _mcp_http
from test_mcp_logic import Clock, Scripted, Transport, ok, sse, stateful

PETS_SCHEMA = {"type": "array", "minItems": 1,
               "items": {"type": "object", "required": ["id", "name", "status"], "properties": {"status": {"const": "available"}}}}
PETS = [{"id": 1, "name": "Cat 1", "status": "available"}]
SEED = "length(@) > `0` && length([?status != 'available']) == `0`"


def text(*texts, **extra):
    return {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": t} for t in texts], **extra}}


@pytest.mark.parametrize("result, data, source, problem", [
    ({"content": [{"type": "text", "text": "Internal Server Error"}]}, None, "plain text", "plain text, not JSON: 'Internal Server Error'"),
    ({"content": [{"type": "text", "text": "<html><h1>502</h1></html>"}]}, None, "plain text", "plain text"),
    ({"content": [{"type": "text", "text": "Pet not found"}]}, None, "plain text", "'Pet not found'"),
    ({"content": [{"type": "text", "text": '{"code":400,"message":"Input error: x"}'}]}, {"code": 400, "message": "Input error: x"}, "json text", None),
    ({"content": [{"type": "text", "text": "[1]"}, {"type": "text", "text": "oops"}]}, None, "plain text", "'oops'"),
    ({"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}}, {"result": 5}, "structuredContent", None),
    ({"content": []}, [], "content", None),
    ({}, None, "none", None),
    ("not an object", None, "none", "not an object"),
])
def test_answer_data(result, data, source, problem):
    got, got_source, got_problem = _mcp.answer_data(result)
    assert (got, got_source) == (data, source)
    assert (got_problem is None) if problem is None else (problem in got_problem)


@pytest.mark.parametrize("answer, expect, schema, words", [
    # The seed's expectation must not pass on the 500 text (length("Internal Server Error") > 0 would).
    (text("Internal Server Error"), "length(@) > `0`", None, "plain text, not JSON: 'Internal Server Error'"),
    (text("Internal Server Error"), None, PETS_SCHEMA, "plain text, not JSON"),
    (text("<!DOCTYPE html><html>Bad Gateway</html>"), SEED, PETS_SCHEMA, "plain text"),
    (text('{"code":400,"message":"Input error: query parameter status"}'), None, PETS_SCHEMA, "is not of type 'array' at $"),
    (text("[]"), None, PETS_SCHEMA, "[] should be non-empty"),
    (text(json.dumps(PETS + [{"id": 2, "name": "Lion", "status": "sold"}])), None, PETS_SCHEMA, "'available' was expected at $[1].status"),
    (text(json.dumps([{"id": 2, "status": "available"}])), None, PETS_SCHEMA, "'name' is a required property at $[0]"),
    (text("Error executing get_pet: NetworkError when attempting to fetch resource."), None, None, "error text (and no isError)"),
    (text(json.dumps(PETS)), "length(@) > `1`", None, "gave false (not truthy)"),
])
def test_the_judge_fails_what_the_tool_did_not_promise(answer, expect, schema, words):
    problem, _details = _mcp.Judge(expect, schema)(answer)
    assert problem is not None and words in problem, problem


def test_the_judge_passes_good_answers_and_reports_what_judged():
    judge = _mcp.Judge(SEED, PETS_SCHEMA)
    problem, details = judge(text(json.dumps(PETS)))
    assert problem is None and details["data"] == PETS and details["expect_value"] is True
    assert judge.judged_by == ["expect", "schema"]
    assert _mcp.Judge()(text("anything at all"))[0] is None  # nothing to judge by: transport and error signals only
    assert _mcp.Judge().judged_by == []


OUTPUT = {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}}


@pytest.mark.parametrize("result, words", [
    ({"content": [{"type": "text", "text": "{}"}], "structuredContent": {"count": 3}}, None),
    ({"content": [{"type": "text", "text": "{}"}], "structuredContent": {"count": "three"}},
     "does not match the tool's declared outputSchema: 'three' is not of type 'integer' at $.count"),
    ({"content": [{"type": "text", "text": '{"count": 3}'}]}, "declares an outputSchema but the result has no structuredContent"),
])
def test_a_declared_output_schema_is_always_enforced(result, words):
    tools = [{"name": "count_pets", "outputSchema": OUTPUT}]
    problem, _details = _mcp.judge_for(tools, "count_pets")({"jsonrpc": "2.0", "id": 1, "result": result})
    assert problem is None if words is None else words in problem


def test_a_broken_output_schema_from_the_server_fails_the_call_not_the_module():
    judge = _mcp.judge_for([{"name": "t", "outputSchema": {"type": 12}}], "t")
    problem, _details = judge(text("{}", structuredContent={}))
    assert "the tool's declared outputSchema is not a valid JSON Schema" in problem
    deep: dict = {}
    for _level in range(200):
        deep = {"properties": {"a": deep}}
    assert "nests deeper than 64" in _mcp.judge_for([{"name": "t", "outputSchema": deep}], "t")(text("{}", structuredContent={}))[0]


@pytest.mark.parametrize("schema, words", [
    ({"type": "no-such-type"}, "calls[0].schema is not a valid JSON Schema"),
    ({"minItems": "two"}, "is not a valid JSON Schema"),
    ([1, 2], "must be a JSON Schema object"),
])
def test_user_schemas_are_checked_up_front(schema, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        _mcp.Judge(None, schema, where="calls[0].schema")


# ---------------------------------------------------------------------------------------------
# Numbers, headers, ids, JSON


@pytest.mark.parametrize("name, value, words", [
    ("timeout", float("nan"), "timeout must be a number, got NaN"),
    ("timeout", float("inf"), "timeout must be finite"),
    ("timeout", 0, "timeout must be above 0"),
    ("timeout", 1e300, "timeout must be at most 3600, got 1e+300"),
    ("wait_timeout", -1.0, "wait_timeout must be at least 0, got -1"),
    ("wait_timeout", float("-inf"), "wait_timeout must be finite"),
    ("max_response_bytes", 1023, "must be at least 1024"),
    ("load.requests", 0, "load.requests must be at least 1"),
    ("load.concurrency", 100000, "load.concurrency must be at most 64, got 100000"),
    ("load.min_success_ratio", float("nan"), "load.min_success_ratio must be a number, got NaN"),
    ("load.min_success_ratio", 1.0001, "at most 1"),
    ("load.max_p50_ms", 0.0, "load.max_p50_ms must be above 0"),
    ("load.max_p99_ms", True, "must be a number"),
    ("load.max_p95_ms", "10", "must be a number"),
])
def test_numbers_are_refused_by_name(name, value, words):
    assert words in _mcp.number_problem(name, value)


@pytest.mark.parametrize("name, value", [("timeout", 0.001), ("timeout", 3600), ("wait_timeout", 0), ("load.concurrency", 64),
                                         ("load.min_success_ratio", 0), ("load.min_success_ratio", 1), ("load.max_p99_ms", None)])
def test_numbers_at_their_bounds_are_accepted(name, value):
    assert _mcp.number_problem(name, value) is None


def test_every_numeric_option_has_bounds():
    assert set(_mcp.NUMBER_BOUNDS) == {"timeout", "wait_timeout", "max_response_bytes", "load.requests", "load.concurrency",
                                       "load.min_success_ratio", "load.max_p50_ms", "load.max_p95_ms", "load.max_p99_ms"}
    assert _mcp.NUMBER_BOUNDS["load.concurrency"][1] == _mcp.MAX_CONCURRENCY == 64


@pytest.mark.parametrize("name, value, words", [
    ("X-A", "a\r\nX-Injected: 1", "control character (0x0d, position 1)"),
    ("X-A", "a\nb", "0x0a"),
    ("X-A", "a\x00b", "0x00"),
    ("X-A", "a\x7f", "0x7f"),
    ("X-A", "caf\u00e9\u20ac", "outside Latin-1"),
    ("Bad Name", "v", "not an HTTP token"),
    ("X:A", "v", "not an HTTP token"),
])
def test_header_values_with_control_characters_are_refused_and_not_echoed(name, value, words):
    problem = _mcp.header_problem(name, value)
    assert words in problem
    assert "Injected" not in problem and value not in problem


@pytest.mark.parametrize("name", ["X-A", "Host", "Accept"])
def test_plain_headers_are_fine(name):
    assert _mcp.header_problem(name, "value with\ttab and spaces") is None


@pytest.mark.parametrize("name, credential", [
    ("Authorization", True), ("proxy-authorization", True), ("Cookie", True), ("X-Api-Key", True),
    ("X-Auth-Token", True), ("X-Client-Secret", True), ("apikey", True), ("X-Upstream-Password", True),
    ("Host", False), ("Accept", False), ("X-Request-Id", False), ("X-Petstore-Backend-Mode", False),
])
def test_credential_header_names(name, credential):
    assert _mcp.is_credential_header(name) is credential


@pytest.mark.parametrize("found, ours, same", [(1, 1, True), (True, 1, False), (1.0, 1, False), ("1", 1, False),
                                               (None, 1, False), (False, 0, False), ("a", "a", True)])
def test_ids_match_in_type_and_value(found, ours, same):
    assert _mcp.same_id(found, ours) is same


@pytest.mark.parametrize("body, words", [
    (b"\xff\xfe", "not valid UTF-8 (byte 0xff at offset 0)"),
    (b'{"a": "\xc3\x28"}', "not valid UTF-8 (byte 0xc3 at offset 7)"),
    (b"[" * 100000 + b"]" * 100000, "nests deeper than 64 levels"),
    (b"[" * 65 + b"]" * 65, "nests deeper than 64 levels"),
    (b'{"a": NaN}', "NaN is not a JSON value"),
    (b'{"a": ["\\ud800"]}', "lone surrogate"),
    (b'{"\\udfff": 1}', "lone surrogate"),
    (b'{"a": Infinity}', "Infinity is not a JSON value"),
    (b"{broken", "not JSON"),
])
def test_decode_json_names_the_problem(body, words):
    with pytest.raises(_mcp.JsonProblem, match=words.replace("(", r"\(").replace(")", r"\)")):
        _mcp.decode_json(body)


def test_decode_json_accepts_64_levels():
    assert _mcp.decode_json(b"[" * 64 + b"]" * 64) is not None


def jsonrpc_server(answer_for_initialize: bytes, ctype="application/json", headers=None):
    def handler(request):
        if request["body"].get("method") == "initialize":
            return Scripted(200, {"Content-Type": ctype, **(headers or {})}, [answer_for_initialize])
        return stateful(request)
    return handler


@pytest.mark.parametrize("answer, ctype, words", [
    (b'{"jsonrpc":"2.0","id":true,"result":{}}', "application/json", "the answer is for id true (bool), not 1"),
    (b'{"jsonrpc":"2.0","id":1.0,"result":{}}', "application/json", "the answer is for id 1.0 (float), not 1"),
    (b'{"jsonrpc":"2.0","id":"1","result":{}}', "application/json", "the answer is for id 1 (str), not 1"),
    (sse({"jsonrpc": "2.0", "id": True, "result": {}}), "text/event-stream", "events seen: response to id true (bool)"),
    (b'{"jsonrpc":"2.0","id":1,"result":{"x":"\xff"}}', "application/json", "not valid UTF-8"),
    (b'event: message\ndata: {"x": "\xff"}\n\n', "text/event-stream", "an event-stream line is not valid UTF-8"),
    (b'data: ' + b"[" * 5000 + b"]" * 5000 + b"\n\n", "text/event-stream", "an SSE event: the answer's JSON nests deeper"),
])
def test_the_client_is_strict_about_ids_utf8_and_depth(answer, ctype, words):
    client = _mcp.McpClient(Transport(jsonrpc_server(answer, ctype)), "http://h/mcp")
    with pytest.raises(_mcp.McpError) as caught:
        client.open()
    assert words in str(caught.value)


def test_a_session_id_with_control_characters_is_refused_and_never_sent_back():
    transport = Transport(jsonrpc_server(json.dumps(ok(1, {"protocolVersion": "2025-11-25"})).encode(),
                                         headers={"Mcp-Session-Id": "abc\x01def"}))
    with pytest.raises(_mcp.McpError, match="holds characters outside visible ASCII"):
        _mcp.McpClient(transport, "http://h/mcp").open()
    assert len(transport.sent) == 1  # nothing more was sent, with or without it


@pytest.mark.parametrize("cursor, words", [({"page": 2}, "nextCursor must be a string; the server sent dict"),
                                           (2, "sent int 2"), ([1], "sent list")])
def test_a_cursor_of_the_wrong_type_is_an_error_not_a_crash(cursor, words):
    pages = [{"tools": [{"name": "t"}], "nextCursor": cursor}]
    client = _mcp.McpClient(Transport(lambda request: stateful(request, tools_pages=pages)), "http://h/mcp")
    client.open()
    with pytest.raises(_mcp.McpError, match=words):
        client.list_tools()


# ---------------------------------------------------------------------------------------------
# Deadlines


def test_wait_for_refuses_nan_and_infinite_timeouts():
    for value in (float("nan"), float("inf"), -1):
        with pytest.raises(ValueError, match="wait_timeout must be a finite number"):
            _mcp.wait_for(lambda: None, value)


def test_the_hard_deadline_caps_every_request():
    clock = Clock()
    seen: list[float] = []

    def send(method, url, headers, body, timeout):
        seen.append(round(timeout, 3))
        clock.now += 4  # each exchange takes 4 s
        return stateful({"method": method, "body": json.loads(body) if body else None, "headers": headers})

    client = _mcp.McpClient(send, "http://h/mcp", timeout=10, clock=clock)
    client.hard_deadline = 6.0
    client.open()
    assert seen == [6.0, 2.0]  # initialize got the 6 s left, notifications/initialized the 2 s after it
    with pytest.raises(_mcp.McpError, match="tools/list: not sent: the time for it ran out"):
        client.list_tools()
    client.hard_deadline = None
    client.list_tools()
    assert seen[-1] == 10.0


# ---------------------------------------------------------------------------------------------
# The load


def test_the_load_pool_is_fixed_and_accounts_statuses_and_reasons():
    lock = threading.Lock()
    live = {"now": 0, "max": 0}
    threads: set[int] = set()
    answers = iter(range(10**6))

    def handler(request):
        body = request["body"]
        if body.get("method") != "tools/call":
            return stateful(request)
        with lock:
            live["now"] += 1
            live["max"] = max(live["max"], live["now"])
            threads.add(threading.get_ident())
            number = next(answers)
        try:
            if number % 4 == 1:
                return Scripted(429, {"Content-Type": "text/plain"}, [b"Too Many Requests"])
            if number % 4 == 2:
                return Scripted(200, {"Content-Type": "application/json"},
                                [json.dumps(ok(body["id"], {"content": [{"type": "text", "text": "Internal Server Error"}]})).encode()])
            if number % 4 == 3:
                return _mcp.TransportError("Connection refused")
            return Scripted(200, {"Content-Type": "application/json"}, [json.dumps(ok(body["id"], {"content": [{"type": "text", "text": "[1]"}]})).encode()])
        finally:
            with lock:
                live["now"] -= 1

    client = _mcp.McpClient(Transport(handler), "http://h/mcp")
    client.open()
    stats, examples = _mcp.run_load(client, "t", {}, 400, 8, judge=_mcp.Judge("length(@) == `1`"))
    assert stats["requests"] == 400 and stats["successes"] == 100 and stats["concurrency"] == 8
    assert live["max"] <= 8 and len(threads) <= 8  # never more workers than asked, never one per request
    assert stats["status_counts"] == {"200": 200, "429": 100, "no_answer": 100}
    reasons = stats["failure_reasons"]
    assert [row["count"] for row in reasons] == [100, 100, 100]
    assert any("HTTP 429" in row["reason"] and "Too Many Requests" in row["reason"] for row in reasons)
    assert any("plain text, not JSON: 'Internal Server Error'" in row["reason"] for row in reasons)
    assert any("Connection refused" in row["reason"] for row in reasons)
    assert all("id N" in row["reason"] or " id " not in row["reason"] for row in reasons)
    assert len(stats["latency_samples_ms"]) == 100 and stats["judged_by"] == ["expect"]
    assert len(examples) <= 5


def test_the_load_never_uses_more_than_the_cap():
    client = _mcp.McpClient(Transport(stateful), "http://h/mcp")
    client.open()
    made: list[int] = []
    real = threading.Thread

    class Counting(real):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    def handler(request):
        body = request["body"]
        if body.get("method") == "tools/call":
            return Scripted(200, {"Content-Type": "application/json"}, [json.dumps(ok(body["id"], {"content": []})).encode()])
        return stateful(request)

    client.send = Transport(handler)
    threading.Thread = Counting
    try:
        stats, _examples = _mcp.run_load(client, "t", {}, 300, 100000)
    finally:
        threading.Thread = real
    assert stats["concurrency"] == _mcp.MAX_CONCURRENCY and len(made) == _mcp.MAX_CONCURRENCY


@pytest.mark.parametrize("texts, expected", [
    (["a", "b", "a", "c", "a", "b"], [{"reason": "a", "count": 3}, {"reason": "b", "count": 2}, {"reason": "c", "count": 1}]),
    ([str(n) for n in range(9)], [{"reason": str(n), "count": 1} for n in range(5)]),
    ([], []),
])
def test_top_reasons(texts, expected):
    assert _mcp.top_reasons(texts) == expected


def test_failure_reasons_blank_per_request_parts():
    one = _mcp.failure_reason("tools/call t: the event stream ended without the response to request id 17 (120 bytes)")
    two = _mcp.failure_reason("tools/call t: the event stream ended without the response to request id 4711 (3 bytes)")
    assert one == two and "request id N" in one


@pytest.mark.parametrize("count", [0, 5, 2000, 2001, 10000])
def test_latency_samples_are_bounded_and_spread(count):
    values = [float(n) for n in range(count)]
    samples = _mcp.sample(values)
    assert len(samples) == min(count, 2000)
    if count > 2000:
        assert samples[0] == 0.0 and samples[-1] >= count - count / 2000 - 1 and samples == sorted(samples)


def test_summary_refuses_nothing_and_stays_finite():
    stats = _mcp.summarize([1.0, 2.0], 2, 0.5, 2)
    assert stats["success_ratio"] == 0.5 and all(not isinstance(v, float) or math.isfinite(v) for v in stats.values())


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8080/v1/mcp", ("http", "127.0.0.1", 8080, "/v1/mcp")),
    ("HTTPS://mcp.example.com/mcp?x=1", ("https", "mcp.example.com", 443, "/mcp?x=1")),
    ("http://[::1]/", ("http", "::1", 80, "/")),
    ("http://localhost", ("http", "localhost", 80, "/")),
])
def test_split_url(url, expected):
    assert _mcp_http.split_url(url) == expected


@pytest.mark.parametrize("url, words", [
    ("file:///etc/passwd", "only http and https URLs are spoken, not file"),
    ("gopher://h/", "not gopher"),
    ("127.0.0.1:8080/mcp", "only http and https"),
    ("http://user:pw@h/mcp", "holds credentials"),
    ("http://h:99999/mcp", "port is not a number"),
    ("http:///mcp", "names no host"),
    ("http://h/mc p", "spaces or control characters"),
    ("http://h/\r\nX: y", "spaces or control characters"),
    ("", "empty"),
])
def test_split_url_refuses(url, words):
    with pytest.raises(ValueError, match=words):
        _mcp_http.split_url(url)


@pytest.mark.parametrize("raw, clean", [("\x1b[31mred\x1b[0m", "red"), ("a\x00b\x07c", "abc"), ("tab\tand\nline", "tab\tand\nline"),
                                        ("\x9bx", "x")])
def test_control_characters_and_ansi_are_stripped_from_messages(raw, clean):
    assert _mcp.control_free(raw) == clean
    assert "\x1b" not in _mcp.shorten({"name": raw}) and "\x1b" not in _mcp.shorten(raw)
