# SPDX-License-Identifier: GPL-3.0-or-later
"""The tool_install module and the tools role against a loopback HTTP server started by the test.

The server (http.server in a thread, on 127.0.0.1) plays the download origins behind a tools mirror:
it serves each release file at ``/<mirror prefix>/<origin host>/<origin path>``, as ``wget -x`` lays
a mirror out, and records every request. The served "binaries" are shell stand-ins printing the
version outputs recorded in tests/fixtures/preflight (see SOURCE.md there); the helm file is a
``.tar.gz`` laid out like helm's releases (``<os>-<arch>/helm`` beside ``LICENSE`` and ``README.md``,
helm's scripts/get-helm-3 takes the binary from there). The pinned digests are a test-only map: the
real ones, of the real release files, cannot match these stand-ins.

Cases: install; a wrong digest (refused, both digests named, nothing left); a second run (the server
sees no request); a download the server cuts mid-body (no binary); a 404; check mode; a tampered
binary (downloaded again). Then the role, twice: it installs what is missing, and the second run
changes nothing and asks the server for nothing.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import BIN, ROOT, run_playbook

FIXTURES = ROOT / "tests" / "fixtures" / "preflight"
pytestmark = pytest.mark.slow

PLATFORM = "linux-amd64"
PREFIX = "/mirror"
# The origin path of each release file for linux-amd64 (what the module must ask the mirror for).
ORIGIN = {
    "kind": "/github.com/kubernetes-sigs/kind/releases/download/v0.32.0/kind-linux-amd64",
    "kubectl": "/dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl",
    "helm": "/get.helm.sh/helm-v3.20.0-linux-amd64.tar.gz",
    "linkerd": "/github.com/linkerd/linkerd2/releases/download/edge-26.8.3/linkerd2-cli-edge-26.8.3-linux-amd64",
}
VERSIONS = {"kind": "v0.32.0", "kubectl": "v1.36.1", "helm": "v3.20.0", "linkerd": "edge-26.8.3"}
RECORDED = {"kind": "kind-version.stdout", "kubectl": "kubectl-version-client.json",
            "helm": "helm-version-short.stdout", "linkerd": "linkerd-version-client-short.stdout"}


def stand_in(name: str) -> bytes:
    """A binary that prints the recorded version output of ``name`` (shell builtins only: PATH is bare)."""
    text = (FIXTURES / RECORDED[name]).read_text()
    lines = "".join(f"printf '%s\\n' '{line}'\n" for line in text.splitlines())
    return f"#!/bin/sh\n# stand-in {name} {VERSIONS[name]}\n{lines}".encode()


def helm_archive(binary: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, mode in (("linux-amd64/", None, 0o755), ("linux-amd64/LICENSE", b"Apache License 2.0\n", 0o644),
                                 ("linux-amd64/README.md", b"Helm\n", 0o644), ("linux-amd64/helm", binary, 0o755)):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Origins:
    """What the loopback server serves: path -> (body, how). how: ``ok``, or ``cut`` (announce the
    whole length, send a third, close the connection)."""

    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def handler(self):
        origins = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest's output clean
                pass

            def do_GET(self):
                with origins.lock:
                    origins.requests.append(self.path)
                body, how = origins.files.get(self.path, (None, None))
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if how == "cut":
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        return Handler


@pytest.fixture(scope="module")
def origins():
    served = Origins()
    server = ThreadingHTTPServer(("127.0.0.1", 0), served.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def run_cases(tmp: Path, steps: list[dict], env_path: str) -> tuple[dict, object]:
    """One ansible-playbook run of every step; returns {register name: result} and the run."""
    out = tmp / "results.json"
    registered = [s["register"] for s in steps if "register" in s]
    tasks = steps + [{
        "name": "Keep every result.",
        "ansible.builtin.copy": {"content": "{{ {" + ", ".join(f"'{r}': {r}" for r in registered) + "} | to_json }}",
                                 "dest": str(out), "mode": "0600"},
        "check_mode": False, "changed_when": False}]
    playbook = tmp / "cases.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    res = run_playbook(playbook, env={"PATH": env_path})
    assert out.exists(), res
    return json.loads(out.read_text()), res


@pytest.fixture(scope="module")
def module_run(origins, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tool-install")
    kind, kubectl, linkerd = stand_in("kind"), stand_in("kubectl"), stand_in("linkerd")
    helm = stand_in("helm")
    archive = helm_archive(helm)
    origins.files.update({
        PREFIX + ORIGIN["kind"]: (kind, "ok"),
        PREFIX + ORIGIN["kubectl"]: (kubectl, "ok"),
        PREFIX + ORIGIN["helm"]: (archive, "ok"),
        PREFIX + ORIGIN["linkerd"]: (linkerd * 400, "cut"),
    })
    dirs = {name: tmp / name / "bin" for name in ("good", "wrong", "cut", "helm", "check", "missing", "nopin")}
    dirs["wrong"].mkdir(parents=True)  # exists and is empty: must stay empty
    mirror = origins.url + PREFIX + "/"  # a trailing slash is fine

    def install(reg, name, dest, digest, **extra):
        args = {"name": name, "version": VERSIONS[name], "dest": str(dirs[dest]), "platform": PLATFORM,
                "mirror": mirror, "checksums": {PLATFORM: digest} if digest else {}, "timeout": 10}
        args.update(extra)
        return {"name": f"Run case {reg}.", "mcpmesh.platform.tool_install": args, "register": reg,
                "ignore_errors": True}

    def marker(reg):
        return {"name": f"Mark {reg} in the server's log.", "ansible.builtin.uri": {"url": f"{origins.url}/marker/{reg}",
                "status_code": [404]}, "register": reg}

    steps = [
        install("first", "kind", "good", "sha256:" + sha(kind).upper()),
        marker("after_first"),
        install("second", "kind", "good", sha(kind)),
        marker("after_second"),
        {"name": "Tamper with the installed kind.", "ansible.builtin.copy": {
            "content": "#!/bin/sh\necho not kind\n", "dest": str(dirs["good"] / "kind"), "mode": "0755"}},
        install("tampered", "kind", "good", sha(kind)),
        install("wrong", "kubectl", "wrong", sha(b"what the pin says kubectl is")),
        install("cut", "linkerd", "cut", sha(linkerd * 400)),
        install("helm", "helm", "helm", sha(archive)),
        marker("after_helm"),
        install("helm_again", "helm", "helm", sha(archive)),
        marker("after_helm_again"),
        dict(install("check", "kind", "check", sha(kind)), check_mode=True),
        marker("after_check"),
        install("missing", "kind", "missing", sha(kind), version="v0.31.0"),
        install("nopin", "kubectl", "nopin", None),
    ]
    results, res = run_cases(tmp, steps, f"{BIN}{os.pathsep}/bin")
    return {"results": results, "run": res, "dirs": dirs, "requests": list(origins.requests),
            "stand_ins": {"kind": kind, "helm": helm, "archive": archive}, "kubectl": kubectl}


def requests_between(requests: list[str], start: str, end: str) -> list[str]:
    return requests[requests.index(f"/marker/{start}") + 1: requests.index(f"/marker/{end}")]


def test_install_downloads_checks_and_makes_it_executable(module_run):
    first = module_run["results"]["first"]
    kind = module_run["stand_ins"]["kind"]
    assert first.get("failed") is not True, first
    assert first["changed"] and first["downloaded"], first
    assert first["url"].endswith("/mirror/github.com/kubernetes-sigs/kind/releases/download/v0.32.0/kind-linux-amd64")
    assert first["sha256"] == sha(kind) == first["binary_sha256"]  # the upper-case sha256: form was accepted
    assert module_run["requests"][0] == PREFIX + ORIGIN["kind"]
    assert first["previous_sha256"] is None


def test_second_run_downloads_nothing(module_run):
    second = module_run["results"]["second"]
    assert second.get("failed") is not True, second
    assert not second["changed"] and not second["downloaded"], second
    assert requests_between(module_run["requests"], "after_first", "after_second") == []


def test_a_tampered_binary_is_replaced(module_run):
    tampered = module_run["results"]["tampered"]
    assert tampered["changed"] and tampered["downloaded"], tampered
    assert tampered["previous_sha256"] == sha(b"#!/bin/sh\necho not kind\n")
    target = module_run["dirs"]["good"] / "kind"
    assert target.read_bytes() == module_run["stand_ins"]["kind"]
    assert os.access(target, os.X_OK)
    assert files_in(module_run["dirs"]["good"]) == ["kind"], "no temporary file may stay beside it"


def test_wrong_checksum_is_refused_with_both_digests_and_nothing_left(module_run):
    wrong = module_run["results"]["wrong"]
    assert wrong.get("failed") is True, wrong
    assert sha(module_run["kubectl"]) in wrong["msg"]
    assert sha(b"what the pin says kubectl is") in wrong["msg"]
    assert "nothing was written to" in wrong["msg"]
    assert "Traceback" not in json.dumps(wrong)
    assert files_in(module_run["dirs"]["wrong"]) == []


def test_a_download_cut_mid_body_never_becomes_a_binary(module_run):
    cut = module_run["results"]["cut"]
    assert cut.get("failed") is True, cut
    assert "stopped after" in cut["msg"] and "run again to retry" in cut["msg"], cut["msg"]
    assert files_in(module_run["dirs"]["cut"]) == []
    assert not module_run["dirs"]["cut"].exists(), "a folder the module created for nothing is removed"


def test_helm_comes_out_of_its_archive_and_is_not_fetched_twice(module_run):
    helm, again = module_run["results"]["helm"], module_run["results"]["helm_again"]
    assert helm.get("failed") is not True, helm
    assert helm["downloaded"] and helm["sha256"] == sha(module_run["stand_ins"]["archive"])
    assert helm["binary_sha256"] == sha(module_run["stand_ins"]["helm"])
    folder = module_run["dirs"]["helm"]
    assert (folder / "helm").read_bytes() == module_run["stand_ins"]["helm"]
    assert os.access(folder / "helm", os.X_OK)
    assert files_in(folder) == [".helm.mcpmesh-tool.json", "helm"]
    assert not again["changed"] and not again["downloaded"], again
    assert requests_between(module_run["requests"], "after_helm", "after_helm_again") == []


def test_check_mode_downloads_nothing_and_writes_nothing(module_run):
    check = module_run["results"]["check"]
    assert check["changed"] and not check["downloaded"], check
    assert requests_between(module_run["requests"], "after_helm_again", "after_check") == []
    assert not module_run["dirs"]["check"].exists()


def test_no_pin_means_no_download(module_run):
    missing, nopin = module_run["results"]["missing"], module_run["results"]["nopin"]
    assert missing.get("failed") is True and "answered HTTP 404" in missing["msg"], missing
    assert "wget -x" in missing["msg"]
    assert nopin.get("failed") is True, nopin
    assert "no SHA-256 is pinned for kubectl v1.36.1 on linux-amd64" in nopin["msg"]
    assert module_run["requests"].count(PREFIX + ORIGIN["kind"].replace("v0.32.0", "v0.31.0")) == 1
    assert not module_run["dirs"]["missing"].exists() and not module_run["dirs"]["nopin"].exists()
    asked_for_kubectl = [r for r in module_run["requests"] if r == PREFIX + ORIGIN["kubectl"]]
    assert len(asked_for_kubectl) == 1, "only the wrong-digest case asked for kubectl"


# The role, as site.yml runs it: PATH holds the venv and the system's commands but none of the four
# CLIs (this machine has a kubectl of its own), the play passes mcpmesh_tools_path on as environment,
# and a later task runs the installed kind.
ROLE_PREFIX = "/role-mirror"


@pytest.fixture(scope="module")
def role_runs(origins, tmp_path_factory):
    import platform as platform_module

    from ansible_collections.mcpmesh.platform.plugins.module_utils import _tools

    tmp = tmp_path_factory.mktemp("tools-role")
    here = _tools.platform_of(platform_module.system(), platform_module.machine())
    bodies = {name: stand_in(name) for name in VERSIONS}
    bodies["helm"] = helm_archive(stand_in("helm"))
    paths = {}
    for name, body in bodies.items():
        url = _tools.mirror_url(_tools.asset(name, VERSIONS[name], here)["url"], origins.url + ROLE_PREFIX)
        paths[name] = url[len(origins.url):]
        origins.files[paths[name]] = (body, "ok")
    tools_dir = tmp / "work" / ".mcpmesh" / "bin"
    system = tmp / "system-bin"  # /usr/bin without the CLIs the role installs
    system.mkdir()
    for command in Path("/usr/bin").iterdir():
        if command.name not in VERSIONS:
            (system / command.name).symlink_to(command)
    out = tmp / "out.json"
    playbook = tmp / "role.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "environment": {"PATH": "{{ mcpmesh_tools_path | default(lookup('ansible.builtin.env', 'PATH'), true) }}"},
        "tasks": [
            {"name": "Run the tools role.", "ansible.builtin.include_role": {"name": "mcpmesh.platform.tools"}},
            {"name": "Ask the installed kind for its version.", "ansible.builtin.command": "kind version",
             "register": "kind_version", "changed_when": False},
            {"name": "Keep what happened.", "ansible.builtin.copy": {
                "content": "{{ {'installed': tools_installed, 'kind': kind_version.stdout, 'path': mcpmesh_tools_path} | to_json }}",
                "dest": str(out), "mode": "0600"}, "check_mode": False, "changed_when": False},
        ]}]))
    pins = {name: {VERSIONS[name]: {here: sha(body)}} for name, body in bodies.items() if name != "linkerd"}
    base = {"tools_dir": str(tools_dir), "tools_mirror": origins.url + ROLE_PREFIX, "tools_checksums": pins}
    runs = []
    for extra in (base, dict(base, tools_linkerd_sha256=sha(bodies["linkerd"])), dict(base)):
        before = len(origins.requests)
        res = run_playbook(playbook, extra_vars=extra, env={"PATH": f"{BIN}{os.pathsep}{system}"})
        runs.append({"run": res, "out": json.loads(out.read_text()) if out.exists() else None,
                     "requests": origins.requests[before:]})
        out.unlink(missing_ok=True)
    return {"runs": runs, "paths": paths, "tools_dir": tools_dir}


def installed_names(out: dict) -> list[str]:
    return [r["item"] for r in out["installed"].get("results", []) if r.get("downloaded")]


def test_role_installs_what_is_missing_and_puts_it_on_path(role_runs):
    first = role_runs["runs"][0]
    assert first["run"].rc == 0, first["run"]
    assert installed_names(first["out"]) == ["kind", "kubectl", "helm"]
    assert first["out"]["kind"].startswith("kind v0.32.0"), "the play's later tasks find the installed kind"
    assert first["out"]["path"].split(os.pathsep)[0] == str(role_runs["tools_dir"])
    assert sorted(first["requests"]) == sorted(role_runs["paths"][n] for n in ("kind", "kubectl", "helm"))
    # No digest for linkerd: not downloaded, and the run says how to give one.
    assert role_runs["paths"]["linkerd"] not in first["requests"]
    assert "tools_linkerd_sha256" in first["run"].stdout and "publishes no checksum" in first["run"].stdout


def test_role_installs_linkerd_once_its_digest_is_given(role_runs):
    second = role_runs["runs"][1]
    assert second["run"].rc == 0, second["run"]
    assert installed_names(second["out"]) == ["linkerd"], "what the first run installed is found on PATH"
    assert second["requests"] == [role_runs["paths"]["linkerd"]]
    assert (role_runs["tools_dir"] / "linkerd").read_bytes() == stand_in("linkerd")


def test_role_second_run_changes_nothing_and_downloads_nothing(role_runs):
    third = role_runs["runs"][2]
    assert third["run"].rc == 0, third["run"]
    assert third["run"].localhost["changed"] == 0, third["run"]
    assert third["requests"] == []
    assert files_in(role_runs["tools_dir"]) == [".helm.mcpmesh-tool.json", "helm", "kind", "kubectl", "linkerd"]


# site.yml with the tools role on, render-only: tests/integration/test_render_playbooks.py renders the stack that way
# (test_render_only_site_with_tools_installs_nothing), so it is one render, not two.
