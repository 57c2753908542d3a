# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The one CLI layer of the collection's modules (module side: it takes the AnsibleModule).

Finding a binary (a ``*_path`` option, else ``PATH``), the kubeconfig/context arguments, running a
command with an argument list (never a shell) and a time limit, reading its JSON, and failing
with ``cmd``, ``rc`` and a bounded ``stdout``/``stderr`` stripped of ANSI and control characters.
No module calls ``get_bin_path`` or ``run_command`` itself.
"""
from __future__ import annotations

import json
import os
import threading
from typing import NamedTuple

from ansible_collections.mcpmesh.platform.plugins.module_utils import _deadline, _text

# The kubeconfig options every module that reaches a cluster takes; documented by the
# mcpmesh.platform._kubernetes doc fragment (the same names kubernetes.core uses).
K8S_ARG_SPEC = dict(kubeconfig=dict(type="path"), context=dict(type="str"))

_CONTEXT_FLAG = {"kubectl": "--context", "linkerd": "--context", "helm": "--kube-context"}


class CliResult(NamedTuple):
    rc: int
    stdout: str
    stderr: str
    cmd: list
    timed_out: bool = False


def find_binary(module, name: str) -> str | None:
    """The path of ``name`` on PATH, or None (for modules that report a missing tool themselves)."""
    return module.get_bin_path(name)


class Cli:
    """One CLI a module runs.

    ``path_option`` names the module option that may point at the binary. With ``required=False``
    a missing binary leaves ``path`` None instead of failing (see :attr:`found`).
    ``hint`` says how to get the binary; ``why`` what it is needed for (or ``missing`` is the whole
    message when it is not on PATH); ``environ`` is added to the environment of every run;
    ``context`` is the default of :meth:`k8s_args` before the module's ``context`` option.
    """

    def __init__(self, module, name: str, path_option: str | None = None, *, why: str | None = None,
                 hint: str | None = None, required: bool = True, environ: dict | None = None,
                 context: str | None = None, missing: str | None = None):
        self.module = module
        self.name = name
        self.environ = dict(environ or {})
        self._context = context
        self._missing = missing
        given = module.params.get(path_option) if path_option else None
        if given:
            if not (os.path.isfile(given) and os.access(given, os.X_OK)):
                self._fail_missing(f"{path_option} is {_text.quote(given, 200)}, which is not an executable file",
                                   path_option, why, hint)
            self.path = given
        else:
            self.path = find_binary(module, name)
            if not self.path and required:
                self._fail_missing(self._missing or f"The {name} CLI is not on PATH", path_option, why, hint,
                                   whole=bool(self._missing))

    def _fail_missing(self, what, path_option, why, hint, whole=False):
        if whole:
            self.module.fail_json(msg=what)
        needed = f" (needed to {why})" if why else ""
        todo = hint or f"Install the {self.name} CLI"
        if path_option:
            todo += f", or set {path_option}"
        self.module.fail_json(msg=f"{what}{needed}. {todo}.")

    @property
    def found(self) -> bool:
        return bool(self.path)

    def k8s_args(self, flag_style: str = "kubectl", *, kubeconfig: str | None = None,
                 context: str | None = None) -> list[str]:
        """``--kubeconfig``/``--context`` (``--kube-context`` for helm) from the module's options."""
        if flag_style not in _CONTEXT_FLAG:
            raise ValueError(f"unknown flag style {flag_style!r}")
        params = self.module.params
        kubeconfig = kubeconfig or params.get("kubeconfig")
        context = context or self._context or params.get("context")
        args = []
        if kubeconfig:
            args += ["--kubeconfig", kubeconfig]
        if context:
            args += [_CONTEXT_FLAG[flag_style], context]
        return args

    def run(self, args: list, timeout: float | None = None, check_rc: bool = True, data: str | None = None,
            what: str | None = None, **extra) -> CliResult:
        """Run ``[path, *args]``; with ``check_rc`` a non-zero exit fails the module (``what`` names the step).

        ``timeout`` (seconds) kills the command when it runs longer; that counts as a failure
        (``timed_out``, rc -9). Only the command itself is killed: a child it started and that keeps
        its output open would keep the read going (the CLIs run here do not fork such children).
        Output that is not UTF-8 is read with replacement characters.
        """
        cmd = [self.path, *[str(arg) for arg in args]]
        timed_out = threading.Event()
        timer = []

        def arm(proc):
            if timeout is None:
                return

            def kill():
                timed_out.set()
                try:
                    proc.kill()
                except OSError:  # pragma: no cover - already gone
                    pass

            timer.append(threading.Timer(max(float(timeout), 0.001), kill))
            timer[0].daemon = True
            timer[0].start()

        try:
            rc, out, err = self.module.run_command(cmd, data=data, environ_update=self.environ or None,
                                                   errors="replace", before_communicate_callback=arm)
        finally:
            for t in timer:
                t.cancel()
        result = CliResult(rc, out or "", err or "", cmd, timed_out.is_set())
        if result.timed_out and check_rc:
            self.fail(f"{what or self.describe(result)} did not finish within {timeout:g} s and was stopped", result,
                      **extra)
        if rc != 0 and check_rc:
            self.fail(f"{what or self.describe(result)} failed (rc {rc}): {self.error_line(result)}", result, **extra)
        return result

    def problem(self, result: CliResult, hint: str = "") -> str | None:
        """For a module that retries a reading: the sentence for a run that was stopped or failed, else None.

        ``hint`` (what to check next) follows a failure's last line."""
        if result.timed_out:
            return f"{self.describe(result)} did not finish and was stopped"
        if result.rc != 0:
            return f"{self.describe(result)} failed (rc {result.rc}): {self.error_line(result)}" + (f"; {hint}" if hint else "")
        return None

    def run_json(self, args: list, timeout: float | None = None, check_rc: bool = True, data: str | None = None,
                 what: str | None = None, **extra):
        """:meth:`run`, then its stdout as JSON; output that is not JSON fails the module."""
        result = self.run(args, timeout=timeout, check_rc=check_rc, data=data, what=what, **extra)
        try:
            return json.loads(result.stdout)
        except (ValueError, RecursionError) as exc:
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            self.fail(f"{what or self.describe(result)} printed something that is not JSON ({_text.cut(problem, 200)}); "
                      f"check that {self.path} is the {self.name} CLI", result, **extra)
        return None  # not reached

    @staticmethod
    def describe(result: CliResult) -> str:
        """The command for a sentence: the binary's name and its first arguments."""
        shown = [os.path.basename(str(result.cmd[0]))] + [str(arg) for arg in result.cmd[1:6]]
        return "`" + _text.clean(" ".join(shown), 200, keep_newlines=False) + (" ...`" if len(result.cmd) > 6 else "`")

    @staticmethod
    def error_line(result: CliResult) -> str:
        """What a failure message quotes: the last line of stderr, else of stdout, cleaned and cut."""
        return _text.last_line(result.stderr) or _text.last_line(result.stdout) or "nothing on stdout or stderr"

    def fail(self, msg: str, result: CliResult | None = None, **extra) -> None:
        """fail_json with the message cleaned, and the command, its exit status and bounded output."""
        self.module.fail_json(**failure(msg, result, **extra))


def failure(msg: str, result: CliResult | None = None, **extra) -> dict:
    """The keyword arguments of a fail_json for ``msg`` and an optional command result."""
    out = dict(extra)
    if result is not None:
        out.update(cmd=list(result.cmd), rc=result.rc, stdout=_text.clean(result.stdout),
                   stderr=_text.clean(result.stderr))
    out["msg"] = _text.clean(msg, 4000)
    return out


def read_text(module, path: str, what: str, todo: str) -> str:
    """The UTF-8 text of the file ``path``; a file that cannot be opened fails the module.

    The message is ``cannot read <what><path>: <reason>; <todo>``. Text that is not UTF-8 raises
    UnicodeDecodeError, which the caller reports its own way.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        module.fail_json(msg=f"cannot read {what}{path}: {exc.strerror}; {todo}")
    return ""  # not reached


def check_seconds(module, *names: str) -> None:
    """Fail naming the option when a number of seconds is NaN, infinite, or more than a day."""
    for name in names:
        value = module.params.get(name)
        if value is None:
            continue
        try:
            _deadline.Deadline(max(value, 0) if _text.finite_number(value) else value, clock=lambda: 0.0)
        except ValueError as exc:
            module.fail_json(msg=f"{name}: {exc}".replace("the timeout", "it"))


def option_args(params: dict, flags: dict) -> list[str]:
    """``[flag, value]`` for each option named in ``flags`` (option -> flag) that is set, in the order of ``flags``."""
    return [arg for option, flag in flags.items() if params.get(option) for arg in (flag, params[option])]


def options_of(type_: str, *names: str, **extras) -> dict:
    """The argument spec of a group of options of one type and the same extras, ``{name: dict(type=type_,
    **extras)}`` in the order given (a new dict for each name: AnsibleModule may change them), to spread with
    ``**`` into an ``argument_spec``: ``options_of("float", "p50_ms", "p99_ms")``,
    ``options_of("str", "client_image", "fail_image", required=True)``."""
    return {name: dict(type=type_, **extras) for name in names}


def wait_spec(timeout: int, interval: int = 5, interval_name: str = "poll_interval") -> dict:
    """The argument spec of a bounded wait: ``wait_timeout`` and the seconds between two attempts."""
    return {"wait_timeout": dict(type="int", default=timeout), interval_name: dict(type="int", default=interval)}


# The container engine option of the modules that reach kind's engine (kind_cluster, metallb_range).
RUNTIME_ARG_SPEC = dict(runtime=dict(type="str", choices=["docker", "podman", "auto"], default="auto"))


def viz_spec(timeout: int, interval: int = 5) -> dict:
    """The argument spec of a module reading Linkerd viz figures (the ``_linkerd_viz`` and ``_kubernetes`` fragments).

    ``wait_timeout`` (documented by the module, default ``timeout``) and ``poll_interval`` (a module documenting
    another default than the fragment's passes it as ``interval``), ``linkerd_path``, ``fail_on_problems`` and the
    kubeconfig options.
    """
    return {**wait_spec(timeout, interval), "linkerd_path": dict(type="path"),
            "fail_on_problems": dict(type="bool", default=True), **K8S_ARG_SPEC}


def poll_viz(attempt, deadline, poll_interval: int):
    """``(reading, attempts)``: ``attempt()`` polled until it returns a reading with no ``problems``, or one whose
    ``garbage`` says the CLI printed something that is not its JSON (reading again does not mend that)."""
    return _deadline.poll(attempt, deadline, max(poll_interval, 1),
                          done=lambda reading: reading["garbage"] is not None or not reading["problems"])


def finish_viz(module, cli: Cli, reading: dict, result: dict, printed: str, hint: str, msg) -> None:
    """End a module that read viz figures with :func:`poll_viz`: fail at once on garbage (``printed``: what the
    CLI should have printed; ``hint``: what else to check about the CLI), else set ``success`` and end as
    :func:`finish` does, failing with the command's output and ``msg`` (a function giving the message)."""
    run = reading["run"]
    if reading["garbage"] is not None:
        cli.fail(f"{cli.describe(run)} printed something that is not {printed} ({reading['garbage']}). "
                 f"Check that linkerd_path is the linkerd CLI with the viz extension{hint}.", run, **result)
    result["success"] = not result["problems"]
    if result["problems"] and module.params["fail_on_problems"]:
        cli.fail(msg(), run, **result)
    module.exit_json(**result)


def finish(module, result: dict, problems: list, msg) -> None:
    """End the module: ``fail_json(msg=msg, **result)`` when there are ``problems`` and ``fail_on_problems``
    is true, else ``exit_json(**result)``. ``msg`` may be a function giving the message, built only then."""
    if problems and module.params["fail_on_problems"]:
        module.fail_json(msg=msg() if callable(msg) else msg, **result)
    module.exit_json(**result)


def new_module(module_class, argument_spec: dict, *, seconds: tuple = (), **kwargs):
    """The ``AnsibleModule`` a module of the collection starts with: ``module_class(argument_spec, **kwargs)``.

    Check mode is supported (every module of the collection supports it), and the options named in
    ``seconds`` are checked with :func:`check_seconds` before the module goes on. ``module_class`` is
    ``AnsibleModule``, passed in so that this file imports nothing from Ansible.
    """
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **kwargs)
    check_seconds(module, *seconds)
    return module
