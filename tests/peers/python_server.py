#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real MCP server on the official Python SDK (``mcp`` 2.x, ``MCPServer``), for the mcp_verify tests.

Nothing here speaks MCP by hand: the SDK does the wire. This file only picks the SDK's options
from the command line and registers Petstore-shaped tools (names from cosmonic-labs/petstore-mcp-server)
plus a few that exercise the verifier's edge cases:

* ``get_pet_find_by_status(status)``, ``get_pet_pet_id(petId)``, ``get_store_inventory()``: JSON as
  text, no structured output, like the Petstore server;
* ``add(a, b)``: a structured result (``{"result": a+b}``) with an output schema;
* ``pet_summary(status)``: an object result with an output schema (``structuredContent``);
* ``fail(message)``: raises (the SDK answers ``isError: true``);
* ``chatty(n)``: log and progress notifications before its result;
* ``filler_00``.. (``--filler N``): extra tools, to make ``--page-size`` pagination take several pages.

Modes: ``--stateless``, ``--json-response``, ``--event-store`` (an in-memory EventStore: ``id:``
lines and priming events), ``--retry-ms``, ``--path``, ``--allowed-host`` (the SDK's DNS-rebinding
protection with that Host), ``--token`` (the SDK's bearer-token auth with a verifier that accepts
that one token), ``--page-size`` (a ServerMiddleware pages the tools/list result with ``nextCursor``).
The SDK also serves the stateless 2026-07-28 revision on the same endpoint, whatever the mode.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from dataclasses import replace
from pathlib import Path

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http import EventMessage, EventStore
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ListToolsResult
from pydantic import BaseModel

# The in-memory pets, shared with the Petstore-like backend of tests/integration/test_petstore_verify.py.
PETS = json.loads((Path(__file__).resolve().parent / "pets.json").read_text())


class MemoryEventStore(EventStore):
    """The SDK's EventStore interface, kept in memory: gives every SSE event an id (and priming events)."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.events: list[tuple[str, str, object]] = []

    async def store_event(self, stream_id, message):
        event_id = str(next(self.counter))
        self.events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id, send_callback):
        stream = None
        after = False
        for event_id, stream_id, message in self.events:
            if event_id == last_event_id:
                stream, after = stream_id, True
                continue
            if after and stream_id == stream and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream


class OneToken:
    """A TokenVerifier (the SDK's protocol) that accepts exactly one token and counts what it saw."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def verify_token(self, token: str):
        print(f"token-seen {'ok' if token == self.token else 'wrong'}", flush=True)
        if token != self.token:
            return None
        return AccessToken(token=token, client_id="mcp-verify-test", scopes=[])


def pager(page_size: int):
    """A ServerMiddleware (the SDK's public hook) that serves tools/list in pages of page_size."""

    async def middleware(ctx, call_next):
        if ctx.method != "tools/list":
            return await call_next(ctx)
        params = dict(ctx.params or {})
        cursor = params.pop("cursor", None)
        result = await call_next(replace(ctx, params=params))
        tools = result.tools if isinstance(result, ListToolsResult) else ListToolsResult.model_validate(result).tools
        start = int(cursor) if cursor else 0
        end = start + page_size
        return ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None)

    return middleware


class Summary(BaseModel):
    status: str
    count: int
    names: list[str]


def build(args: argparse.Namespace) -> MCPServer:
    auth = {}
    if args.token:
        url = f"http://{args.host}:{args.port}"
        auth = {"token_verifier": OneToken(args.token),
                "auth": AuthSettings(issuer_url=url, resource_server_url=f"{url}{args.path}", required_scopes=[])}
    middleware = [pager(args.page_size)] if args.page_size else []
    server = MCPServer(name="petstore-test", version="2.3.0-peer", middleware=middleware, log_level="WARNING", **auth)

    def get_pet_find_by_status(status: str) -> str:
        """Finds Pets by status."""
        return json.dumps([pet for pet in PETS if pet["status"] in status.split(",")])

    def get_pet_pet_id(petId: str) -> str:  # noqa: N803 - the Petstore server's parameter name
        """Find pet by ID."""
        for pet in PETS:
            if str(pet["id"]) == petId:
                return json.dumps(pet)
        return json.dumps({"code": 1, "message": "Pet not found"})

    def get_store_inventory() -> str:
        """Returns pet inventories by status."""
        counts: dict[str, int] = {}
        for pet in PETS:
            counts[pet["status"]] = counts.get(pet["status"], 0) + 1
        return json.dumps(counts)

    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    def pet_summary(status: str) -> Summary:
        """How many pets have a status, and their names."""
        names = [pet["name"] for pet in PETS if pet["status"] == status]
        return Summary(status=status, count=len(names), names=names)

    def fail(message: str = "kaboom") -> str:
        """Always raises."""
        raise RuntimeError(message)

    async def chatty(ctx: Context, n: int = 3, delay_ms: int = 20) -> str:
        """Logs and reports progress n times, then answers."""
        for step in range(1, n + 1):
            await ctx.info(f"step {step} of {n}")
            await ctx.report_progress(step, n, f"step {step}")
            await asyncio.sleep(delay_ms / 1000.0)
        return f"done after {n} steps"

    for fn in (get_pet_find_by_status, get_pet_pet_id, get_store_inventory):
        server.add_tool(fn, structured_output=False)
    for fn in (add, pet_summary, fail, chatty):
        server.add_tool(fn)
    for number in range(args.filler):
        def filler(number: int = number) -> str:
            return f"filler {number}"
        server.add_tool(filler, name=f"filler_{number:02d}", description=f"Filler tool {number}.", structured_output=False)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/mcp")
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--json-response", action="store_true")
    parser.add_argument("--event-store", action="store_true")
    parser.add_argument("--retry-ms", type=int)
    parser.add_argument("--allowed-host", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--page-size", type=int, default=0)
    parser.add_argument("--filler", type=int, default=0)
    args = parser.parse_args()

    server = build(args)
    security = None
    if args.allowed_host:
        security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=args.allowed_host,
                                             allowed_origins=[f"http://{host}" for host in args.allowed_host])
    print(f"starting {args.host}:{args.port}{args.path}", flush=True)
    server.run(
        "streamable-http",
        host=args.host,
        port=args.port,
        streamable_http_path=args.path,
        stateless_http=args.stateless,
        json_response=args.json_response,
        event_store=MemoryEventStore() if args.event_store else None,
        retry_interval=args.retry_ms,
        transport_security=security,
    )


if __name__ == "__main__":
    main()
