#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""How fast is mcp_verify against a local MCP server, next to curl and the MCP Inspector CLI?

Starts the Python SDK peer (tests/peers/python_server.py) on 127.0.0.1 and prints median wall times of:

* the verifier in-process: initialize + notifications/initialized + tools/list + one tools/call (+ DELETE
  when the server gave a session), through the module's own transport (Ansible's urls.Request);
* the same exchanges with plain curl: one curl process, the requests chained with ``--next``;
* the MCP Inspector CLI doing tools/list, when ``mcp-inspector`` is installed (it is not a dependency);
* the module through ``ansible-playbook`` (one run: process start-up dominates);
* the load check: calls per second and p50/p99 through ``run_load``.

Numbers only; not a test. ``--mode sse`` (default, stateful SSE answers) or ``--mode json`` (stateless JSON).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / ".collections"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from mcp_peers import Peer  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.mcpmesh.platform.plugins.modules.mcp_verify import make_send  # noqa: E402  pylint: disable=wrong-import-position

PARAMS = {"validate_certs": True, "ca_path": None, "client_cert": None, "client_key": None}
CALL = {"name": "get_pet_find_by_status", "arguments": {"status": "available"}}


def verifier_once(url: str) -> float:
    started = time.perf_counter()
    client = _mcp.McpClient(make_send(PARAMS, url), url, timeout=10)
    client.open("2025-11-25")
    client.list_tools()
    rows = _mcp.run_calls(client, [CALL])
    client.delete_session()
    elapsed = time.perf_counter() - started
    if not rows[0]["passed"]:
        raise RuntimeError(rows[0]["problem"])
    return elapsed


def curl_once(curl: str, url: str, stateless: bool) -> float:
    headers = ["-H", "Content-Type: application/json", "-H", "Accept: application/json, text/event-stream"]
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "curl", "version": "0"}}}
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": CALL}
    started = time.perf_counter()
    if stateless:
        cmd = [curl, "-s", "-o", "/dev/null"]
        for number, body in enumerate((init, listing, call)):
            if number:
                cmd += ["--next", "-s", "-o", "/dev/null"]
            cmd += [url, *headers, "-H", "MCP-Protocol-Version: 2025-11-25", "-d", json.dumps(body)]
        subprocess.run(cmd, check=True)
    else:
        # A session: the id comes back on initialize, so two curl processes.
        out = subprocess.run([curl, "-s", "-D", "-", "-o", "/dev/null", url, *headers, "-d", json.dumps(init)],
                             check=True, capture_output=True, text=True).stdout
        session = next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.lower().startswith("mcp-session-id:"))
        more = ["-H", f"Mcp-Session-Id: {session}", "-H", "MCP-Protocol-Version: 2025-11-25"]
        subprocess.run([curl, "-s", "-o", "/dev/null", url, *headers, *more, "-d", json.dumps(listing),
                        "--next", "-s", "-o", "/dev/null", url, *headers, *more, "-d", json.dumps(call)], check=True)
    return time.perf_counter() - started


def inspector_once(inspector: str, url: str) -> float:
    started = time.perf_counter()
    subprocess.run([inspector, "--cli", url, "--transport", "http", "--method", "tools/list"], check=True,
                   capture_output=True, timeout=120)
    return time.perf_counter() - started


def playbook_once(url: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        playbook = Path(tmp, "verify.yml")
        playbook.write_text(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
            "    - name: Verify.\n"
            f"      mcpmesh.platform.mcp_verify: {json.dumps({'url': url, 'calls': [CALL]})}\n")
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
                   PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
        started = time.perf_counter()
        proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=False)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(proc.stdout[-2000:])
        return elapsed


def line(label: str, value: str) -> None:
    print(f"{label + ':':<62} {value}")


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f}, {len(values)} runs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--mode", choices=["sse", "json"], default="sse")
    parser.add_argument("--load-requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    extra = ("--stateless", "--json-response") if args.mode == "json" else ()
    with tempfile.TemporaryDirectory() as logs:
        peer = Peer("python", *extra, log_dir=Path(logs)).start().wait_listening()
        try:
            url = peer.url
            verifier_once(url)  # warm-up (the server's first request imports a lot)
            print(f"MCP server: Python SDK peer ({args.mode}) at {url}")
            times = [verifier_once(url) for _run in range(args.runs)]
            line(f"verifier in-process (init, initialized, list, call{'' if extra else ', DELETE'})", median_ms(times))
            curl = shutil.which("curl")
            if curl:
                curl_times = [curl_once(curl, url, bool(extra)) for _run in range(args.runs)]
                line("curl (initialize, tools/list, tools/call)", median_ms(curl_times))
                line("verifier / curl", f"{statistics.median(times) / statistics.median(curl_times):.2f}x")
            else:
                print("curl: not installed")
            inspector = shutil.which("mcp-inspector") or shutil.which("mcp-inspector", path=str(ROOT / "tests/peers/ts/node_modules/.bin"))
            if inspector:
                inspector_times = [inspector_once(inspector, url) for _run in range(3)]
                line("MCP Inspector CLI tools/list", median_ms(inspector_times))
            else:
                print("MCP Inspector CLI: not installed (npm install @modelcontextprotocol/inspector to compare)")
            line("module through ansible-playbook (verify + 1 call)", f"{playbook_once(url) * 1000:8.1f} ms (1 run)")

            client = _mcp.McpClient(make_send(PARAMS, url), url, timeout=10)
            client.open("2025-11-25")
            stats, failures = _mcp.run_load(client, CALL["name"], CALL["arguments"], args.load_requests, args.concurrency)
            client.delete_session()
            print(f"load check: {stats['requests']} calls at concurrency {stats['concurrency']}: {stats['rps']} calls/s, "
                  f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms, p99 {stats['p99_ms']} ms, "
                  f"success {stats['success_ratio']}{' ' + failures[0] if failures else ''}")
        finally:
            peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
