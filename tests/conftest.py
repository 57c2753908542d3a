# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test plumbing.

* Puts ``.collections`` (made by ``make setup``) on ``sys.path`` so that tests
  import module_utils as ``ansible_collections.mcpmesh.platform.plugins.module_utils``.
* Offers ``run_playbook`` to run a playbook through the real ``ansible-playbook``
  with this checkout's ``ansible.cfg``, and ``parse_recap`` to read its PLAY RECAP.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
BIN = Path(sys.executable).parent


def _collections_root() -> Path:
    """Where ``ansible_collections`` is: our ``.collections`` (``make setup``), or the plain
    ``ansible_collections/mcpmesh/platform`` tree this checkout sits in (``ansible-test units``)."""
    if (COLLECTIONS / "ansible_collections" / "mcpmesh" / "platform").exists():
        return COLLECTIONS
    if ROOT.parent.name == "mcpmesh" and ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parent.parent.parent
    raise RuntimeError("run `make setup-test` first: .collections/ansible_collections is missing")


if str(_collections_root()) not in sys.path:
    sys.path.insert(0, str(_collections_root()))


def pytest_configure(config):
    # The markers of pytest.ini, registered here too: ansible-test runs pytest with its own config.
    for marker in ("slow: runs a CLI tool", "peers: needs the real MCP peer servers",
                   "cluster: needs Docker and the internet"):
        config.addinivalue_line("markers", marker)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ansible_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
        PY_COLORS="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)",
    re.M,
)


def parse_recap(stdout: str) -> dict[str, dict[str, int]]:
    """Return {host: {ok, changed, failed, ...}} from the PLAY RECAP of a run."""
    return {
        m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"}
        for m in RECAP.finditer(stdout)
    }


class PlaybookResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.result = None  # what the module returned, set by run_module
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.recap = parse_recap(proc.stdout)

    @property
    def localhost(self) -> dict[str, int]:
        return self.recap.get("localhost", {})

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"rc={self.rc}\n--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


def run_playbook(playbook: str | Path, *args: str, extra_vars: dict | None = None,
                 env: dict[str, str] | None = None, timeout: int = 600) -> PlaybookResult:
    cmd = [str(BIN / "ansible-playbook"), str(playbook), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(**(env or {})), capture_output=True,
                          text=True, timeout=timeout, check=False)
    return PlaybookResult(proc)


def run_module(workdir: Path, module: str, args: dict, *extra: str, bin_dir: Path | None = None,
               env: dict[str, str] | None = None) -> PlaybookResult:
    """Run one module through ``ansible-playbook`` and keep what it returned.

    The result is on ``.result`` (None when the module never ran); a failing module still fails
    the run, with its own message. ``bin_dir`` goes first on PATH, for stand-in CLIs.
    """
    path, out = workdir / "pb.yml", workdir / "result.json"
    out.unlink(missing_ok=True)
    tasks = [
        {"name": "Run the module.", module: args, "register": "result", "ignore_errors": True},
        {"name": "Keep the result.", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out), "mode": "0600"},
         "check_mode": False, "changed_when": False},
        {"name": "Fail as the module did.", "ansible.builtin.fail": {"msg": "{{ result.msg }}"}, "when": "result is failed"},
    ]
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    run_env = dict(env or {})
    if bin_dir is not None:
        run_env["PATH"] = f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}/bin"
    res = run_playbook(path, *extra, env=run_env)
    res.result = json.loads(out.read_text()) if out.exists() else None
    return res


@pytest.fixture
def bin_dir(tmp_path):
    """An empty folder for stand-in CLIs; run_module(..., bin_dir=...) puts it first on PATH."""
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def playbook():
    return run_playbook
