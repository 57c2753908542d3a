# SPDX-License-Identifier: GPL-3.0-or-later
"""The CLI layer (module_utils/_cli.py), the poller (_deadline.py) and the text bounding (_text.py).

The Cli class is driven with a small stand-in for AnsibleModule that runs real processes, so the
time limit, the decoding of binary output and the bounded failure are the real ones.
"""
from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _cli, _deadline, _text


class Failed(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    """What Cli uses of AnsibleModule: params, get_bin_path, run_command, fail_json."""

    def __init__(self, params=None, path=None):
        self.params = params or {}
        self.path = path
        self.calls = []

    def get_bin_path(self, name):
        return self.path

    def run_command(self, cmd, data=None, environ_update=None, errors="strict", before_communicate_callback=None):
        self.calls.append(cmd)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if before_communicate_callback:
            before_communicate_callback(proc)
        out, err = proc.communicate(data.encode() if data else None)
        return proc.returncode, out.decode("utf-8", errors), err.decode("utf-8", errors)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


PY = sys.executable


def python_cli(params=None):
    return _cli.Cli(FakeModule(params, path=PY), "python")


# ---------------------------------------------------------------- _text


def test_strip_control_removes_ansi_and_controls_but_keeps_lines():
    text = "\x1b[31merror\x1b[0m: \x1b]8;;http://x\x07link\x1b]8;;\x07 bad\x00\x07\u202e\r\nnext\tline"
    assert _text.strip_control(text) == "error: link bad\nnext\tline"
    assert _text.strip_control(text, keep_newlines=False) == "error: link bad next\tline"


def test_clean_cuts_and_says_how_much():
    assert _text.clean("x" * 2500) == "x" * 2000 + "... [500 more characters cut]"
    assert _text.clean(b"\xff\xfeok") == "\ufffd\ufffdok"


def test_names_counts_long_lists():
    assert _text.names([f"n{i}" for i in range(25)], limit=3) == "n0, n1, n2, and 22 more"
    assert _text.names(["a", "b"]) == "a, b"


def test_line_matches_reads_each_line_of_any_value():
    pattern = re.compile(r"(?P<code>\d{3}) rc=(?P<rc>\d+)$")
    found = _text.line_matches(pattern, "starting\n200 rc=0\nnoise 500 rc=1\n000 rc=7")
    assert [(m["code"], m["rc"]) for m in found] == [("200", "0"), ("000", "7")]
    assert _text.line_matches(pattern, None) == [] and _text.line_matches(pattern, 404) == []


def test_quote_never_raises():
    deep = []
    for _level in range(5000):
        deep = [deep]
    assert _text.quote(deep).startswith("<list>") or len(_text.quote(deep)) <= 120
    loop = {}
    loop["self"] = loop
    assert _text.quote(loop) == "<dict>"
    assert _text.quote("a\x1b[2Jb" * 100, 20).startswith("'ab")


@given(st.text())
def test_clean_output_has_no_control_characters(text):
    cleaned = _text.clean(text, 100)
    assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in cleaned)
    assert "\x1b" not in cleaned and "\x7f" not in cleaned
    assert len(cleaned) <= 100 + len("... [ more characters cut]") + 20


# ---------------------------------------------------------------- _deadline


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, -0.5, "10", None, True, 1e300])
def test_deadline_refuses_timeouts_that_never_come(bad):
    with pytest.raises(ValueError):
        _deadline.Deadline(bad)


def test_deadline_remaining_and_cap():
    t = FakeTime()
    deadline = _deadline.Deadline(10, clock=t.clock)
    assert deadline.remaining() == 10 and not deadline.expired()
    t.now += 7
    assert deadline.cap(5) == 3 and deadline.cap(1) == 1 and deadline.cap() == 3
    t.now += 10
    assert deadline.remaining() == 0 and deadline.cap(5) == 0 and deadline.expired()
    with pytest.raises(ValueError):
        deadline.cap(math.nan)


def test_poll_stops_at_the_first_good_result():
    t = FakeTime()
    answers = iter([None, 0, "ready", "never asked"])
    result, attempts = _deadline.poll(lambda: next(answers), 60, 5, clock=t.clock, sleep=t.sleep)
    assert (result, attempts) == ("ready", 3)
    assert t.sleeps == [5, 5]


def test_poll_never_sleeps_past_the_deadline_and_tries_once_more_at_it():
    t = FakeTime()
    result, attempts = _deadline.poll(lambda: False, 12, 5, clock=t.clock, sleep=t.sleep)
    assert result is False and attempts == 4
    assert t.sleeps == [5, 5, 2]
    assert t.now == 112


def test_poll_with_zero_timeout_tries_once():
    t = FakeTime()
    assert _deadline.poll(lambda: 0, 0, 5, clock=t.clock, sleep=t.sleep) == (0, 1)
    assert t.sleeps == []


def test_poll_done_judges_the_result():
    t = FakeTime()
    values = iter(range(10))
    result, attempts = _deadline.poll(lambda: next(values), 100, 1, done=lambda v: v >= 3, clock=t.clock, sleep=t.sleep)
    assert (result, attempts) == (3, 4)


def test_poll_retries_on_the_given_errors_then_raises_the_last():
    t = FakeTime()
    calls = []

    def attempt():
        calls.append(1)
        raise LookupError(f"attempt {len(calls)}")

    with pytest.raises(LookupError, match="attempt 3") as info:
        _deadline.poll(attempt, 2, 1, retry_on=(LookupError,), clock=t.clock, sleep=t.sleep)
    assert info.value.attempts == 3


def test_poll_lets_other_errors_through_at_once():
    t = FakeTime()
    with pytest.raises(KeyError):
        _deadline.poll(lambda: {}["x"], 60, 1, retry_on=(OSError,),
                       clock=t.clock, sleep=t.sleep)
    assert t.sleeps == []


def test_poll_backs_off_up_to_a_ceiling():
    t = FakeTime()
    _deadline.poll(lambda: None, 20, 0.5, backoff=2, max_interval_s=2, clock=t.clock, sleep=t.sleep)
    assert t.sleeps[:5] == [0.5, 1, 2, 2, 2]


def test_poll_accepts_a_deadline_the_caller_holds():
    t = FakeTime()
    deadline = _deadline.Deadline(3, clock=t.clock)
    seen = []
    _deadline.poll(lambda: seen.append(deadline.cap(10)), deadline, 1, clock=t.clock, sleep=t.sleep)
    assert seen == [3, 2, 1, 0]


@pytest.mark.parametrize("interval", [math.nan, -1, math.inf])
def test_poll_refuses_bad_intervals(interval):
    with pytest.raises(ValueError):
        _deadline.poll(lambda: True, 1, interval)


@settings(max_examples=200)
@given(timeout=st.floats(0, 1000), interval=st.floats(0.01, 100), succeed_at=st.integers(1, 50))
def test_poll_never_runs_past_its_deadline(timeout, interval, succeed_at):
    t = FakeTime()
    count = [0]

    def attempt():
        count[0] += 1
        return count[0] >= succeed_at

    _result, attempts = _deadline.poll(attempt, timeout, interval, clock=t.clock, sleep=t.sleep)
    assert t.now - 100.0 <= timeout + 1e-9
    assert attempts == count[0]


# ---------------------------------------------------------------- _cli


def test_missing_binary_fails_naming_it_and_the_option():
    with pytest.raises(Failed) as info:
        _cli.Cli(FakeModule({"linkerd_path": None}), "linkerd", "linkerd_path", why="run the checks")
    assert info.value.kwargs["msg"] == ("The linkerd CLI is not on PATH (needed to run the checks). "
                                        "Install the linkerd CLI, or set linkerd_path.")


def test_a_path_option_that_is_not_executable_fails(tmp_path):
    with pytest.raises(Failed, match="linkerd_path is '.*nope', which is not an executable file"):
        _cli.Cli(FakeModule({"linkerd_path": str(tmp_path / "nope")}), "linkerd", "linkerd_path")


def test_not_required_leaves_path_none():
    cli = _cli.Cli(FakeModule(), "podman", required=False)
    assert not cli.found and cli.path is None


def test_k8s_args_per_flag_style():
    cli = _cli.Cli(FakeModule({"kubeconfig": "/k", "context": "kind-x"}, path="/bin/true"), "helm")
    assert cli.k8s_args() == ["--kubeconfig", "/k", "--context", "kind-x"]
    assert cli.k8s_args("helm") == ["--kubeconfig", "/k", "--kube-context", "kind-x"]
    assert cli.k8s_args("linkerd", context="other") == ["--kubeconfig", "/k", "--context", "other"]
    assert _cli.Cli(FakeModule({}, path="/bin/true"), "kubectl").k8s_args() == []
    with pytest.raises(ValueError):
        cli.k8s_args("oc")


def test_run_returns_the_result_and_json():
    cli = python_cli()
    res = cli.run(["-c", "import sys; print('out'); print('err', file=sys.stderr)"])
    assert (res.rc, res.stdout, res.stderr, res.timed_out) == (0, "out\n", "err\n", False)
    assert res.cmd == [PY, "-c", "import sys; print('out'); print('err', file=sys.stderr)"]
    assert cli.run_json(["-c", "print('{\"a\": [1]}')"]) == {"a": [1]}


def test_failure_output_is_bounded_and_stripped():
    cli = python_cli()
    script = "import sys; sys.stdout.write('\\x1b[31m' + 'o' * 5000); sys.stderr.write('junk\\n\\x1b[1mboom\\x00\\n'); sys.exit(3)"
    with pytest.raises(Failed) as info:
        cli.run(["-c", script], what="Reading the thing")
    kwargs = info.value.kwargs
    assert kwargs["msg"] == "Reading the thing failed (rc 3): boom"
    assert kwargs["rc"] == 3 and kwargs["cmd"][0] == PY
    assert kwargs["stdout"].startswith("ooo") and kwargs["stdout"].endswith("[3000 more characters cut]")
    assert kwargs["stderr"] == "junk\nboom\n"


def test_binary_output_is_read_with_replacement_characters():
    cli = python_cli()
    res = cli.run(["-c", "import sys; sys.stdout.buffer.write(bytes(range(256)))"])
    assert "\ufffd" in res.stdout
    with pytest.raises(Failed) as info:
        cli.run_json(["-c", "import sys; sys.stdout.buffer.write(b'\\x00\\xff{')"], what="linkerd check")
    assert "printed something that is not JSON" in info.value.kwargs["msg"]
    assert "\x00" not in info.value.kwargs["stdout"]


def test_deeply_nested_json_fails_cleanly():
    with pytest.raises(Failed, match="nested too deeply"):
        python_cli().run_json(["-c", "print('[' * 100000 + ']' * 100000)"])


def test_timeout_stops_the_command():
    cli = python_cli()
    res = cli.run(["-c", "import time; time.sleep(30)"], timeout=0.3, check_rc=False)
    assert res.timed_out and res.rc != 0
    with pytest.raises(Failed, match="did not finish within 0.3 s"):
        cli.run(["-c", "import time; time.sleep(30)"], timeout=0.3)


def test_check_rc_false_returns_the_failure():
    res = python_cli().run(["-c", "raise SystemExit(4)"], check_rc=False)
    assert res.rc == 4


def test_problem_says_why_a_reading_failed_for_modules_that_retry():
    cli = python_cli()
    assert cli.problem(cli.run(["-c", "print('[]')"], check_rc=False), "check viz") is None
    failed = cli.problem(cli.run(["-c", "import sys; sys.stderr.write('\x1b[31mno viz\\n'); raise SystemExit(1)"],
                                 check_rc=False), "check viz")
    assert failed.endswith("failed (rc 1): no viz; check viz") and "\x1b" not in failed
    stopped = cli.problem(cli.run(["-c", "import time; time.sleep(30)"], timeout=0.3, check_rc=False))
    assert stopped.endswith("did not finish and was stopped")


# ---------------------------------------------------------------- the shared module pieces


class FakeAnsibleModule(FakeModule):
    """Records how new_module built it."""

    def __init__(self, argument_spec, **kwargs):
        super().__init__({name: spec.get("default") for name, spec in argument_spec.items()})
        self.argument_spec = argument_spec
        self.kwargs = kwargs


def test_new_module_supports_check_mode_and_checks_the_named_seconds():
    spec = _cli.wait_spec(30)
    module = _cli.new_module(FakeAnsibleModule, spec, seconds=("wait_timeout",), required_by={"a": "b"})
    assert module.argument_spec is spec
    assert module.kwargs == {"supports_check_mode": True, "required_by": {"a": "b"}}
    module.params["wait_timeout"] = 10 ** 9
    with pytest.raises(Failed, match="^wait_timeout: "):
        _cli.check_seconds(module, "wait_timeout")

    class TooLong(FakeAnsibleModule):
        def __init__(self, argument_spec, **kwargs):
            super().__init__(argument_spec, **kwargs)
            self.params["wait_timeout"] = float("nan")

    with pytest.raises(Failed, match="^wait_timeout: "):
        _cli.new_module(TooLong, _cli.wait_spec(30), seconds=("wait_timeout",))
    # Not named, not checked.
    assert math.isnan(_cli.new_module(TooLong, _cli.wait_spec(30)).params["wait_timeout"])


def test_viz_spec_pairs_with_the_viz_and_kubernetes_fragments():
    spec = _cli.viz_spec(60)
    assert spec == {"wait_timeout": dict(type="int", default=60), "poll_interval": dict(type="int", default=5),
                    "linkerd_path": dict(type="path"), "fail_on_problems": dict(type="bool", default=True),
                    **_cli.K8S_ARG_SPEC}
    assert _cli.viz_spec(60) is not spec and _cli.viz_spec(60)["wait_timeout"] is not spec["wait_timeout"]
    assert _cli.viz_spec(120, 10)["poll_interval"] == dict(type="int", default=10)


class Exited(Exception):
    def __init__(self, kwargs):
        super().__init__("exit")
        self.kwargs = kwargs


class EndingModule(FakeModule):
    def exit_json(self, **kwargs):
        raise Exited(kwargs)


@pytest.mark.parametrize("fail_on_problems, problems, ends", [
    (True, ["x is wrong"], Failed), (False, ["x is wrong"], Exited), (True, [], Exited)])
def test_finish_fails_only_on_problems_with_fail_on_problems(fail_on_problems, problems, ends):
    built = []
    module = EndingModule({"fail_on_problems": fail_on_problems})
    with pytest.raises(ends) as raised:
        _cli.finish(module, {"changed": False, "problems": problems}, problems, lambda: built.append(1) or "2 problems")
    assert raised.value.kwargs["problems"] == problems
    # the message is built only for a failure
    assert (raised.value.kwargs.get("msg"), len(built)) == (("2 problems", 1) if ends is Failed else (None, 0))
    with pytest.raises(ends):
        _cli.finish(module, {}, problems, "a plain message")


def test_poll_viz_stops_on_garbage_or_no_problem_and_finish_viz_fails_on_either():
    readings = iter([{"problems": ["few requests"], "garbage": None}, {"problems": [], "garbage": "not JSON"},
                     {"problems": [], "garbage": None}])
    reading, attempts = _cli.poll_viz(lambda: next(readings), _deadline.Deadline(30), 0)
    assert (reading["garbage"], attempts) == ("not JSON", 2)
    module = EndingModule({"fail_on_problems": True}, path=PY)
    cli = _cli.Cli(module, "linkerd")
    run = _cli.CliResult(cmd=["linkerd", "viz", "edges"], rc=0, stdout="<html>", stderr="", timed_out=False)
    with pytest.raises(Failed) as raised:
        _cli.finish_viz(module, cli, {"run": run, "garbage": "not JSON"}, {"problems": []}, "its JSON edges",
                        " (edge-25.x or later)", lambda: "unused")
    assert "printed something that is not its JSON edges (not JSON). Check that linkerd_path is the linkerd CLI " \
           "with the viz extension (edge-25.x or later)." in raised.value.kwargs["msg"]
    assert raised.value.kwargs["cmd"] == ["linkerd", "viz", "edges"]
    with pytest.raises(Failed) as raised:
        _cli.finish_viz(module, cli, {"run": run, "garbage": None}, {"problems": ["off"]}, "x", "", lambda: "the split is off")
    assert raised.value.kwargs["msg"].startswith("the split is off") and raised.value.kwargs["success"] is False
    with pytest.raises(Exited) as raised:
        _cli.finish_viz(module, cli, {"run": run, "garbage": None}, {"problems": []}, "x", "", lambda: "unused")
    assert raised.value.kwargs == {"problems": [], "success": True}


def test_option_args_keeps_the_order_of_the_flags_and_skips_unset_options():
    params = {"config": "/tmp/kind.yml", "image": None, "from": "", "name": "x"}
    assert _cli.option_args(params, {"image": "--image", "name": "--name", "config": "--config", "from": "--from"}) \
        == ["--name", "x", "--config", "/tmp/kind.yml"]
    assert _cli.option_args(params, {"missing": "--missing"}) == []


def test_read_text_fails_naming_the_file_and_what_to_do(tmp_path):
    good = tmp_path / "a.yml"
    good.write_text("kind: Cluster\n", encoding="utf-8")
    module = FakeModule()
    assert _cli.read_text(module, str(good), "the kind config ", "render it first") == "kind: Cluster\n"
    with pytest.raises(Failed) as failed:
        _cli.read_text(module, str(tmp_path / "none.yml"), "the kind config ", "render it first")
    assert failed.value.kwargs["msg"] == (f"cannot read the kind config {tmp_path / 'none.yml'}: No such file or "
                                          "directory; render it first")
    binary = tmp_path / "b.yml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnicodeDecodeError):  # the caller reports it its own way
        _cli.read_text(module, str(binary), "", "render it")


def test_options_of_gives_each_name_its_own_spec_in_order():
    spec = _cli.options_of("str", "client_image", "fail_image", "slow_image", required=True)
    assert list(spec) == ["client_image", "fail_image", "slow_image"]
    assert all(entry == {"type": "str", "required": True} for entry in spec.values())
    spec["client_image"]["default"] = "changed"  # AnsibleModule may change an entry: the others stay as they were
    assert spec["fail_image"] == {"type": "str", "required": True}
    assert len({id(entry) for entry in spec.values()}) == 3
    assert _cli.options_of("float", "p50_ms") == {"p50_ms": {"type": "float"}}
    assert _cli.options_of("bool") == {}


def test_json_array_raises_the_callers_error_with_its_words():
    class Refused(ValueError):
        pass

    def parse(text):
        return _text.json_array(text, Refused, lambda reason: f"not JSON ({reason})", lambda kind: f"a {kind}")

    assert parse('[1, {"a": 2}]') == [1, {"a": 2}]
    assert parse("[]") == []
    with pytest.raises(Refused, match=r"^not JSON \(Expecting value"):
        parse("NAME  READY")
    with pytest.raises(Refused, match=r"^not JSON \(maximum recursion depth"):
        parse("[" * 100000)
    with pytest.raises(Refused, match=r"^not JSON \("):
        parse(None)
    with pytest.raises(Refused, match=r"^a dict$"):
        parse('{"a": 1}')
    with pytest.raises(Refused, match=r"^a str$"):
        parse('"text"')


def test_add_once_refuses_a_key_given_twice():
    seen: set = set()
    _text.add_once(seen, "petstore", KeyError, "petstore twice")
    _text.add_once(seen, ("ns", "petstore"), KeyError, "twice")
    assert seen == {"petstore", ("ns", "petstore")}
    with pytest.raises(LookupError, match="petstore twice"):
        _text.add_once(seen, "petstore", LookupError, "petstore twice")
    assert seen == {"petstore", ("ns", "petstore")}
