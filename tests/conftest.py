# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test plumbing.

* Puts ``.collections`` (made by ``make setup``) on ``sys.path`` so that tests
  import module_utils as ``ansible_collections.mcpmesh.platform.plugins.module_utils``.
* Offers ``run_playbook`` to run a playbook through the real ``ansible-playbook``
  with this checkout's ``ansible.cfg``, ``parse_recap`` to read its PLAY RECAP, and
  ``run_module`` to run one module the way Ansible runs it on a target (or, asked, as a task).
"""
from __future__ import annotations

import difflib
import fcntl
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


# The files that take longest (minutes each), started first so that under pytest-xdist
# (`make test`: --dist loadfile --no-loadscope-reorder) no worker is left with one of them at the
# end while the others idle. Only the order changes; every test still runs.
LONGEST_FIRST = ("test_molecule.py", "test_sanity.py", "test_lint.py", "test_petstore_verify.py",
                 "test_ansible_test_units.py", "test_cosmonic_line.py", "test_render_clusters.py")


def pytest_collection_modifyitems(config, items):
    def weight(item) -> tuple[int, int]:
        name = item.path.name
        if name in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(name))
        return (1, 0) if item.get_closest_marker("slow") else (2, 0)
    items.sort(key=weight)  # stable: a file's tests stay together and in their order


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
        self.args = [str(arg) for arg in proc.args] if isinstance(proc.args, list) else proc.args
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
               env: dict[str, str] | None = None, via: str = "module") -> PlaybookResult:
    """Run one module and keep what it returned.

    ``via="module"`` (the default) runs the module's own file as Ansible's executor does on the
    target: a new Python process, the arguments as ``ANSIBLE_MODULE_ARGS`` (``--check``, ``--diff``
    and ``-v`` in ``extra`` become ``_ansible_check_mode``, ``_ansible_diff`` and
    ``_ansible_verbosity``), its JSON answer on stdout. That skips only the controller (about two
    seconds a run): what the controller adds, its callback's rendering, ``no_log`` masking of the
    display, action plugins, is tested through ``via="playbook"`` and tests/integration/test_secrets_output.py.
    ``.stdout`` then holds the answer as the yaml callback would list it (``msg:``, ``rc:``, ``cmd:``),
    and ``.recap`` the one host's counts, so a test reads either runner the same way.

    ``via="playbook"`` runs the module as a task of a one-task ``ansible-playbook`` run.

    The result is on ``.result`` (None when the module never answered); a failing module fails the
    run (rc 2, as ``ansible-playbook`` exits when a task failed). ``bin_dir`` goes first on PATH, for
    stand-in CLIs.
    """
    run_env = dict(env or {})
    if bin_dir is not None:
        run_env["PATH"] = f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}/bin"
    if via == "playbook":
        return _run_module_in_a_playbook(workdir, module, args, *extra, env=run_env)
    if via != "module":
        raise ValueError(f"via must be module or playbook, not {via!r}")
    return _run_module_file(workdir, module, args, *extra, env=run_env)


_DIRECT_FLAGS = {"--check": ("_ansible_check_mode", True), "-C": ("_ansible_check_mode", True),
                 "--diff": ("_ansible_diff", True), "-D": ("_ansible_diff", True)}


def _run_module_file(workdir: Path, module: str, args: dict, *extra: str, env: dict[str, str]) -> PlaybookResult:
    namespace, collection, name = module.split(".")
    internal = {"_ansible_check_mode": False, "_ansible_diff": False, "_ansible_verbosity": 0,
                "_ansible_remote_tmp": str(workdir / ".ansible-tmp"), "_ansible_module_name": module}
    for flag in extra:
        if flag in _DIRECT_FLAGS:
            key, value = _DIRECT_FLAGS[flag]
            internal[key] = value
        elif re.fullmatch(r"-v+", flag):
            internal["_ansible_verbosity"] = len(flag) - 1
        else:
            raise ValueError(f"run_module(via='module') does not know {flag!r}; use via='playbook'")
    args_file = workdir / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, **internal}}))
    args_file.chmod(0o600)
    run_env = ansible_env(**env)
    run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_collections_root()), run_env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}",
                           str(args_file)], cwd=workdir, env=run_env, capture_output=True, text=True,
                          timeout=600, check=False)
    args_file.unlink()
    answer = _module_answer(proc.stdout)
    if answer is not None:  # what a task registers: the executor adds failed and keeps invocation out
        answer.pop("invocation", None)
        answer.setdefault("failed", False)
        for key in ("warnings", "deprecations"):  # the controller registers each as its message text
            if isinstance(answer.get(key), list):
                answer[key] = [_event_text(item) for item in answer[key]]
    failed = answer is None or bool(answer.get("failed")) or proc.returncode != 0
    shown = "" if answer is None else _shown_answer(answer)
    status = "fatal" if failed else ("changed" if answer.get("changed") else "ok")
    stdout = f"{status}: [localhost] => {module}\n{shown}"
    if answer is not None and internal["_ansible_diff"]:
        stdout += "".join(_shown_diff(diff) for diff in _diffs(answer.get("diff")))
    done = subprocess.CompletedProcess(proc.args, 2 if failed else 0, stdout, proc.stderr if answer is not None
                                       else f"{proc.stderr}\n--- module stdout (not JSON) ---\n{proc.stdout}")
    res = PlaybookResult(done)
    res.recap = {"localhost": {"ok": 0 if failed else 1, "changed": int(bool(answer and answer.get("changed") and not failed)),
                               "unreachable": 0, "failed": int(failed), "skipped": 0, "rescued": 0, "ignored": 0}}
    res.result = answer
    return res


def _event_text(item):
    """A warning or deprecation as ansible-core 2.19 modules serialise it ({"event": {"msg": ...}}) -> its text."""
    if isinstance(item, dict) and isinstance(item.get("event"), dict):
        return str(item["event"].get("msg", ""))
    return item


def _module_answer(stdout: str) -> dict | None:
    """The module's JSON answer: the last line of stdout that is a JSON object, as Ansible reads it."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _shown_answer(answer: dict) -> str:
    """Each key on its own line, text as it is (not YAML-quoted), nested values as YAML."""
    lines = []
    for key, value in sorted(answer.items()):
        if isinstance(value, (dict, list)):
            lines.append(f"{key}:\n" + yaml.safe_dump(value, width=float("inf"), sort_keys=True).rstrip("\n"))
        elif isinstance(value, str):
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _diffs(diff) -> list[dict]:
    return [d for d in (diff if isinstance(diff, list) else [diff]) if isinstance(d, dict)]


def _shown_diff(diff: dict) -> str:
    """A before/after diff as unified diff lines (what ``--diff`` shows for it)."""
    if "prepared" in diff:
        return str(diff["prepared"]) + "\n"
    before, after = str(diff.get("before", "")), str(diff.get("after", ""))
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        diff.get("before_header", "before"), diff.get("after_header", "after")))


def _run_module_in_a_playbook(workdir: Path, module: str, args: dict, *extra: str, env: dict[str, str]) -> PlaybookResult:
    path, out = workdir / "pb.yml", workdir / "result.json"
    out.unlink(missing_ok=True)
    tasks = [
        {"name": "Run the module.", module: args, "register": "result", "ignore_errors": True},
        {"name": "Keep the result.", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out), "mode": "0600"},
         "check_mode": False, "changed_when": False},
        {"name": "Fail as the module did.", "ansible.builtin.fail": {"msg": "{{ result.msg }}"}, "when": "result is failed"},
    ]
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    res = run_playbook(path, *extra, env=env)
    res.result = json.loads(out.read_text()) if out.exists() else None
    return res


def run_module_tasks(workdir: Path, module: str, tasks: dict[str, dict], *extra: str, env: dict[str, str] | None = None,
                     via: str = "module", timeout: int = 300) -> tuple[PlaybookResult, dict[str, dict]]:
    """Run ``module`` once per entry of ``tasks`` (key -> arguments), in order, as a play would.

    Returns the run (``.stdout``/``.stderr`` of every run together) and each key's registered
    result. A failing run fails only its own entry (as ``ignore_errors: true`` would); a
    traceback anywhere fails the test. ``via`` is as for :func:`run_module`: ``"playbook"`` runs
    one ``ansible-playbook`` with a task per entry, for checks of what the controller displays
    (``no_log`` masking at ``-v``, warnings on stderr).
    """
    if via == "playbook":
        result, results = _run_module_tasks_in_a_playbook(workdir, module, tasks, *extra, env=env or {}, timeout=timeout)
    else:
        runs, results = [], {}
        for key, args in tasks.items():
            run = run_module(workdir, module, args, *extra, env=env, via=via)
            runs.append(run)
            results[key] = run.result if run.result is not None else {"failed": True, "msg": run.stderr[-3000:]}
        result = PlaybookResult(subprocess.CompletedProcess(
            [module], 0, "".join(run.stdout for run in runs), "".join(run.stderr for run in runs)))
        failed = sum(run.localhost["failed"] for run in runs)  # counted as a play counts ignored errors
        result.recap = {"localhost": {"ok": len(runs) - failed, "changed": sum(run.localhost["changed"] for run in runs),
                                      "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": failed}}
    assert result.rc == 0, result
    assert "Traceback" not in result.stdout + result.stderr, result
    return result, results


def _run_module_tasks_in_a_playbook(workdir: Path, module: str, tasks: dict[str, dict], *extra: str,
                                    env: dict[str, str], timeout: int) -> tuple[PlaybookResult, dict[str, dict]]:
    out = workdir / "results.json"
    play_tasks = [{"name": f"Run {key}.", module: args, "register": key, "ignore_errors": True} for key, args in tasks.items()]
    saved = "{" + ", ".join(f"'{key}': {key}" for key in tasks) + "}"
    play_tasks.append({"name": "Save the results.", "check_mode": False, "changed_when": False,
                       "ansible.builtin.copy": {"content": f"{{{{ {saved} | to_json }}}}", "dest": str(out), "mode": "0600"}})
    playbook = workdir / "tasks.yml"
    playbook.write_text(json.dumps([{"name": f"Run {module}.", "hosts": "localhost", "gather_facts": False,
                                     "tasks": play_tasks}]))
    result = run_playbook(playbook, *extra, env=env, timeout=timeout)
    return result, (json.loads(out.read_text()) if out.exists() else {})


# The licences unset, as users without them run it (and as tests/golden/site.json is made).
NO_LICENCES = {"BUOYANT_LICENSE": "", "COSMONIC_LICENSE_KEY": ""}


@pytest.fixture(scope="session")
def default_site_render(tmp_path_factory) -> tuple[PlaybookResult, Path]:
    """``site.yml`` render-only with the defaults, rendered once for the whole session: (run, artifacts).

    Run as the README tells users to, ``-e mcpmesh_apply=false`` (key=value: the STRING "false"),
    with the licences unset. Under pytest-xdist the first worker that asks renders it and the
    others wait for it (a lock in the folder the workers share), so the tests of every file that
    read the default render share one ``ansible-playbook`` run. The artifacts are for reading only.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "default-site-render"
    folder.mkdir(exist_ok=True)
    artifacts, saved = folder / "artifacts", folder / "run.json"
    with open(folder / "lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            run = run_playbook(ROOT / "site.yml", "-e", "mcpmesh_apply=false", "-e", f"mcpmesh_artifacts_dir={artifacts}",
                               env=NO_LICENCES)
            saved.write_text(json.dumps({"args": run.args, "rc": run.rc, "stdout": run.stdout, "stderr": run.stderr}))
        fcntl.flock(lock, fcntl.LOCK_UN)
    data = json.loads(saved.read_text())
    return PlaybookResult(subprocess.CompletedProcess(data["args"], data["rc"], data["stdout"], data["stderr"])), artifacts


@pytest.fixture
def bin_dir(tmp_path):
    """An empty folder for stand-in CLIs; run_module(..., bin_dir=...) puts it first on PATH."""
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def playbook():
    return run_playbook
