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
    C(Error executing ...) when C(isError) is missing. When the tool declares an C(outputSchema), its
    C(structuredContent) must validate against it. O(calls[].expect) (JMESPath, must be truthy) and
    O(calls[].schema) (JSON Schema) judge the call's data, which is its C(structuredContent), or its text
    content parsed as JSON. A text that is not JSON (C(Internal Server Error), an HTML page, C(Pet not found))
    has no data, so it never meets an expectation or a schema.
  - The load check judges every answer the same way (O(load.expect), O(load.schema), else those of a call of
    the same tool with the same arguments, and the declared C(outputSchema)). A load judged by none of them only
    measures the transport; the module warns.
  - One deadline per request, O(timeout) seconds, holds for connecting, the TLS handshake, the status line and
    headers, chunk-size lines and the body, also against a server that trickles a byte at a time. Opening the
    session, all O(wait_timeout) retries included, ends within O(wait_timeout) + O(timeout) seconds. Every answer
    is bounded by O(max_response_bytes); reading stops as soon as the answer to the request arrived, so a stream
    the server keeps open does not hang the module.
  - Numeric options are refused by name when NaN, infinite, negative or out of their bounds, before any request.
    Only C(http) and C(https) URLs are spoken. Header values holding CR, LF, NUL or other control characters are
    refused (and not shown), so is a session id from the server that holds them (it is never sent back).
  - Answers are strict JSON-RPC, the C(id) must equal the request's in type and value (C(true) is not C(1));
    invalid UTF-8 and JSON nested deeper than 64 levels are reported as such.
  - Credential headers (C(Authorization), C(Proxy-Authorization), C(Cookie), C(X-Api-Key), and any name
    containing C(token), C(secret), C(key), C(auth), C(cookie) or C(password)) are masked in the output and in the
    C(-vvv) invocation details, like O(bearer_token).
  - Connects directly to the URL's host; proxy environment variables are not used.
  - Changes nothing; runs in check mode too.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
requirements:
  - jmespath (only for O(calls[].expect) and O(load.expect))
  - jsonschema (only for O(calls[].schema), O(load.schema) and tools that declare an C(outputSchema))
options:
  url:
    description:
      - The MCP endpoint, for example V(http://localhost/v1/mcp). Only C(http) and C(https); no credentials in the URL.
      - Redirects are reported, not followed.
    type: str
    required: true
  headers:
    description:
      - Extra HTTP headers sent with every request, for example C(Host) when a proxy routes by name.
      - They may replace C(Accept) and C(Content-Type) (to probe a server), never the session and version headers.
      - Values of credential-named headers (see the description) are masked in the output. Values holding
        control characters are refused.
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
      name: {description: The tool's name., type: str, required: true}
      arguments: {description: The tool's arguments., type: dict, default: {}}
      expect:
        description:
          - A JMESPath expression that must be truthy (not false, null, empty string, list or object) over the
            result's data. The data is C(structuredContent) when present, else the text content parsed as JSON
            when it is JSON; several text items give a list. A text that is not JSON has no data and fails.
        type: str
      schema:
        description:
          - A JSON Schema the call's data (as for O(calls[].expect)) must satisfy, for example a list of pets each
            with C(id), C(name) and C(status) V(available). The draft is the one its C($schema) names, else 2020-12.
          - A text answer that is not JSON fails. A declared C(outputSchema) is enforced whether this is set or not.
        type: dict
  timeout:
    description:
      - Seconds each HTTP exchange may take, all of it (connecting, TLS, headers, body). Above 0, at most 3600.
    type: float
    default: 10
  wait_timeout:
    description:
      - Seconds to keep retrying when the session cannot be opened or the tools cannot be listed, for a server
        that is still starting. V(0) tries once. The failure then reports the last error.
      - Missing tools and failing calls are not retried. At least 0, at most 86400.
    type: float
    default: 0
  validate_certs: {description: Check the server's TLS certificate., type: bool, default: true}
  ca_path:
    description: A PEM file of CA certificates to check the server's certificate against. Must exist.
    type: path
  client_cert: {description: A PEM client certificate for mutual TLS., type: path}
  client_key:
    description: The PEM private key of O(client_cert), when the certificate file does not hold it.
    type: path
  max_response_bytes:
    description: The largest answer read for one request; a larger one fails the step. From 1024 to 268435456.
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
      - The calls run on a fixed pool of O(load.concurrency) worker threads, at most 64.
      - Each answer is judged like a call (see the description); without O(load.expect), O(load.schema), a call of
        the same tool and arguments that has one, or a declared C(outputSchema), the load only measures the
        transport and error signals, and the module warns.
    type: dict
    suboptions:
      tool: {description: The tool to call., type: str, required: true}
      arguments: {description: Its arguments., type: dict, default: {}}
      expect:
        description: A JMESPath expression each result must meet to count as a success (as O(calls[].expect)).
        type: str
      schema:
        description: A JSON Schema each result's data must satisfy to count as a success (as O(calls[].schema)).
        type: dict
      requests: {description: "How many calls to make, from 1 to 1000000.", type: int, default: 100}
      concurrency:
        description: How many calls run at once, from 1 to 64 (the size of the worker pool).
        type: int
        default: 10
      min_success_ratio:
        description:
          - The smallest acceptable share of successful calls, V(0) to V(1) (V(0.999) is 99.9 %). NaN is refused.
          - Unset, failed calls do not fail the task (the module warns when there are any).
        type: float
      max_p50_ms: {description: "The largest acceptable median latency, in milliseconds.", type: float}
      max_p95_ms: {description: "The largest acceptable 95th percentile latency, in milliseconds.", type: float}
      max_p99_ms: {description: "The largest acceptable 99th percentile latency, in milliseconds.", type: float}
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
        schema:
          type: array
          minItems: 1
          items:
            type: object
            required: [id, name, status]
            properties:
              status: {const: available}
    wait_timeout: 300

# The same server as above, its URL and headers in variables (mcp_url, mcp_headers).
- name: Gate on the seed's Key Metrics (success over 99.9 %, p50 under 10 ms, p99 under 100 ms).
  mcpmesh.platform.mcp_verify:
    url: "{{ mcp_url }}"
    headers: "{{ mcp_headers }}"
    load:
      tool: get_pet_find_by_status
      arguments:
        status: available
      expect: "length(@) > `0` && length([?status != 'available']) == `0`"
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
session: {description: "The session the server gave, if any.", returned: when the session was opened, type: dict,
  contains: {
    id: {description: "The C(Mcp-Session-Id), or V(null) for a stateless server.", type: str},
    used: {description: Whether a session id was sent with the later requests., type: bool},
    stateless: {description: Whether the stateless revision (no handshake) was spoken., type: bool},
    deleted: {description: "The HTTP status of the C(DELETE) at the end, or V(null) when none was sent.", type: int}},
  sample: {id: 6708baa6186a42c4a2e5344cbea9656d, used: true, stateless: false, deleted: 200}}
capabilities: {description: The server's capabilities., returned: when the session was opened, type: dict}
tools: {description: "The tools listed, across all pages.", returned: when the session was opened, type: list, elements: dict,
  contains: {
    name: {description: The tool's name., type: str},
    description: {description: The tool's description., type: str},
    inputSchema: {description: The JSON schema of its arguments., type: dict},
    outputSchema: {description: "The JSON schema of its C(structuredContent), when it declares one.", type: dict}},
  sample: [{name: get_pet_find_by_status, description: Finds Pets by status, inputSchema: {type: object}}]}
calls: {description: "One entry per O(calls) item, in order.", returned: when the session was opened, type: list, elements: dict,
  contains: {
    name: {description: The tool called., type: str},
    arguments: {description: The arguments sent., type: dict},
    expect: {description: "The expression checked, if any.", type: str},
    result: {description: The C(tools/call) result as the server sent it., type: dict},
    error: {description: "The JSON-RPC error, when the server answered with one.", type: dict},
    schema: {description: "The JSON Schema checked, if any.", type: dict},
    data: {description: "What O(calls[].expect) and O(calls[].schema) ran against; V(null) for a text that is not JSON.", type: raw},
    data_source: {description: "Where the data came from, V(structuredContent), V(json text), V(plain text) (no data), V(content)
      or V(none).",
      type: str},
    judged_by: {description: "What judged the answer besides the error signals, among V(outputSchema), V(expect) and V(schema).",
      type: list,
      elements: str},
    expect_value: {description: What the expression gave., type: raw},
    passed: {description: Whether the call succeeded and met its expectation., type: bool},
    problem: {description: Why it did not., type: str},
    ms: {description: The exchange's wall time in milliseconds., type: float}}}
timings:
  description:
    - Wall time of each step in milliseconds; steps not taken are absent.
    - When the session could not be opened, only C(total_ms), the time spent trying (all attempts).
  returned: always, once the options were accepted
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
load: {description: "The load check's figures, when O(load) is set.", returned: when O(load) is set and the session was opened, type: dict,
  contains: {
    requests: {description: Calls made., type: int},
    concurrency: {description: Calls at once., type: int},
    successes: {description: Calls that succeeded., type: int},
    failures: {description: Calls that failed., type: int},
    success_ratio: {description: Successes over calls., type: float},
    p50_ms: {description: Median latency of the successful calls., type: float},
    p95_ms: {description: 95th percentile latency., type: float},
    p99_ms: {description: 99th percentile latency., type: float},
    rps: {description: Calls per second over the whole check., type: float},
    failure_examples: {description: Up to five distinct failure messages., type: list, elements: str},
    failure_reasons: {
      description: "The distinct reasons calls failed (request ids and sizes blanked), with counts, at most five, the most frequent first.",
      type: list, elements: dict,
      contains: {
        reason: {description: The failure., type: str},
        count: {description: How many calls failed so., type: int}}},
    status_counts: {
      description: "How many calls got each HTTP status (as a string, V(no_answer) when none came), for example V(429) from a rate limit.",
      type: dict},
    latency_samples_ms: {
      description: "Latencies of the successful calls in the order they ended, at most 2000 spread evenly over them, for plots.",
      type: list, elements: float},
    judged_by: {
      description: What judged each answer besides the error signals; empty when only the transport was measured.,
      type: list, elements: str},
    problems: {description: The thresholds crossed., type: list, elements: str}},
  sample: {
    requests: 1000, concurrency: 10, failures: 0, success_ratio: 1.0, p50_ms: 4.2, p95_ms: 7.9, p99_ms: 11.3, rps: 1840.2,
    status_counts: {"200": 1000}, failure_reasons: [], judged_by: [expect]}}
error:
  description: The step that failed to open the session, its HTTP status, content type and first bytes of the body.
  returned: when the session could not be opened
  type: dict
  sample: {step: initialize, problem: expected HTTP 200, status: 421, content_type: text/plain, body: Invalid Host header}
"""

import os
import ssl
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import make_context

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp, _mcp_http
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import new_module, options_of

NUMERIC_OPTIONS = ("timeout", "wait_timeout", "max_response_bytes")
LOAD_NUMERIC_OPTIONS = ("requests", "concurrency", "min_success_ratio", "max_p50_ms", "max_p95_ms", "max_p99_ms")


def file_problem(option: str, path: str | None) -> str | None:
    """Why a TLS file option cannot be used (missing, not a file, unreadable), naming the option and the file."""
    if not path:
        return None
    if not os.path.exists(path):
        return f"{option}: the file {path} does not exist"
    if not os.path.isfile(path):
        return f"{option}: {path} is not a file"
    if not os.access(path, os.R_OK):
        return f"{option}: the file {path} cannot be read (permissions)"
    return None


def tls_context(params: dict, url: str) -> ssl.SSLContext | None:
    """One TLS context for every request (building one per request would load the CA bundle each time).
    ValueError naming the option and file when a file is not what it should be."""
    if not url.lower().startswith("https:"):
        return None
    try:
        return make_context(cafile=params["ca_path"], validate_certs=params["validate_certs"],
                            client_cert=params["client_cert"], client_key=params["client_key"])
    except (ssl.SSLError, OSError, ValueError, TypeError) as exc:
        files = ", ".join(f"{name} {params[name]}" for name in ("ca_path", "client_cert", "client_key") if params[name])
        raise ValueError(f"the TLS files could not be loaded ({files or 'the system CA bundle'}): "
                         f"{_mcp.shorten(str(exc), 200)}") from None


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


def input_problems(params: dict) -> list[str]:
    """Everything wrong with the options, found before any request: numbers, URL, headers, files, expressions."""
    numbers = {name: params[name] for name in NUMERIC_OPTIONS}
    if params["load"]:
        numbers.update({f"load.{name}": params["load"][name] for name in LOAD_NUMERIC_OPTIONS})
    problems = _mcp.number_problems(numbers)
    try:
        _mcp_http.split_url(params["url"])
    except ValueError as exc:
        problems.append(f"url: {exc}")
    # (what the problem is about, the problem or None)
    found = [("headers: ", _mcp.header_problem(name, value)) for name, value in (params["headers"] or {}).items()]
    if params["bearer_token"] is not None:
        problem = _mcp.header_problem("Authorization", params["bearer_token"])
        found.append(("bearer_token: ", problem and problem.replace("the value of header Authorization", "the token")))
    found += [("", file_problem(option, params[option])) for option in ("ca_path", "client_cert", "client_key")]
    return problems + [about + problem for about, problem in found if problem]


def judges_for_input(module: AnsibleModule) -> list[str]:
    """Check every expression and schema before talking to the server (the tools' own outputSchema comes later)."""
    params = module.params
    load = params["load"]
    problems = []
    if any(c["expect"] for c in params["calls"]) or (load and load["expect"]):
        if _mcp.jmespath is None:
            module.fail_json(msg=missing_required_lib("jmespath"))
    if any(c["schema"] for c in params["calls"]) or (load and load["schema"]):
        if _mcp.jsonschema is None:
            module.fail_json(msg=missing_required_lib("jsonschema"))
    checks = [(f"calls[{i}]", c["expect"], c["schema"]) for i, c in enumerate(params["calls"])]
    if load:
        checks.append(("load", load["expect"], load["schema"]))
    for where, expect, schema in checks:
        try:
            _mcp.Judge(expect, schema, where=f"{where}.schema")
        except ValueError as exc:
            text = str(exc)
            problems.append(text if text.startswith(where) else f"{where}.expect: {text}")
    return problems


def load_judge(load: dict, calls: list[dict], tools: list[dict]) -> _mcp.Judge:
    """The load's answers are judged like its call: its own expect/schema, else those of a call of the same tool
    with the same arguments; the tool's declared outputSchema always."""
    expect, schema = load["expect"], load["schema"]
    if not expect and not schema:
        for call in calls:
            if call["name"] == load["tool"] and (call["arguments"] or {}) == (load["arguments"] or {}):
                expect, schema = call["expect"], call["schema"]
                if expect or schema:
                    break
    return _mcp.judge_for(tools, load["tool"], expect, schema, where="load.schema")


def judged(**options) -> dict:
    """The suboptions of a tool call that is judged (O(calls[]), O(load)): its arguments, expect and schema."""
    return dict(options, arguments=dict(type="dict", default={}), expect=dict(type="str"), schema=dict(type="dict"))


def main() -> None:
    module = new_module(AnsibleModule, dict(
        url=dict(type="str", required=True),
        headers=dict(type="dict", default={}),
        bearer_token=dict(type="str", no_log=True),
        protocol_version=dict(type="str", default=_mcp.LATEST_HANDSHAKE_VERSION, choices=list(_mcp.VERSION_CHOICES)),
        expected_tools=dict(type="list", elements="str", default=[]),
        calls=dict(type="list", elements="dict", default=[], options=judged(name=dict(type="str", required=True))),
        timeout=dict(type="float", default=10),
        wait_timeout=dict(type="float", default=0),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        max_response_bytes=dict(type="int", default=_mcp.DEFAULT_MAX_RESPONSE_BYTES),
        delete_session=dict(type="bool", default=True),
        load=dict(type="dict", options=judged(
            tool=dict(type="str", required=True),
            requests=dict(type="int", default=100),
            concurrency=dict(type="int", default=10),
            **options_of("float", "min_success_ratio", "max_p50_ms", "max_p95_ms", "max_p99_ms"),
        )),
    ))
    params = module.params
    url = params["url"]
    load = params["load"]
    # Credential headers are masked wherever they would show: the result, the message, -vvv's invocation.
    for name, value in (params["headers"] or {}).items():
        if _mcp.is_credential_header(name) and value not in (None, ""):
            module.no_log_values.add(str(value))

    problems = input_problems(params)
    if problems:
        module.fail_json(msg="mcp_verify refused its options, nothing was sent: " + "; ".join(problems),
                         problems=problems)
    problems = judges_for_input(module)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)

    headers = dict(params["headers"] or {})
    if params["bearer_token"] and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = f"Bearer {params['bearer_token']}"
        module.no_log_values.add(headers["Authorization"])
    try:
        send = _mcp_http.HttpTransport(tls_context(params, url))
    except ValueError as exc:
        module.fail_json(msg=f"mcp_verify: {exc}; check ca_path, client_cert and client_key")
    started = time.monotonic()
    # The whole opening (every attempt, every exchange of it) ends within wait_timeout + timeout.
    hard_deadline = started + params["wait_timeout"] + params["timeout"]
    clients: list[_mcp.McpClient] = []

    def attempt():
        client = _mcp.McpClient(send, url, headers=headers, timeout=params["timeout"],
                                max_response_bytes=params["max_response_bytes"])
        client.hard_deadline = hard_deadline
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
            timings={"total_ms": round((time.monotonic() - started) * 1000.0, 3)},
        )
        return
    client.hard_deadline = None

    problems = []
    names = [tool.get("name") for tool in tools]
    missing = [name for name in params["expected_tools"] if name not in names]
    if missing:
        problems.append(f"tools/list: expected tool(s) {', '.join(missing)} missing; the server lists {len(names)}: "
                        f"{_mcp.shorten(', '.join(str(n) for n in names), 400)}")

    call_rows = _mcp.run_calls(client, params["calls"], tools)
    for row in call_rows:
        if not row["passed"]:
            problems.append(f"tools/call {row['name']}: {row['problem']}")

    load_result = None
    load_ms = None
    if load:
        try:
            judge = load_judge(load, params["calls"], tools)
        except ValueError as exc:  # a call's own schema was refused above; this is the tool's declared one
            judge = None
            problems.append(f"load check of {load['tool']}: {exc}")
        if judge is not None:
            if not judge.judged_by:
                module.warn(f"the load check of {load['tool']} has no expect or schema (and the tool declares no "
                            "outputSchema): it only measures the transport; an error answered as plain text counts "
                            "as a success. Set load.expect or load.schema.")
            load_started = time.monotonic()
            stats, examples = _mcp.run_load(client, load["tool"], load["arguments"], load["requests"],
                                            load["concurrency"], judge=judge)
            load_ms = (time.monotonic() - load_started) * 1000.0
            thresholds = {key: load[key] for key in ("min_success_ratio", "max_p50_ms", "max_p95_ms", "max_p99_ms")}
            load_result = dict(stats, failure_examples=examples, problems=_mcp.load_problems(stats, thresholds),
                               thresholds=thresholds, tool=load["tool"])
            if load["min_success_ratio"] is None and stats["failures"]:
                module.warn(f"the load check of {load['tool']}: {stats['failures']} of {stats['requests']} calls failed, "
                            "and load.min_success_ratio is not set, so that does not fail the task")
            for problem in load_result["problems"]:
                problems.append(f"load check of {load['tool']} ({stats['requests']} calls, {stats['concurrency']} at once): "
                                f"{problem}")
            if load_result["problems"] and stats["failure_reasons"]:
                problems.append("load check failures by reason: " + " | ".join(
                    f"{row['count']} x {_mcp.shorten(row['reason'], 200)}" for row in stats["failure_reasons"][:3]))

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
