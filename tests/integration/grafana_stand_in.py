# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in Grafana on loopback: ``/<case>/api/health`` and ``/<case>/api/ds/query`` answer with the
documented-format answers in tests/fixtures/grafana (see its SOURCE.md), one case per path prefix.

Each case is ``(health status, health file, query status, query file)``; a file of None answers an
empty body. Every request is recorded in ``requests`` as ``(case, method, path, JSON body or None)``.
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from mcp_peers import LocalHTTPServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grafana"


class StandInGrafana(LocalHTTPServer):
    def __init__(self, cases: dict[str, tuple]) -> None:
        self.requests: list[tuple] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status: int, name: str | None, raw: bytes | None = None) -> None:
                body = raw if raw is not None else ((FIXTURES / name).read_bytes() if name else b"")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def route(self, method: str) -> None:
                case, _sep, rest = self.path.lstrip("/").partition("/")
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                owner.requests.append((case, method, "/" + rest, json.loads(raw) if raw else None,
                                       self.headers.get("Authorization")))
                if case not in cases:
                    return self.answer(404, None, b'{"message": "Not found"}')
                health_status, health_file, query_status, query_file = cases[case]
                if method == "GET" and rest == "api/health":
                    return self.answer(health_status, health_file) if not isinstance(health_file, bytes) \
                        else self.answer(health_status, None, health_file)
                if method == "POST" and rest == "api/ds/query":
                    return self.answer(query_status, query_file)
                return self.answer(404, None, b'{"message": "Not found"}')

            def do_GET(self):  # noqa: N802 (http.server's name)
                self.route("GET")

            def do_POST(self):  # noqa: N802
                self.route("POST")

        super().__init__(Handler)
