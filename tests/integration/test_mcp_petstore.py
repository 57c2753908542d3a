# SPDX-License-Identifier: GPL-3.0-or-later
"""Answers are judged, always: mcp_verify against a server that answers like the real Petstore MCP server.

tests/peers/petstore_server.py (official Python SDK; stateless, SSE, the 19 tools, the backend's body
returned as ordinary text whatever its status, no outputSchema) with its backend's failure mode picked
per task through its ``X-Petstore-Backend-Mode`` header. Healthy passes; 500, HTML, an empty list,
pets of the wrong status, the backend down and "every second answer fails" each fail, for the calls
and for the load check, and the message names the reason. A second instance with a rate limit (429
beyond 40 requests in its window) proves the load's ``status_counts``.
"""
from __future__ import annotations


import pytest

from conftest import run_module_tasks
from mcp_peers import PetstorePeer

pytestmark = [pytest.mark.slow, pytest.mark.peers]

# The petstore role's default judgement of get_pet_find_by_status: a list of pets, each with id, name and
# status available.
PETS_SCHEMA = {"type": "array", "minItems": 1,
               "items": {"type": "object", "required": ["id", "name", "status"],
                         "properties": {"status": {"const": "available"}}}}
SEED_EXPECT = "length(@) > `0` && length([?status != 'available']) == `0`"
FIND = {"name": "get_pet_find_by_status", "arguments": {"status": "available"}}
LOAD = {"tool": "get_pet_find_by_status", "arguments": {"status": "available"}, "requests": 20, "concurrency": 4,
        "min_success_ratio": 0.99}


def run_tasks(tmp_path, tasks: dict[str, dict], *args: str, via: str = "module") -> tuple[object, dict]:
    """mcp_verify once per entry (registered under its key); see conftest.run_module_tasks."""
    return run_module_tasks(tmp_path, "mcpmesh.platform.mcp_verify", tasks, *args, via=via)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    logs = tmp_path_factory.mktemp("petstore-logs")
    running = {"plain": PetstorePeer(log_dir=logs),
               "limited": PetstorePeer("--rate-limit", "40", "--rate-window", "600", log_dir=logs)}
    for server in running.values():
        server.start()
    for server in running.values():
        server.wait_listening()
    yield running
    for server in running.values():
        server.stop()


def mode_task(url: str, mode: str, **extra) -> dict:
    return {"url": url, "headers": {"X-Petstore-Backend-Mode": mode}, **extra}


# mode: (what the call's problem says, what the load's first failure reason says)
FAILING = {
    "500": "the answer is plain text, not JSON: 'Internal Server Error'",
    "html": "the answer is plain text, not JSON: '<!DOCTYPE html> <html><head><title>502 Bad Gateway</title>",
    "empty": "the data does not match schema: [] should be non-empty at $",
    "wrong-status": "the data does not match schema: 'available' was expected at $[",
    "down": "the answer is plain text, not JSON: 'Error executing get_pet_find_by_status: NetworkError when attempting to fetch resource.'",
}


def test_every_backend_failure_fails_the_calls_and_the_load_and_names_the_reason(tmp_path, servers):
    url = servers["plain"].url
    call = {**FIND, "schema": PETS_SCHEMA}
    tasks = {"healthy": mode_task(url, "healthy", expected_tools=["get_pet_find_by_status", "post_pet"], calls=[call],
                                  load=LOAD)}
    for mode in FAILING:
        # The load has no expect/schema of its own: it is judged like the call of the same tool and arguments.
        tasks["mode_" + mode.replace("-", "_")] = mode_task(url, mode, calls=[call], load=LOAD)
    # The seed's expectation alone, on the 500 text: `length(@) > 0` must not pass on "Internal Server Error".
    tasks["expect_on_500"] = mode_task(url, "500", calls=[{**FIND, "expect": SEED_EXPECT}],
                                       load={**LOAD, "expect": SEED_EXPECT, "requests": 5})
    # Every second answer of the backend fails: of two calls exactly one, of 20 load calls exactly 10.
    tasks["flaky"] = mode_task(url, "flaky", calls=[call, call], load={**LOAD, "schema": PETS_SCHEMA})
    # A load judged by nothing counts the 500 text as success: the module warns that it only measures transport.
    tasks["transport_only"] = mode_task(url, "500", load={**LOAD, "requests": 5})
    result, results = run_tasks(tmp_path, tasks, via="playbook")  # the warning as the user sees it, on stderr

    healthy = results["healthy"]
    assert not healthy.get("failed"), healthy["msg"]
    assert len(healthy["tools"]) == 19 and healthy["calls"][0]["passed"] and healthy["calls"][0]["judged_by"] == ["schema"]
    assert healthy["calls"][0]["data_source"] == "json text" and healthy["calls"][0]["data"][0]["status"] == "available"
    figures = healthy["load"]
    assert figures["successes"] == 20 and figures["status_counts"] == {"200": 20} and figures["failure_reasons"] == []
    assert figures["judged_by"] == ["schema"] and len(figures["latency_samples_ms"]) == 20

    for mode, words in FAILING.items():
        res = results["mode_" + mode.replace("-", "_")]
        assert res["failed"], mode
        assert not res["calls"][0]["passed"] and words in res["calls"][0]["problem"], (mode, res["calls"][0]["problem"])
        assert f"tools/call get_pet_find_by_status: {words}"[:60] in res["msg"], (mode, res["msg"])
        load = res["load"]
        assert load["failures"] == 20 and load["success_ratio"] == 0.0, (mode, load)
        assert load["status_counts"] == {"200": 20}, (mode, load)  # HTTP is fine: only the answers are wrong
        assert load["failure_reasons"][0]["count"] == 20 and words in load["failure_reasons"][0]["reason"], (mode, load)
        assert "success ratio 0.0 is below min_success_ratio 0.99" in res["msg"] and "20 x " in res["msg"], (mode, res["msg"])

    on_500 = results["expect_on_500"]
    assert on_500["failed"] and on_500["calls"][0]["data"] is None and on_500["calls"][0]["data_source"] == "plain text"
    assert "plain text, not JSON: 'Internal Server Error'; expect and schema judge JSON data" in on_500["calls"][0]["problem"]
    assert on_500["load"]["failures"] == 5

    flaky = results["flaky"]
    assert flaky["failed"] and sorted(call["passed"] for call in flaky["calls"]) == [False, True]
    assert flaky["load"]["failures"] == 10 and flaky["load"]["successes"] == 10
    assert flaky["load"]["failure_reasons"] == [{"reason": FAILING["500"] + "; expect and schema judge JSON data", "count": 10}]

    transport_only = results["transport_only"]
    assert not transport_only.get("failed") and transport_only["load"]["judged_by"] == []
    assert any("only measures the transport" in warning for warning in transport_only["warnings"])
    assert "only measures the transport" in result.stderr


def test_petstore_style_answers_to_other_tools(tmp_path, servers):
    url = servers["plain"].url
    pet = {"type": "object", "required": ["id", "name"]}
    marker = {"id": 4711001, "name": "mcp-verify-marker", "status": "available", "photoUrls": []}
    tasks = {
        "not_found": {"url": url, "calls": [{"name": "get_pet_pet_id", "arguments": {"petId": "999999"}, "schema": pet}]},
        "input_error": {"url": url, "calls": [{"name": "get_pet_find_by_status", "arguments": {"status": "foo"},
                                               "schema": PETS_SCHEMA}]},
        "write_read_delete": {"url": url, "calls": [
            {"name": "post_pet", "arguments": {"body": marker}, "schema": pet, "expect": "name == 'mcp-verify-marker'"},
            {"name": "get_pet_pet_id", "arguments": {"petId": str(marker["id"])}, "schema": pet},
            {"name": "delete_pet_pet_id", "arguments": {"petId": str(marker["id"])}},
            {"name": "get_pet_pet_id", "arguments": {"petId": str(marker["id"])}, "schema": pet},
        ]},
    }
    _result, results = run_tasks(tmp_path, tasks)
    assert "the answer is plain text, not JSON: 'Pet not found'" in results["not_found"]["msg"]
    assert "is not of type 'array' at $" in results["input_error"]["msg"] and "Input error" in results["input_error"]["msg"]
    flow = results["write_read_delete"]["calls"]
    assert [call["passed"] for call in flow] == [True, True, True, False], flow
    assert "Pet not found" in flow[3]["problem"]


def test_the_load_accounts_429s_from_a_rate_limit(tmp_path, servers):
    """40 requests per window; each run spends 3 on initialize, notifications/initialized and tools/list."""
    url = servers["limited"].url
    load = {**LOAD, "schema": PETS_SCHEMA, "min_success_ratio": 0.9}
    tasks = {"under": {"url": url, "load": {**load, "requests": 20}},      # 3 + 20 = 23 of 40
             "burst": {"url": url, "load": {**load, "requests": 60, "concurrency": 8}}}  # 26 + 14 pass, 46 refused
    _result, results = run_tasks(tmp_path, tasks)
    under = results["under"]
    assert not under.get("failed"), under["msg"]
    assert under["load"]["status_counts"] == {"200": 20} and under["load"]["failures"] == 0
    burst = results["burst"]
    assert burst["failed"]
    assert burst["load"]["status_counts"] == {"200": 14, "429": 46}, burst["load"]
    top = burst["load"]["failure_reasons"][0]
    assert top["count"] == 46 and "HTTP 429" in top["reason"] and "Too Many Requests" in top["reason"], top
    assert "rate limit" in top["reason"]
    assert "46 x " in burst["msg"] and "HTTP 429" in burst["msg"]
