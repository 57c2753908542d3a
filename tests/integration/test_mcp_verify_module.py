# SPDX-License-Identifier: GPL-3.0-or-later
"""mcp_verify through ansible-playbook against real MCP servers (the official Python and TypeScript SDKs,
tests/peers) in each of their modes and every protocol revision they accept, and against misbehaving
HTTP endpoints for the error paths.

To keep the run short, one playbook holds many module tasks (``ignore_errors`` on each) and saves every
registered result to a JSON file, which the test then reads.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import run_module_tasks
from mcp_peers import HOST_HEADER, TS_READY, Doorstop, Misbehaving, Peer, free_port, start_all

pytestmark = [pytest.mark.slow, pytest.mark.peers]

HANDSHAKE = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
SEED_EXPECT = "length(@) > `0` && length([?status != 'available']) == `0`"
TOKEN = "s3cret-token-4711"


def run_tasks(tmp_path, tasks: dict[str, dict], *args: str, via: str = "module") -> tuple[object, dict]:
    """mcp_verify once per entry (registered under its key); see conftest.run_module_tasks."""
    return run_module_tasks(tmp_path, "mcpmesh.platform.mcp_verify", tasks, *args, via=via)


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    logs = tmp_path_factory.mktemp("peer-logs")
    wanted = {
        "py_sse": Peer("python", log_dir=logs),
        "py_json_stateless": Peer("python", "--stateless", "--json-response", log_dir=logs),
        "py_sse_stateless": Peer("python", "--stateless", log_dir=logs),
        "py_events": Peer("python", "--event-store", "--retry-ms", "1500", "--page-size", "3", "--filler", "4",
                          path="/v1/mcp", log_dir=logs),
        "py_host": Peer("python", "--json-response", "--allowed-host", HOST_HEADER, path="/v1/mcp", log_dir=logs),
        "py_token": Peer("python", "--stateless", "--json-response", "--token", TOKEN, log_dir=logs),
    }
    if TS_READY:
        wanted["ts_sse"] = Peer("ts", log_dir=logs)
        wanted["ts_json_stateless"] = Peer("ts", "--stateless", "--json-response", log_dir=logs)
    running = start_all(wanted)
    yield running
    for peer in running.values():
        peer.stop()


@pytest.fixture(scope="module")
def bad():
    with Misbehaving() as endpoints:
        yield endpoints


def matrix_tasks(url: str, versions: list[str], calls: list[dict], **extra) -> dict[str, dict]:
    return {
        "v_" + version.replace("-", "_"): {"url": url, "protocol_version": version, "calls": calls, "timeout": 10, **extra}
        for version in versions
    }


PY_CALLS = [
    {"name": "get_pet_find_by_status", "arguments": {"status": "available"}, "expect": SEED_EXPECT},
    {"name": "pet_summary", "arguments": {"status": "available"}, "expect": "count == `3` && contains(names, 'Dog 1')"},
    {"name": "add", "arguments": {"a": 2, "b": 3}, "expect": "result == `5`"},
    {"name": "chatty", "arguments": {"n": 3}, "expect": "contains(result, 'done after 3 steps')"},
]
PY_TOOLS = ["get_pet_find_by_status", "get_pet_pet_id", "get_store_inventory", "add", "pet_summary", "fail", "chatty"]


@pytest.mark.parametrize("mode, session, content_type", [
    ("py_sse", True, "text/event-stream"),
    ("py_json_stateless", False, "application/json"),
    ("py_sse_stateless", False, "text/event-stream"),
    ("py_events", True, "text/event-stream"),
])
def test_python_peer_every_revision(tmp_path, peers, mode, session, content_type):
    peer = peers[mode]
    versions = HANDSHAKE + ["2026-07-28", "auto"]
    _result, results = run_tasks(tmp_path, matrix_tasks(peer.url, versions, PY_CALLS, expected_tools=PY_TOOLS))
    for version in versions:
        res = results["v_" + version.replace("-", "_")]
        assert not res.get("failed"), (version, res.get("msg"), peer.output()[-3000:])
        assert res["changed"] is False
        assert res["server_info"] == {"name": "petstore-test", "version": "2.3.0-peer"}
        assert all(call["passed"] for call in res["calls"]), res["calls"]
        assert res["calls"][0]["data"][0]["status"] == "available"
        assert res["calls"][1]["data"] == {"status": "available", "count": 3, "names": ["Cat 1", "Cat 2", "Dog 1"]}
        steps = [row["step"] for row in res["exchanges"]]
        if version in HANDSHAKE:
            assert res["protocol_version"] == version
            assert res["session"]["used"] is session and res["session"]["stateless"] is False
            assert steps[:3] == ["initialize", "notifications/initialized", "tools/list"], steps
            assert res["exchanges"][1]["status"] == 202
            assert res["exchanges"][0]["content_type"] == content_type
            assert res["session"]["deleted"] == (200 if session else None)
            # Notifications travel only on event streams; a JSON answer holds the response alone.
            assert res["notifications"].get("notifications/progress") == (3 if content_type == "text/event-stream" else None)
            assert {"initialize_ms", "initialized_ms", "tools_list_ms", "calls_ms", "total_ms"} <= set(res["timings"])
        else:  # the SDK serves the stateless revision on the same endpoint, in every mode
            assert res["protocol_version"] == "2026-07-28"
            assert res["session"] == {"id": None, "used": False, "stateless": True, "deleted": None}
            assert steps[0] == "server/discover" and "initialize" not in steps
        names = [tool["name"] for tool in res["tools"]]
        assert set(PY_TOOLS) <= set(names)
        schema = next(tool for tool in res["tools"] if tool["name"] == "get_pet_find_by_status")["inputSchema"]
        assert schema["properties"]["status"]["type"] == "string"
        if mode == "py_events":
            assert len(names) == 11 and steps.count("tools/list") + sum("page" in s for s in steps) == 4, steps
            if version in ("2025-11-25",):
                assert res["priming_events"] > 0, res
        if mode == "py_sse" and version == "2025-11-25":
            assert res["notifications"] == {"notifications/message": 3, "notifications/progress": 3}


TS_CALLS = [
    {"name": "get_pet_find_by_status", "arguments": {"status": "available"}, "expect": SEED_EXPECT},
    {"name": "add", "arguments": {"a": 2, "b": 3}, "expect": "result == `5`"},
    {"name": "chatty", "arguments": {"n": 2}},
]


@pytest.mark.skipif(not TS_READY, reason="tests/peers/ts/node_modules is missing: run `npm ci --prefix tests/peers/ts`")
@pytest.mark.parametrize("mode, session", [("ts_sse", True), ("ts_json_stateless", False)])
def test_typescript_peer_every_revision(tmp_path, peers, mode, session):
    peer = peers[mode]
    tasks = matrix_tasks(peer.url, HANDSHAKE + ["auto"], TS_CALLS, expected_tools=["get_pet_find_by_status", "error_text"])
    tasks["modern"] = {"url": peer.url, "protocol_version": "2026-07-28"}
    tasks["failing_calls"] = {"url": peer.url, "calls": [
        {"name": "fail", "arguments": {"message": "kaboom"}},
        {"name": "error_text"},
        {"name": "no_such_tool"},
        {"name": "get_pet_find_by_status", "arguments": {"status": "sold"}, "expect": SEED_EXPECT},
    ]}
    _result, results = run_tasks(tmp_path, tasks)
    for version in HANDSHAKE + ["auto"]:
        res = results["v_" + version.replace("-", "_")]
        assert not res.get("failed"), (version, res.get("msg"), peer.output()[-3000:])
        assert res["server_info"]["name"] == "petstore-test-ts"
        assert res["protocol_version"] == ("2025-11-25" if version == "auto" else version)
        assert res["session"]["used"] is session
        assert res["calls"][1]["data"] == {"result": 5}
        assert res["notifications"].get("notifications/progress") == (2 if mode == "ts_sse" else None)
        if version == "auto":  # TS SDK 1.32.2 does not speak 2026-07-28: discover fails, initialize follows
            assert [row["step"] for row in res["exchanges"]][:2] == ["server/discover", "initialize"]
    modern = results["modern"]
    assert modern["failed"] and "server/discover" in modern["msg"] and "stateless revision 2026-07-28" in modern["msg"]
    failing = results["failing_calls"]
    assert failing["failed"] and "found 4 problem(s)" in failing["msg"]
    msg = failing["msg"]
    assert "tools/call fail: the tool reported isError: true: kaboom" in msg
    assert "tools/call error_text: the tool answered with an error text (and no isError): Error executing error_text" in msg
    assert "tools/call no_such_tool: the tool reported isError: true: MCP error -32602: Tool no_such_tool not found" in msg
    assert "status != 'available'" in msg and '"status":"sold"' in msg
    assert [call["passed"] for call in failing["calls"]] == [False, False, False, False]


def test_expectations_errors_and_missing_tools_against_the_python_peer(tmp_path, peers):
    url = peers["py_sse"].url
    tasks = {
        "expect_fails": {"url": url, "calls": [
            {"name": "get_pet_find_by_status", "arguments": {"status": "sold"}, "expect": SEED_EXPECT},
            {"name": "pet_summary", "arguments": {"status": "pending"}, "expect": "count == `3`"},
            {"name": "add", "arguments": {"a": 1, "b": 1}, "expect": "result == `2`"},
        ]},
        "tool_raises": {"url": url, "calls": [{"name": "fail", "arguments": {"message": "kaboom"}}]},
        "unknown_tool": {"url": url, "calls": [{"name": "no_such_tool"}]},
        "bad_arguments": {"url": url, "calls": [{"name": "add", "arguments": {"a": "x"}}]},
        "missing_tools": {"url": url, "expected_tools": ["get_pet_find_by_status", "get_store_inventory", "post_pet", "get_user_login"]},
        "bad_expression": {"url": url, "calls": [{"name": "add", "arguments": {"a": 1, "b": 1}, "expect": "length(@ >"}]},
    }
    _result, results = run_tasks(tmp_path, tasks)
    res = results["expect_fails"]
    assert res["failed"] and "found 2 problem(s)" in res["msg"], res["msg"]
    assert f"tools/call get_pet_find_by_status: expect {SEED_EXPECT!r} gave false (not truthy) against [" in res["msg"]
    assert "tools/call pet_summary: expect 'count == `3`' gave false" in res["msg"]
    assert '{"status":"pending","count":1,"names":["Lion 1"]}' in res["msg"]
    assert [call["passed"] for call in res["calls"]] == [False, False, True]
    assert "tools/call fail: the tool reported isError: true: Error executing tool fail" in results["tool_raises"]["msg"]
    assert "tools/call no_such_tool: the tool reported isError: true: Unknown tool: no_such_tool" in results["unknown_tool"]["msg"]
    assert "tools/call add: the tool reported isError: true:" in results["bad_arguments"]["msg"]
    missing = results["missing_tools"]
    assert missing["failed"] and "expected tool(s) post_pet, get_user_login missing; the server lists 7:" in missing["msg"]
    assert len(missing["tools"]) == 7
    assert results["bad_expression"]["failed"] and "calls[0].expect: 'length(@ >' is not a JMESPath expression" in results["bad_expression"]["msg"]
    assert "exchanges" not in results["bad_expression"]  # refused before any request


def test_connection_failures_against_real_servers(tmp_path, peers):
    py, host = peers["py_sse"], peers["py_host"]
    base = py.url.rsplit("/", 1)[0]
    tasks = {
        "wrong_path": {"url": base + "/nope"},
        "trailing_slash": {"url": py.url + "/"},
        "refused": {"url": f"http://127.0.0.1:{free_port()}/mcp"},
        "not_acceptable": {"url": py.url, "headers": {"Accept": "text/html"}},
        "no_host_header": {"url": host.url},
        "host_header": {"url": host.url, "headers": {"Host": HOST_HEADER}, "expected_tools": ["get_pet_find_by_status"],
                        "calls": [{"name": "get_pet_find_by_status", "arguments": {"status": "available"}, "expect": SEED_EXPECT}]},
    }
    _result, results = run_tasks(tmp_path, tasks)
    assert "initialize: expected HTTP 200 with application/json or text/event-stream (got HTTP 404" in results["wrong_path"]["msg"]
    assert "nothing answers MCP at this path" in results["wrong_path"]["msg"]
    assert "HTTP 307" in results["trailing_slash"]["msg"] and f"redirects to {py.url}" in results["trailing_slash"]["msg"]
    assert "initialize: no HTTP answer from" in results["refused"]["msg"] and "Connection refused" in results["refused"]["msg"]
    assert "HTTP 406" in results["not_acceptable"]["msg"] and "Not Acceptable" in results["not_acceptable"]["msg"]
    assert results["not_acceptable"]["error"]["status"] == 406
    no_host = results["no_host_header"]
    assert "HTTP 421" in no_host["msg"] and "body 'Invalid Host header'" in no_host["msg"] and "headers.Host" in no_host["msg"]
    assert no_host["error"] == {**no_host["error"], "step": "initialize", "status": 421, "body": "Invalid Host header"}
    assert not results["host_header"].get("failed"), results["host_header"]["msg"]


def test_misbehaving_endpoints_fail_clearly_and_in_time(tmp_path, bad):
    tasks = {
        "e500": {"url": bad.base + "/500"},
        "html": {"url": bad.base + "/html"},
        "plain": {"url": bad.base + "/plain"},
        "not_jsonrpc": {"url": bad.base + "/not-jsonrpc"},
        "malformed_sse": {"url": bad.base + "/malformed-sse"},
        "big": {"url": bad.base + "/big", "max_response_bytes": 65536},
        "big_stream": {"url": bad.base + "/big-stream", "max_response_bytes": 65536},
        "never": {"url": bad.base + "/never", "timeout": 1.5},
        "silent": {"url": bad.base + "/silent", "timeout": 1},
        "auth_missing": {"url": bad.base + "/auth"},
        "redirect": {"url": bad.base + "/redirect"},
        "open_after_answer": {"url": bad.base + "/open-after-answer", "timeout": 5, "calls": [{"name": "t"}]},
    }
    started = time.monotonic()
    _result, results = run_tasks(tmp_path, tasks)
    elapsed = time.monotonic() - started
    expected = {
        "e500": "HTTP 500, content-type text/html, body '<html><body><h1>500 Internal Server Error",
        "html": "expected content-type application/json or text/event-stream (got HTTP 200, content-type text/html, body '<!doctype html>",
        "plain": "content-type text/plain, body 'OK'",
        "not_jsonrpc": "expected a JSON-RPC response with id 1 (got HTTP 200, content-type application/json, body '{\"hello\": \"world\"}'",
        "malformed_sse": "an SSE event's data is not JSON (got HTTP 200, content-type text/event-stream, body '{this is not json'",
        "big": "larger than max_response_bytes (65536)",
        "big_stream": "passed max_response_bytes (65536) without the response to request id 1",
        "never": "the answer was not complete within timeout 1.5 s",
        "silent": "the answer was not complete within timeout 1 s",
        "auth_missing": "HTTP 401, content-type application/json, body '{\"error\": \"invalid_token\"}'). Hint: the server wants credentials",
        "redirect": "HTTP 307",
    }
    for key, words in expected.items():
        res = results[key]
        assert res["failed"] and res["msg"].startswith(f"MCP verification of {tasks[key]['url']} failed: initialize: "), (key, res["msg"])
        assert words in res["msg"], (key, res["msg"])
    opened = results["open_after_answer"]
    assert not opened.get("failed"), opened["msg"]
    assert opened["server_info"]["name"] == "open-stream" and opened["calls"][0]["passed"]
    # Twelve runs, two of them bounded by their 1-1.5 s timeouts, the open streams stopped at the answer.
    assert elapsed < 60, elapsed
    assert max(row["ms"] for row in opened["exchanges"]) < 2000, opened["exchanges"]
    assert all(headers.get("Accept") == "application/json, text/event-stream" for _path, headers in bad.requests)
    assert all("Origin" not in headers for _path, headers in bad.requests)


def test_bearer_token_reaches_the_server_and_stays_out_of_the_output(tmp_path, peers):
    peer = peers["py_token"]
    tasks = {
        "with_token": {"url": peer.url, "bearer_token": TOKEN, "calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]},
        "without_token": {"url": peer.url},
        "wrong_token": {"url": peer.url, "bearer_token": "not-it"},
    }
    result, results = run_tasks(tmp_path, tasks, "-v", via="playbook")
    assert not results["with_token"].get("failed"), results["with_token"]["msg"]
    assert results["with_token"]["calls"][0]["data"] == {"result": 3}
    for key in ("without_token", "wrong_token"):
        assert "HTTP 401" in results[key]["msg"] and "bearer_token" in results[key]["msg"], results[key]["msg"]
    assert "token-seen ok" in peer.output() and "token-seen wrong" in peer.output()
    assert TOKEN not in result.stdout + result.stderr
    assert TOKEN not in json.dumps(results)


def test_check_mode_runs_the_checks_and_changes_nothing(tmp_path, peers):
    url = peers["py_json_stateless"].url
    tasks = {"checked": {"url": url, "expected_tools": ["add"], "calls": [{"name": "add", "arguments": {"a": 1, "b": 1}}]},
             "failing": {"url": url, "expected_tools": ["post_pet"]}}
    result, results = run_tasks(tmp_path, tasks, "--check")
    assert results["checked"]["changed"] is False and results["checked"]["calls"][0]["data"] == {"result": 2}
    assert results["failing"]["failed"]  # check mode still checks
    assert result.localhost["changed"] == 0


def test_wait_timeout_retries_until_the_server_comes_up(tmp_path):
    door = Doorstop()
    peer = Peer("python", "--json-response", port=door.port, log_dir=tmp_path)
    box: dict = {}
    tasks = {"waited": {"url": peer.url, "wait_timeout": 60, "timeout": 5, "expected_tools": ["add"]}}
    runner = threading.Thread(target=lambda: box.update(out=run_tasks(tmp_path, tasks)))
    runner.start()
    try:
        # The module has tried (and been dropped) at least once before the server exists.
        assert door.knocked.wait(60), "the module never tried to connect"
        door.close()
        peer.start()
        runner.join(120)
    finally:
        door.close()
        peer.stop()
    assert not runner.is_alive()
    res = box["out"][1]["waited"]
    assert not res.get("failed"), res.get("msg")
    assert res["attempts"] >= 2 and res["server_info"]["name"] == "petstore-test"


def test_wait_timeout_reports_the_last_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    started = time.monotonic()
    _result, results = run_tasks(tmp_path, {"gave_up": {"url": url, "wait_timeout": 2, "timeout": 1}})
    res = results["gave_up"]
    assert res["failed"] and res["attempts"] >= 2
    assert "Connection refused" in res["msg"] and f"still failing after {res['attempts']} attempts over wait_timeout 2 s" in res["msg"]
    assert time.monotonic() - started < 30


def test_load_check_passes_and_fails_on_thresholds(tmp_path, peers):
    url = peers["py_json_stateless"].url
    sse_url = peers["py_sse"].url
    load = {"tool": "get_pet_find_by_status", "arguments": {"status": "available"}, "requests": 200, "concurrency": 8}
    tasks = {
        # Values as strings, as they come out of Jinja in the petstore role.
        "passes": {"url": url, "load": {**load, "expect": SEED_EXPECT, "min_success_ratio": "0.999", "max_p50_ms": "1000",
                                        "max_p95_ms": 2000, "max_p99_ms": "3000"}},
        "stateful": {"url": sse_url, "load": {**load, "requests": 50, "min_success_ratio": 1}},
        "too_slow": {"url": url, "load": {**load, "requests": 40, "max_p50_ms": 0.001, "max_p99_ms": 0.002}},
        "failing_tool": {"url": url, "load": {"tool": "fail", "requests": 10, "concurrency": 2, "min_success_ratio": 0.999}},
    }
    _result, results = run_tasks(tmp_path, tasks)
    passes = results["passes"]
    assert not passes.get("failed"), passes["msg"]
    figures = passes["load"]
    assert figures["requests"] == 200 and figures["successes"] == 200 and figures["success_ratio"] == 1.0
    assert figures["concurrency"] == 8 and figures["rps"] > 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert passes["timings"]["load_ms"] > 0
    assert not results["stateful"].get("failed") and results["stateful"]["load"]["successes"] == 50
    slow = results["too_slow"]
    assert slow["failed"] and "p50 latency" in slow["msg"] and "is above max_p50_ms 0.001" in slow["msg"]
    assert "max_p99_ms 0.002" in slow["msg"] and slow["load"]["success_ratio"] == 1.0
    failing = results["failing_tool"]
    assert failing["failed"] and "success ratio 0.0 is below min_success_ratio 0.999 (10 of 10 calls failed)" in failing["msg"]
    assert failing["load"]["failure_examples"] == ["the tool reported isError: true: Error executing tool fail"]
