// SPDX-License-Identifier: GPL-3.0-or-later
// A real MCP server on the official TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json),
// for the mcp_verify tests: McpServer + StreamableHTTPServerTransport over node:http. The SDK does the
// wire; this file only routes requests to transports (as the SDK's own examples do) and registers tools.
//
//   node server.mjs --port 8080 [--host 127.0.0.1] [--path /mcp] [--stateless] [--json-response]
//
// Stateful (default): one transport per session, created on initialize, found by Mcp-Session-Id.
// Stateless: a new server and transport per request, no session ids (like the Petstore server).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    path: { type: "string", default: "/mcp" },
    stateless: { type: "boolean", default: false },
    "json-response": { type: "boolean", default: false },
  },
});

const PETS = [
  { id: 1, name: "Cat 1", status: "available" },
  { id: 2, name: "Cat 2", status: "available" },
  { id: 4, name: "Dog 1", status: "available" },
  { id: 7, name: "Dog 2", status: "sold" },
  { id: 9, name: "Lion 1", status: "pending" },
];

const text = (value) => ({ content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }] });

function build() {
  const server = new McpServer({ name: "petstore-test-ts", version: "1.32.2-peer" }, { capabilities: { logging: {} } });
  server.registerTool(
    "get_pet_find_by_status",
    { description: "Finds Pets by status.", inputSchema: { status: z.string() } },
    async ({ status }) => text(PETS.filter((pet) => status.split(",").includes(pet.status))),
  );
  server.registerTool(
    "get_pet_pet_id",
    { description: "Find pet by ID.", inputSchema: { petId: z.string() } },
    async ({ petId }) => text(PETS.find((pet) => String(pet.id) === petId) ?? { code: 1, message: "Pet not found" }),
  );
  server.registerTool("get_store_inventory", { description: "Returns pet inventories by status." }, async () => {
    const counts = {};
    for (const pet of PETS) counts[pet.status] = (counts[pet.status] ?? 0) + 1;
    return text(counts);
  });
  server.registerTool(
    "add",
    {
      description: "Adds two numbers.",
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { result: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }], structuredContent: { result: a + b } }),
  );
  server.registerTool("fail", { description: "Always throws.", inputSchema: { message: z.string().optional() } },
    async ({ message }) => {
      throw new Error(message ?? "kaboom");
    });
  // Like the generated Petstore tools: the failure is in the text, with no isError.
  server.registerTool("error_text", { description: "Answers an error as plain text." },
    async () => text("Error executing error_text: fetch failed"));
  server.registerTool(
    "chatty",
    { description: "Logs and reports progress n times, then answers.", inputSchema: { n: z.number().optional() } },
    async ({ n = 3 }, extra) => {
      const token = extra._meta?.progressToken;
      for (let step = 1; step <= n; step += 1) {
        await server.sendLoggingMessage({ level: "info", data: `step ${step} of ${n}` }, extra.sessionId);
        if (token !== undefined) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: step, total: n } });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return text(`done after ${n} steps`);
    },
  );
  return server;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function jsonError(res, status, code, message) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

const sessions = new Map();
const json = args["json-response"];

async function handle(req, res) {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname !== args.path) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
    return;
  }
  let body;
  if (req.method === "POST") {
    const raw = await readBody(req);
    try {
      body = JSON.parse(raw);
    } catch {
      jsonError(res, 400, -32700, "Parse error");
      return;
    }
  }
  if (args.stateless) {
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    res.on("close", () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    return;
  }
  const sessionId = req.headers["mcp-session-id"];
  let transport = sessionId ? sessions.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) {
      jsonError(res, 404, -32001, "Session not found");
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      jsonError(res, 400, -32000, "Bad Request: No valid session ID provided");
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await build().connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

const http = createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (!res.headersSent) jsonError(res, 500, -32603, String(error));
    else res.end();
  });
});
http.listen(Number(args.port), args.host, () => {
  console.log(`listening ${args.host}:${http.address().port}${args.path}`);
});
