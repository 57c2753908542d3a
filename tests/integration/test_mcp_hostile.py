# SPDX-License-Identifier: GPL-3.0-or-later
"""mcp_verify against hostile servers (tests/integration/mcp_peers.py ``Hostile``) and hostile options.

* The deadline: servers that trickle the status line, a header, a chunk-size line or the body a byte
  every 0.2 s for a minute, or say nothing at all. The transport must give up at ``timeout`` (checked
  directly, to the tenth of a second) and the module within ``timeout`` (and ``wait_timeout`` +
  ``timeout`` when retrying), where a per-read socket timeout alone would wait the whole minute.
* Strict JSON-RPC (``true``, ``1.0`` and ``"1"`` are not the id ``1``), invalid UTF-8, deep JSON and
  SSE, ``NaN``, a lone surrogate escape, a ``nextCursor`` that is not a string, a session id holding a control character,
  oversized and too many headers: a clear failure, never a traceback.
* Options refused by name before anything is sent: NaN, infinite, negative and absurd numbers for every
  numeric option, a concurrency above the cap, ``file://`` URLs, header values with CR/LF/NUL (not
  echoed), missing TLS files (named).
* Credential headers masked in the result, in failure messages that quote them, and in ``-vvv``.
* TLS through the transport: a certificate trusted with ``ca_path``, refused without it, accepted with
  ``validate_certs: false``; a peer that never answers the TLS handshake is cut at ``timeout``.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import run_module_tasks
from mcp_peers import Hostile

from ansible_collections.mcpmesh.platform.plugins.module_utils import _mcp, _mcp_http

pytestmark = [pytest.mark.slow, pytest.mark.peers]

TRICKLING = ["trickle-status", "trickle-headers", "trickle-chunk-line", "trickle-body", "silent-headers"]
MARGIN = 1.0  # seconds past the deadline a request may take to end (thread wake-up on a loaded 2-core box)


@pytest.fixture(scope="module")
def hostile():
    with Hostile() as server:
        yield server


def run_tasks(tmp_path, tasks: dict[str, dict], *args: str, via: str = "module") -> tuple[object, dict]:
    """mcp_verify once per entry (registered under its key); see conftest.run_module_tasks."""
    return run_module_tasks(tmp_path, "mcpmesh.platform.mcp_verify", tasks, *args, via=via)


@pytest.mark.parametrize("path", TRICKLING)
def test_the_deadline_holds_against_a_trickling_server(hostile, path):
    client = _mcp.McpClient(_mcp_http.HttpTransport(), f"{hostile.base}/{path}", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(_mcp.McpError) as caught:
        client.open()
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + MARGIN, (path, elapsed, str(caught.value))
    assert "timeout 1 s" in str(caught.value), str(caught.value)


def test_the_watchdog_cuts_a_trickle_that_resets_every_read_timeout(hostile):
    """The same request with only a per-read timeout (no watchdog) would still be running: the byte
    every 0.2 s resets it. The watchdog fired for it."""
    watchdog = _mcp_http.Watchdog()
    send = _mcp_http.HttpTransport(watchdog=watchdog)
    started = time.monotonic()
    with pytest.raises(_mcp.TransportTimeout):
        send("POST", f"{hostile.base}/trickle-headers", {"Content-Type": "application/json"}, b'{"id": 1}', 0.8)
    assert time.monotonic() - started < 0.8 + MARGIN
    assert watchdog.fired == 1


def test_the_module_ends_in_time_against_trickling_servers_and_across_retries(tmp_path, hostile):
    tasks = {path.replace("-", "_"): {"url": f"{hostile.base}/{path}", "timeout": 1} for path in TRICKLING}
    tasks["retried"] = {"url": f"{hostile.base}/trickle-headers", "timeout": 1, "wait_timeout": 2}
    started = time.monotonic()
    result, results = run_tasks(tmp_path, tasks)
    elapsed = time.monotonic() - started
    for key in tasks:
        assert results[key]["failed"] and "timeout 1 s" in results[key]["msg"], (key, results[key]["msg"])
        # Inside the module: each gave up at its timeout (the retried one at wait_timeout + timeout at most).
        budget = 3.0 if key == "retried" else 1.0
        assert results[key]["timings"]["total_ms"] < (budget + MARGIN) * 1000, (key, results[key]["timings"])
    assert results["retried"]["attempts"] >= 2
    assert "still failing after" in results["retried"]["msg"] and "over wait_timeout 2 s" in results["retried"]["msg"]
    # Budget: five tasks of 1 s, one of wait_timeout 2 + timeout 1 (8 s in all), plus ansible's start-up
    # and the module runs (a few seconds each on a loaded box). Without the deadline a single task would
    # take TRICKLE_FOR (60 s).
    assert elapsed < 45, elapsed


def test_hostile_answers_fail_clearly(tmp_path, hostile):
    base = hostile.base
    cases = {
        "true_id": ("true-id", "expected a JSON-RPC response with id 1; the answer is for id true (bool), not 1"),
        "float_id": ("float-id", "the answer is for id 1.0 (float), not 1"),
        "string_id": ("string-id", "the answer is for id 1 (str), not 1"),
        "true_id_sse": ("true-id-sse", "the event stream ended without the response to request id 1 (events seen: response to id true (bool))"),
        "bad_utf8_json": ("bad-utf8-json", "the answer is not valid UTF-8 (byte 0xff"),
        "bad_utf8_sse": ("bad-utf8-sse", "an event-stream line is not valid UTF-8"),
        "deep_json": ("deep-json", "nests deeper than 64 levels"),
        "deep_sse": ("deep-sse", "nests deeper than 64 levels"),
        "nan_json": ("nan-json", "NaN is not a JSON value"),
        # ansible-core refuses a module result holding one ("Refusing to deserialize an invalid UTF8 string").
        "surrogate": ("surrogate", "holds a lone surrogate escape"),
        "cursor_object": ("cursor-object", "tools/list: nextCursor must be a string; the server sent dict"),
        "cursor_number": ("cursor-number", "nextCursor must be a string; the server sent int 2"),
        "session_control": ("session-control", "Mcp-Session-Id (7 characters) holds characters outside visible ASCII"),
        "huge_header": ("huge-header", "LineTooLong"),
        "many_headers": ("many-headers", "got more than 100 headers"),
    }
    tasks = {key: {"url": f"{base}/{path}", "timeout": 5} for key, (path, _words) in cases.items()}
    _result, results = run_tasks(tmp_path, tasks)
    for key, (_path, words) in cases.items():
        res = results[key]
        assert res["failed"] and words in res["msg"], (key, res["msg"])
        assert len(res["msg"]) < 1500, (key, len(res["msg"]))
    assert "abc\x01def" not in json.dumps(results["session_control"])


NUMBERS = {
    "timeout": [("nan", "timeout must be a number, got NaN"), ("inf", "timeout must be finite"),
                (-1, "timeout must be above 0"), (0, "timeout must be above 0"), (1e300, "timeout must be at most 3600")],
    "wait_timeout": [("nan", "wait_timeout must be a number, got NaN"), (-5, "wait_timeout must be at least 0"),
                     ("-inf", "wait_timeout must be finite"), (1e12, "wait_timeout must be at most 86400")],
    "max_response_bytes": [(10, "max_response_bytes must be at least 1024"),
                           (10**15, "max_response_bytes must be at most 268435456")],
}
LOAD_NUMBERS = {
    "requests": [(0, "load.requests must be at least 1"), (10**9, "load.requests must be at most 1000000")],
    "concurrency": [(100000, "load.concurrency must be at most 64"), (0, "load.concurrency must be at least 1")],
    "min_success_ratio": [("nan", "load.min_success_ratio must be a number, got NaN"),
                          (1.5, "load.min_success_ratio must be at most 1"), (-0.1, "load.min_success_ratio must be at least 0")],
    "max_p50_ms": [("nan", "load.max_p50_ms must be a number, got NaN"), (0, "load.max_p50_ms must be above 0")],
    "max_p95_ms": [("inf", "load.max_p95_ms must be finite")],
    "max_p99_ms": [(-3, "load.max_p99_ms must be above 0"), (1e300, "load.max_p99_ms must be at most")],
}


def test_options_are_refused_by_name_before_anything_is_sent(tmp_path, hostile):
    url = f"{hostile.base}/ok"
    tasks, expected = {}, {}
    for name, cases in NUMBERS.items():
        for number, (value, words) in enumerate(cases):
            tasks[f"{name}_{number}"] = {"url": url, name: value}
            expected[f"{name}_{number}"] = words
    for name, cases in LOAD_NUMBERS.items():
        for number, (value, words) in enumerate(cases):
            tasks[f"load_{name}_{number}"] = {"url": url, "load": {"tool": "t", name: value}}
            expected[f"load_{name}_{number}"] = words
    others = {
        "file_url": ({"url": "file:///etc/passwd"}, "url: only http and https URLs are spoken, not file"),
        "ftp_url": ({"url": "ftp://127.0.0.1/mcp"}, "only http and https URLs are spoken, not ftp"),
        "credentials_in_url": ({"url": "http://user:pw@127.0.0.1/mcp"}, "the URL holds credentials"),
        "crlf_header": ({"url": url, "headers": {"X-Evil": "a\r\nX-Injected: 1"}},
                        "the value of header X-Evil holds a control character (0x0d, position 1)"),
        "nul_header": ({"url": url, "headers": {"X-Nul": "a\u0000b"}}, "the value of header X-Nul holds a control character (0x00"),
        "bad_header_name": ({"url": url, "headers": {"Bad Name": "v"}}, "is not an HTTP token"),
        "crlf_token": ({"url": url, "bearer_token": "tok\nen"}, "bearer_token: the token holds a control character"),
        "missing_ca": ({"url": "https://127.0.0.1:1/mcp", "ca_path": str(tmp_path / "nope-ca.pem")},
                       f"ca_path: the file {tmp_path / 'nope-ca.pem'} does not exist"),
        "missing_cert": ({"url": "https://127.0.0.1:1/mcp", "client_cert": str(tmp_path / "nope-cert.pem")},
                         f"client_cert: the file {tmp_path / 'nope-cert.pem'} does not exist"),
        "bad_schema": ({"url": url, "calls": [{"name": "t", "schema": {"type": "no-such-type"}}]},
                       "calls[0].schema is not a valid JSON Schema"),
        "bad_load_schema": ({"url": url, "load": {"tool": "t", "schema": {"minItems": "two"}}},
                            "load.schema is not a valid JSON Schema"),
    }
    for key, (args, words) in others.items():
        tasks[key] = args
        expected[key] = words
    (tmp_path / "ca").mkdir()
    _result, results = run_tasks(tmp_path, tasks)
    for key, words in expected.items():
        res = results[key]
        assert res["failed"] and words in res["msg"], (key, res["msg"])
        assert "exchanges" not in res, key  # refused before any request
    assert "X-Injected" not in results["crlf_header"]["msg"]
    assert "tok" not in results["crlf_token"]["msg"].replace("token", "")


SECRETS = {"Authorization": "Bearer very-secret-bearer-4711", "X-Api-Key": "api-key-value-0815",
           "Cookie": "session=cookie-value-2342", "X-Upstream-Token": "upstream-token-1234"}


@pytest.mark.parametrize("verbosity", [(), ("-vvv",)])
def test_credential_headers_are_masked_in_output_messages_and_invocation(tmp_path, hostile, verbosity):
    tasks = {
        "passes": {"url": f"{hostile.base}/ok", "headers": {**SECRETS, "X-Trace": "visible-trace-id"}},
        # The server quotes the request in its error page: the message must not carry the secrets.
        "echoed": {"url": f"{hostile.base}/echo-headers", "headers": SECRETS},
    }
    result, results = run_tasks(tmp_path, tasks, *verbosity, via="playbook")
    assert not results["passes"].get("failed"), results["passes"]["msg"]
    assert results["echoed"]["failed"] and "HTTP 401" in results["echoed"]["msg"]
    everything = result.stdout + result.stderr + json.dumps(results)
    for value in SECRETS.values():
        secret = value.split("=")[-1].split(" ")[-1]
        assert secret not in everything, secret
    if verbosity:
        assert "visible-trace-id" in result.stdout  # the invocation is shown, only the credentials are masked
        assert "********" in result.stdout or "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.stdout


# ---------------------------------------------------------------------------------------------
# TLS: the transport's own https, with the module's ca_path / validate_certs; a silent TLS peer.


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, written as PEM files (made here with `cryptography`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcp-verify-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Mute:
    """Accepts TCP connections and never says a word (a TLS handshake that never ends)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held: list = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_https_with_ca_path_without_it_and_a_silent_tls_peer(tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    mute = Mute()
    with Hostile() as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
        base = server.base.replace("http://", "https://")
        tasks = {
            "trusted": {"url": f"{base}/ok", "ca_path": str(cert_file), "expected_tools": ["t"]},
            "untrusted": {"url": f"{base}/ok", "timeout": 5},
            "unchecked": {"url": f"{base}/ok", "validate_certs": False},
            "silent_tls": {"url": f"https://127.0.0.1:{mute.port}/mcp", "timeout": 1, "validate_certs": False},
            "not_a_ca_file": {"url": f"{base}/ok", "ca_path": str(key_file)},
        }
        try:
            started = time.monotonic()
            unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            client = _mcp.McpClient(_mcp_http.HttpTransport(unverified), f"https://127.0.0.1:{mute.port}/mcp", timeout=1.0)
            with pytest.raises(_mcp.McpError, match="timed out in the TLS handshake"):
                client.open()
            assert time.monotonic() - started < 1.0 + MARGIN
            _result, results = run_tasks(tmp_path, tasks)
        finally:
            mute.close()
    assert not results["trusted"].get("failed"), results["trusted"]["msg"]
    assert results["trusted"]["server_info"]["name"] == "hostile"
    assert results["untrusted"]["failed"] and "CERTIFICATE_VERIFY_FAILED" in results["untrusted"]["msg"]
    assert not results["unchecked"].get("failed"), results["unchecked"]["msg"]
    assert results["silent_tls"]["failed"] and "timed out in the TLS handshake" in results["silent_tls"]["msg"]
    assert results["not_a_ca_file"]["failed"] and f"ca_path {key_file}" in results["not_a_ca_file"]["msg"]
