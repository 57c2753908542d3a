#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: mcp_verify
short_description: Verify an MCP server over Streamable HTTP, its tools, tool calls and service levels
version_added: 0.1.0
description:
  - Speaks the Model Context Protocol to one endpoint the way a real client does, over Streamable HTTP
    (one POST per message, answers as C(application/json) or as an event stream).
  - Opens a session with C(initialize) and C(notifications/initialized), or, for the stateless revision
    V(2026-07-28), with C(server/discover); lists the tools (following C(nextCursor)); calls tools and checks
    their results; optionally runs a load check; ends the session with C(DELETE).
  - Sends the C(Mcp-Session-Id) the server gave on every later request, and C(MCP-Protocol-Version) with the
    negotiated revision.
  - A tool call fails on a JSON-RPC error, on C(isError=true), and on a plain-text error result such as
    C(Error executing ...) when C(isError) is missing. O(calls[].expect) is a JMESPath expression that must be
    truthy over the result's C(structuredContent), or its text parsed as JSON, or its text.
  - Every read is bounded by O(timeout) and every answer by O(max_response_bytes); reading stops as soon as the
    answer to the request arrived, so a stream the server keeps open does not hang the module.
  - Changes nothing; runs in check mode too.
author:
  - mcpmesh maintainers (@mcpmesh)
extends_documentation_fragment:
  - mcpmesh.platform._attributes
  - mcpmesh.platform._attributes.INFO_MODULE
requirements:
  - jmespath (only for O(calls[].expect) and O(load.expect))
options:
  url:
    description: The MCP endpoint, for example V(http://localhost/v1/mcp). Redirects are reported, not followed.
    type: str
    required: true
  headers:
    description:
      - Extra HTTP headers sent with every request, for example C(Host) when a proxy routes by name.
      - They may replace C(Accept) and C(Content-Type) (to probe a server), never the session and version headers.
    type: dict
    default: {}
  bearer_token:
    description:
      - Sent in an C(Authorization) header as C(Bearer <token>), unless O(headers) has an C(Authorization) header.
      - Never returned or logged.
    type: str
  protocol_version:
    description:
      - The revision to speak. A handshake revision (V(2024-11-05) to V(2025-11-25)) is offered in C(initialize);
        the server may answer another handshake revision, and the session then runs at that one.
      - V(2026-07-28) is the stateless revision, with no handshake and no session; the server must list it in
        the answer to C(server/discover).
      - V(auto) tries C(server/discover) under V(2026-07-28) first and falls back to C(initialize) with
        V(2025-11-25) when the server does not speak it.
    type: str
    default: "2025-11-25"
    choices: [auto, "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
  expected_tools:
    description: Tool names that must all be in the C(tools/list) answer.
    type: list
    elements: str
    default: []
  calls:
    description: Tool calls to make after listing the tools; each must succeed and meet its O(calls[].expect).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The tool's name.
        type: str
        required: true
      arguments:
        description: The tool's arguments.
        type: dict
        default: {}
      expect:
        description:
          - A JMESPath expression that must be truthy (not false, null, empty string, list or object) over the
            result's data. The data is C(structuredContent) when present, else the text content parsed as JSON
            when it is JSON, else the text; several text items give a list.
        type: str
  timeout:
    description: Seconds each HTTP exchange may take, including reading its answer.
    type: float
    default: 10
  wait_timeout:
    description:
      - Seconds to keep retrying when the session cannot be opened or the tools cannot be listed, for a server
        that is still starting. V(0) tries once. The failure then reports the last error.
      - Missing tools and failing calls are not retried.
    type: float
    default: 0
  validate_certs:
    description: Check the server's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates to check the server's certificate against.
    type: path
  client_cert:
    description: A PEM client certificate for mutual TLS.
    type: path
  client_key:
    description: The PEM private key of O(client_cert), when the certificate file does not hold it.
    type: path
  max_response_bytes:
    description: The largest answer read for one request; a larger one fails the step.
    type: int
    default: 4194304
  delete_session:
    description: End the session with C(DELETE) at the end (a V(404) or V(405) answer is fine).
    type: bool
    default: true
  load:
    description:
      - A load check, made after the calls, in the same session. It calls one tool O(load.requests) times,
        O(load.concurrency) at a time, and fails when a threshold is crossed.
      - Latency percentiles are nearest-rank over the successful calls, in milliseconds, measured around each
        HTTP exchange.
    type: dict
    suboptions:
      tool:
        description: The tool to call.
        type: str
        required: true
      arguments:
        description: Its arguments.
        type: dict
        default: {}
      expect:
        description: A JMESPath expression each result must meet to count as a success.
        type: str
      requests:
        description: How many calls to make.
        type: int
        default: 100
      concurrency:
        description: How many calls run at once.
        type: int
        default: 10
      min_success_ratio:
        description: The smallest acceptable share of successful calls, V(0) to V(1) (V(0.999) is 99.9 %).
        type: float
      max_p50_ms:
        description: The largest acceptable median latency, in milliseconds.
        type: float
      max_p95_ms:
        description: The largest acceptable 95th percentile latency, in milliseconds.
        type: float
      max_p99_ms:
        description: The largest acceptable 99th percentile latency, in milliseconds.
        type: float
seealso:
  - name: MCP Streamable HTTP transport
    description: The transport this module speaks.
    link: https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
  - name: JMESPath
    description: The expression language of O(calls[].expect).
    link: https://jmespath.org/
"""

EXAMPLES = r"""
- name: Check the Petstore MCP server behind kind and Envoy (the seed's check).
  mcpmesh.platform.mcp_verify:
    url: http://localhost/v1/mcp
    headers:
      Host: petstore-mcp.localhost.cosmonic.sh
    expected_tools:
      - get_pet_find_by_status
    calls:
      - name: get_pet_find_by_status
        arguments:
          status: available
        expect: "length(@) > `0` && length([?status != 'available']) == `0`"
    wait_timeout: 300

- name: Gate on the seed's Key Metrics (success over 99.9 %, p50 under 10 ms, p99 under 100 ms).
  mcpmesh.platform.mcp_verify:
    url: http://localhost/v1/mcp
    headers:
      Host: petstore-mcp.localhost.cosmonic.sh
    load:
      tool: get_pet_find_by_status
      arguments:
        status: available
      requests: 1000
      concurrency: 10
      min_success_ratio: 0.999
      max_p50_ms: 10
      max_p99_ms: 100
  register: petstore_slo

- name: Speak the stateless 2026-07-28 revision to a server with a token.
  mcpmesh.platform.mcp_verify:
    url: https://mcp.example.com/mcp
    protocol_version: "2026-07-28"
    bearer_token: "{{ mcp_token }}"
    ca_path: /etc/ssl/certs/internal-ca.pem
    expected_tools: [search]
"""

RETURN = r"""
server_info:
  description: The server's C(serverInfo) (name, version, maybe title).
  returned: when the session was opened
  type: dict
  sample: {name: example-server, version: 1.0.0}
protocol_version:
  description: The negotiated revision (what the server answered), or V(2026-07-28) for the stateless revision.
  returned: when the session was opened
  type: str
  sample: "2025-06-18"
session:
  description: The session the server gave, if any.
  returned: when the session was opened
  type: dict
  contains:
    id:
      description: The C(Mcp-Session-Id), or V(null) for a stateless server.
      type: str
    used:
      description: Whether a session id was sent with the later requests.
      type: bool
    stateless:
      description: Whether the stateless revision (no handshake) was spoken.
      type: bool
    deleted:
      description: The HTTP status of the C(DELETE) at the end, or V(null) when none was sent.
      type: int
  sample: {id: 6708baa6186a42c4a2e5344cbea9656d, used: true, stateless: false, deleted: 200}
capabilities:
  description: The server's capabilities.
  returned: when the session was opened
  type: dict
tools:
  description: The tools listed, across all pages.
  returned: when the session was opened
  type: list
  elements: dict
  contains:
    name:
      description: The tool's name.
      type: str
    description:
      description: The tool's description.
      type: str
    inputSchema:
      description: The JSON schema of its arguments.
      type: dict
    outputSchema:
      description: The JSON schema of its C(structuredContent), when it declares one.
      type: dict
  sample: [{name: get_pet_find_by_status, description: Finds Pets by status, inputSchema: {type: object}}]
calls:
  description: One entry per O(calls) item, in order.
  returned: when the session was opened
  type: list
  elements: dict
  contains:
    name:
      description: The tool called.
      type: str
    arguments:
      description: The arguments sent.
      type: dict
    expect:
      description: The expression checked, if any.
      type: str
    result:
      description: The C(tools/call) result as the server sent it.
      type: dict
    error:
      description: The JSON-RPC error, when the server answered with one.
      type: dict
    data:
      description: What O(calls[].expect) ran against.
      type: raw
    expect_value:
      description: What the expression gave.
      type: raw
    passed:
      description: Whether the call succeeded and met its expectation.
      type: bool
    problem:
      description: Why it did not.
      type: str
    ms:
      description: The exchange's wall time in milliseconds.
      type: float
timings:
  description: Wall time of each step in milliseconds; steps not taken are absent.
  returned: when the session was opened
  type: dict
  sample: {initialize_ms: 6.1, initialized_ms: 1.9, tools_list_ms: 3.2, calls_ms: 4.4, delete_ms: 1.5, total_ms: 17.6}
exchanges:
  description: Each HTTP exchange of the session with its status, content type and time.
  returned: when the session was opened
  type: list
  elements: dict
  sample: [{step: initialize, status: 200, content_type: text/event-stream, ms: 6.1}]
notifications:
  description: How many notifications of each method arrived on the answer streams (log, progress).
  returned: when the session was opened
  type: dict
  sample: {notifications/message: 3, notifications/progress: 3}
priming_events:
  description: How many SSE priming events (an event id with empty data, from servers with an event store) were skipped.
  returned: when the session was opened
  type: int
attempts:
  description: How many times the session was opened before it worked (see O(wait_timeout)).
  returned: always
  type: int
load:
  description: The load check's figures, when O(load) is set.
  returned: when O(load) is set and the session was opened
  type: dict
  contains:
    requests:
      description: Calls made.
      type: int
    concurrency:
      description: Calls at once.
      type: int
    successes:
      description: Calls that succeeded.
      type: int
    failures:
      description: Calls that failed.
      type: int
    success_ratio:
      description: Successes over calls.
      type: float
    p50_ms:
      description: Median latency of the successful calls.
      type: float
    p95_ms:
      description: 95th percentile latency.
      type: float
    p99_ms:
      description: 99th percentile latency.
      type: float
    rps:
      description: Calls per second over the whole check.
      type: float
    failure_examples:
      description: Up to five distinct failure messages.
      type: list
      elements: str
    problems:
      description: The thresholds crossed.
      type: list
      elements: str
  sample: {requests: 1000, concurrency: 10, failures: 0, success_ratio: 1.0, p50_ms: 4.2, p95_ms: 7.9, p99_ms: 11.3, rps: 1840.2}
error:
  description: The step that failed to open the session, its HTTP status, content type and first bytes of the body.
  returned: when the session could not be opened
  type: dict
  sample: {step: initialize, problem: expected HTTP 200, status: 421, content_type: text/plain, body: Invalid Host header}
"""

import http.client
import socket
import ssl
import time
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp


class Response:
    """What _mcp expects of an HTTP answer, over open_url's (or an HTTPError's) response."""

    def __init__(self, raw, status: int):
        self.raw = raw
        self.status = status
        self.headers = list(raw.headers.items()) if raw.headers is not None else []
        stream = getattr(raw, "fp", None) if isinstance(raw, HTTPError) else raw
        self._read = None
        if stream is not None:
            # read1: whatever has arrived (one chunk of a chunked stream), so an open stream does not block us.
            self._read = getattr(stream, "read1", None) or getattr(stream, "read", None)

    def read(self, size: int) -> bytes:
        if self._read is None:
            return b""
        try:
            return self._read(size)
        except (http.client.HTTPException, socket.timeout, ssl.SSLError, OSError) as exc:
            raise _mcp.TransportError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        try:
            self.raw.close()
        except (OSError, http.client.HTTPException):
            pass


def make_send(params: dict, url: str):
    """The transport for _mcp.McpClient: Ansible's urls.Request (what open_url uses), with one TLS context
    built up front; open_url would build (and load the CA bundle into) a new one for every request."""
    if url.lower().startswith("https:"):
        context = make_context(cafile=params["ca_path"], validate_certs=params["validate_certs"],
                               client_cert=params["client_cert"], client_key=params["client_key"])
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # never used for plain HTTP; skips loading CAs
    requester = Request(follow_redirects="none", http_agent="mcpmesh.platform.mcp_verify", decompress=False,
                        use_netrc=False, validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                        client_cert=params["client_cert"], client_key=params["client_key"], context=context)

    def send(method: str, target: str, headers: dict, body: bytes | None, timeout: float) -> Response:
        try:
            raw = requester.open(method, target, data=body, headers=headers, timeout=timeout)
            return Response(raw, raw.status)
        except HTTPError as exc:
            return Response(exc, exc.code)
        except URLError as exc:
            raise _mcp.TransportError(str(exc.reason)) from exc
        except (UrlsConnectionError, http.client.HTTPException, socket.timeout, ssl.SSLError, OSError, ValueError) as exc:
            raise _mcp.TransportError(f"{type(exc).__name__}: {exc}") from exc

    return send


def timings_of(exchanges: list[dict], total_ms: float, load_ms: float | None) -> dict:
    names = {"server/discover": "discover_ms", "initialize": "initialize_ms",
             "notifications/initialized": "initialized_ms", "DELETE session": "delete_ms"}
    timings: dict[str, float] = {}
    for row in exchanges:
        step = row["step"]
        if step.startswith("tools/list"):
            key = "tools_list_ms"
        elif step.startswith("tools/call"):
            key = "calls_ms"
        else:
            key = names.get(step, step)
        timings[key] = round(timings.get(key, 0.0) + row["ms"], 3)
    if load_ms is not None:
        timings["load_ms"] = round(load_ms, 3)
    timings["total_ms"] = round(total_ms, 3)
    return timings


def tool_row(tool: dict) -> dict:
    row = {"name": tool.get("name"), "description": tool.get("description"), "inputSchema": tool.get("inputSchema")}
    for key in ("title", "outputSchema", "annotations"):
        if key in tool:
            row[key] = tool[key]
    return row


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            headers=dict(type="dict", default={}),
            bearer_token=dict(type="str", no_log=True),
            protocol_version=dict(type="str", default=_mcp.LATEST_HANDSHAKE_VERSION, choices=list(_mcp.VERSION_CHOICES)),
            expected_tools=dict(type="list", elements="str", default=[]),
            calls=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                arguments=dict(type="dict", default={}),
                expect=dict(type="str"),
            )),
            timeout=dict(type="float", default=10),
            wait_timeout=dict(type="float", default=0),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            client_cert=dict(type="path"),
            client_key=dict(type="path", no_log=False),
            max_response_bytes=dict(type="int", default=_mcp.DEFAULT_MAX_RESPONSE_BYTES),
            delete_session=dict(type="bool", default=True),
            load=dict(type="dict", options=dict(
                tool=dict(type="str", required=True),
                arguments=dict(type="dict", default={}),
                expect=dict(type="str"),
                requests=dict(type="int", default=100),
                concurrency=dict(type="int", default=10),
                min_success_ratio=dict(type="float"),
                max_p50_ms=dict(type="float"),
                max_p95_ms=dict(type="float"),
                max_p99_ms=dict(type="float"),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url = params["url"]
    load = params["load"]
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be above 0 seconds, got {params['timeout']}")
    if params["max_response_bytes"] < 1024:
        module.fail_json(msg=f"max_response_bytes must be at least 1024, got {params['max_response_bytes']}")
    if load and (load["requests"] < 1 or load["concurrency"] < 1):
        module.fail_json(msg="load.requests and load.concurrency must be at least 1")

    # Check every expression before talking to the server.
    expressions = [(f"calls[{i}].expect", c["expect"]) for i, c in enumerate(params["calls"]) if c["expect"]]
    if load and load["expect"]:
        expressions.append(("load.expect", load["expect"]))
    if expressions and _mcp.jmespath is None:
        module.fail_json(msg=missing_required_lib("jmespath"))
    for where, expression in expressions:
        try:
            _mcp.compile_expectation(expression)
        except ValueError as exc:
            module.fail_json(msg=f"{where}: {exc}")

    headers = dict(params["headers"] or {})
    if params["bearer_token"] and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = f"Bearer {params['bearer_token']}"
    send = make_send(params, url)
    started = time.monotonic()
    clients: list[_mcp.McpClient] = []

    def attempt():
        client = _mcp.McpClient(send, url, headers=headers, timeout=params["timeout"],
                                max_response_bytes=params["max_response_bytes"])
        clients.append(client)
        try:
            client.open(params["protocol_version"])
            return client, client.list_tools()
        except _mcp.McpError:
            client.delete_session()
            raise

    try:
        (client, tools), attempts = _mcp.wait_for(attempt, params["wait_timeout"])
    except _mcp.McpError as exc:
        last = clients[-1] if clients else None
        module.fail_json(
            msg=f"MCP verification of {url} failed: {exc}",
            changed=False, error=exc.as_dict(), attempts=exc.attempts, exchanges=last.exchanges if last else [],
        )
        return

    problems: list[str] = []
    names = [tool.get("name") for tool in tools]
    missing = [name for name in params["expected_tools"] if name not in names]
    if missing:
        problems.append(f"tools/list: expected tool(s) {', '.join(missing)} missing; the server lists {len(names)}: "
                        f"{_mcp.shorten(', '.join(str(n) for n in names), 400)}")

    call_rows = _mcp.run_calls(client, params["calls"])
    for row in call_rows:
        if not row["passed"]:
            problems.append(f"tools/call {row['name']}: {row['problem']}")

    load_result = None
    load_ms = None
    if load:
        load_started = time.monotonic()
        stats, examples = _mcp.run_load(client, load["tool"], load["arguments"], load["requests"], load["concurrency"],
                                        load["expect"])
        load_ms = (time.monotonic() - load_started) * 1000.0
        thresholds = {key: load[key] for key in ("min_success_ratio", "max_p50_ms", "max_p95_ms", "max_p99_ms")}
        load_result = dict(stats, failure_examples=examples, problems=_mcp.load_problems(stats, thresholds),
                           thresholds=thresholds, tool=load["tool"])
        for problem in load_result["problems"]:
            problems.append(f"load check of {load['tool']} ({stats['requests']} calls, {stats['concurrency']} at once): {problem}")
        if load_result["problems"] and examples:
            problems.append("load check failures, for example: " + " | ".join(_mcp.shorten(e, 200) for e in examples[:3]))

    summary = client.summary()
    deleted = client.delete_session() if params["delete_session"] else None
    summary["session"]["deleted"] = deleted
    result = dict(
        changed=False,
        server_info=summary["server_info"],
        protocol_version=summary["protocol_version"],
        session=summary["session"],
        capabilities=summary["capabilities"],
        tools=[tool_row(tool) for tool in tools],
        calls=call_rows,
        timings=timings_of(client.exchanges, (time.monotonic() - started) * 1000.0, load_ms),
        exchanges=client.exchanges,
        notifications=dict(client.notifications),
        priming_events=client.priming_events,
        attempts=attempts,
    )
    if load_result is not None:
        result["load"] = load_result
    if problems:
        lines = [f"MCP verification of {url} found {len(problems)} problem(s):"]
        lines += [f"  {number}. {problem}" for number, problem in enumerate(problems, start=1)]
        module.fail_json(msg="\n".join(lines), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
