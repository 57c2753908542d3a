# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module under hostile input: wrong types, binary and ANSI output, NaN figures, alias bombs.

Each case runs one module, through ansible-playbook, with stand-in CLIs that print the hostile
outputs in tests/fixtures/{kind,linkerd,metallb} (see SOURCE.md there) or files the fixture below
writes (the deeply nested JSON, a binary artifact, a YAML alias bomb). All the cases run in ONE
playbook (a task each, with its own stand-in answers through the task's environment), so the
suite pays for ansible-playbook once; each case is still a test of its own.

Every case must end in a clear failure (or success) from the module itself: a message, no
traceback, nothing unbounded, no control character.
"""
from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import BIN, run_module_tasks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.slow

# One stand-in for every CLI: it answers from the JSON file named by $MCPMESH_STANDIN,
# {"<words the command line contains>": {"out": file, "err": file, "rc": n}}, the longest match
# winning, and logs each call to $MCPMESH_STANDIN.log.
STAND_IN = textwrap.dedent("""\
    import json, os, sys
    from pathlib import Path

    tool, args = Path(sys.argv[0]).name, sys.argv[1:]
    line = tool + " " + " ".join(args)
    script = os.environ.get("MCPMESH_STANDIN")
    answers = json.loads(Path(script).read_text()) if script else {}
    with open((script or "/dev/null") + ".log", "a") as log:
        log.write(line + "\\n")
    best = max((key for key in answers if all(word in line.split() for word in key.split())), key=len, default=None)
    if best is None:
        sys.stderr.write(f"stand-in: unexpected command: {line}\\n")
        sys.exit(99)
    answer = answers[best]
    for name, stream in (("out", sys.stdout.buffer), ("err", sys.stderr.buffer)):
        if answer.get(name):
            stream.write(Path(answer[name]).read_bytes())
    sys.exit(answer.get("rc", 0))
    """)

NESTED = "[" * 100000 + "]" * 100000
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
SECRET = "s3cr3t-Licence-\u00e9t\u00e9-value"


def fx(area: str, name: str) -> str:
    return str(FIXTURES / area / name)


def kind_world(nodes: str) -> dict:
    """kind lists the cluster, its context exists, kubectl get nodes prints ``nodes``."""
    return {
        "kind get clusters": {"out": fx("kind", "kind-get-clusters.stdout")},
        "kubectl config get-contexts": {"out": "{tmp}/contexts.txt"},
        "kubectl get nodes": {"out": nodes},
        "kubectl version": {"out": fx("kind", "kubectl-version.json")},
    }


POD = {"metadata": {"name": "petstore-1", "labels": {"app": "petstore"}}, "status": {"phase": "Running"},
       "spec": {"containers": [{"name": "api"}, {"name": "linkerd-proxy"}]}}

# name: (module, args, stand-in answers)
CASES = {
    "kind_items_of_the_wrong_type": (
        "kind_cluster", {"name": "mcpmesh", "wait_timeout": 0},
        kind_world(fx("kind", "kubectl-get-nodes-items-wrong-type.json"))),
    "kind_conditions_of_the_wrong_type": (
        "kind_cluster", {"name": "mcpmesh", "wait_timeout": 0},
        kind_world(fx("kind", "kubectl-get-nodes-conditions-wrong-type.json"))),
    "kind_a_condition_of_the_wrong_type": (
        "kind_cluster", {"name": "mcpmesh", "wait_timeout": 0},
        kind_world(fx("kind", "kubectl-get-nodes-condition-entry-wrong-type.json"))),
    "kind_deeply_nested_nodes": (
        "kind_cluster", {"name": "mcpmesh", "wait_timeout": 0}, kind_world("{tmp}/nested.json")),
    "kind_ansi_error": (
        "kind_cluster", {"name": "mcpmesh"},
        {"kind get clusters": {"err": fx("kind", "kind-get-clusters-ansi.stderr"), "rc": 1}}),
    "kind_wait_timeout_beyond_a_day": (
        "kind_cluster", {"name": "mcpmesh", "wait_timeout": 10 ** 9}, {}),
    "metallb_ipam_of_the_wrong_type": (
        "metallb_range", {"runtime": "docker"}, {"docker network inspect": {"out": fx("metallb", "docker-ipam-wrong-type.json")}}),
    "metallb_containers_of_the_wrong_type": (
        "metallb_range", {"runtime": "docker"},
        {"docker network inspect": {"out": fx("metallb", "docker-containers-wrong-type.json")}}),
    "metallb_plugins_of_the_wrong_type": (
        "metallb_range", {"runtime": "podman"},
        {"podman network inspect": {"out": fx("metallb", "podman3-plugins-wrong-type.json")}}),
    "metallb_network_info_of_the_wrong_type": (
        "metallb_range", {"network_info": {"Name": "kind", "IPAM": {"Config": "172.18.0.0/16"}}}, {}),
    "metallb_deeply_nested_inspect": (
        "metallb_range", {"runtime": "docker"}, {"docker network inspect": {"out": "{tmp}/nested.json"}}),
    "mesh_pod_fields_of_the_wrong_type": (
        "linkerd_mesh", {"namespace": "petstore", "pods": [POD, {"metadata": "petstore-2", "spec": {"containers": "api"}}]},
        {}),
    "mesh_deeply_nested_stat": (
        "linkerd_mesh", {"namespace": "petstore", "traffic": True, "wait_timeout": 0},
        {"linkerd viz stat": {"out": "{tmp}/nested.json"}}),
    "mesh_nan_success_rate": (
        "linkerd_mesh", {"namespace": "petstore", "traffic": True, "wait_timeout": 0, "min_success_rate": 0.99},
        {"linkerd viz stat": {"out": fx("linkerd", "viz-stat-nan.json")}}),
    "mesh_negative_latencies": (
        "linkerd_mesh", {"namespace": "petstore", "traffic": True, "wait_timeout": 0, "max_p50_ms": 100, "max_p99_ms": 1000},
        {"linkerd viz stat": {"out": fx("linkerd", "viz-stat-negative.json")}}),
    "mesh_stat_fields_of_the_wrong_type": (
        "linkerd_mesh", {"namespace": "petstore", "traffic": True, "wait_timeout": 0},
        {"linkerd viz stat": {"out": fx("linkerd", "viz-stat-wrong-type.json")}}),
    "mesh_from_resource": (
        "linkerd_mesh", {"namespace": "petstore", "traffic": True, "wait_timeout": 0, "resource": "deploy/petstore",
                         "from_resource": "deploy/hostgroup-default", "from_namespace": "cosmonic-system"},
        {"linkerd viz stat": {"out": fx("linkerd", "viz-stat-traffic.json")}}),
    "mesh_nan_threshold": (
        "linkerd_mesh", {"namespace": "petstore", "max_p99_ms": "nan"}, {}),
    "check_binary_output_exit_0": (
        "linkerd_check", {"wait_timeout": 0}, {"linkerd check": {"out": fx("linkerd", "check-binary.bin")}}),
    "check_binary_output_exit_1": (
        "linkerd_check", {"wait_timeout": 0}, {"linkerd check": {"out": fx("linkerd", "check-binary.bin"), "rc": 1}}),
    "check_no_categories_is_not_success": (
        "linkerd_check", {"wait_timeout": 0}, {"linkerd check": {"out": fx("linkerd", "check-no-categories.json")}}),
    "check_ansi_stderr": (
        "linkerd_check", {"core": False, "viz": True, "wait_timeout": 0},
        {"linkerd viz check": {"err": fx("linkerd", "viz-check-ansi.stderr"), "rc": 1}}),
    "check_wait_timeout_beyond_a_day": (
        "linkerd_check", {"wait_timeout": 10 ** 9}, {}),
    "preflight_port_70000": (
        "preflight", {"container_runtime": "none", "ports": [{"port": 70000}]}, {}),
    "preflight_port_minus_1": (
        "preflight", {"container_runtime": "none", "ports": [{"port": -1}]}, {}),
    "preflight_address_with_a_nul": (
        "preflight", {"container_runtime": "none", "ports": [{"port": 8080, "address": "127.0.0.1\u0000"}]}, {}),
    "preflight_min_version_banana": (
        "preflight", {"container_runtime": "none", "tools": [{"name": "kind", "min_version": "banana"}]}, {}),
    "artifacts_binary_file": (
        "validate_artifacts", {"manifests": ["{tmp}/binary.yml"]}, {}),
    "artifacts_alias_bomb": (
        "validate_artifacts", {"manifests": ["{tmp}/bomb.yml"], "helm_values": [{"path": "{tmp}/bomb.yml", "chart": "metallb"}]},
        {}),
    "artifacts_secret_string_data_not_quoted": (
        "validate_artifacts", {"manifests": ["{tmp}/secret.yml"]}, {}),
    "artifacts_forbidden_digests": (
        "validate_artifacts", {"manifests": ["{tmp}/leak.yml"], "forbidden_digests": [
            {"sha256": hashlib.sha256(b"not-there").hexdigest(), "length": 9},
            {"sha256": hashlib.sha256(SECRET.encode()).hexdigest(), "length": len(SECRET.encode())}]}, {}),
    "artifacts_forbidden_digests_malformed": (
        "validate_artifacts", {"manifests": [], "forbidden_digests": [{"sha256": "abc", "length": 0}]}, {}),
    "artifacts_kubernetes_newer_than_the_schemas": (
        "validate_artifacts", {"manifests": ["{tmp}/namespace.yml"], "kubernetes_version": "1.38"}, {}),
    "identity_anchor_validity_days_100000000": (
        "linkerd_identity", {"anchor_validity_days": 100000000}, {}),
}


def expand(value, tmp: Path):
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, list):
        return [expand(v, tmp) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, tmp) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every case in one playbook; {case: (the module's result, the stand-in's calls)}."""
    tmp = tmp_path_factory.mktemp("hostile")
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in ("kind", "kubectl", "linkerd", "docker", "podman"):
        path = bin_dir / tool
        path.write_text(f"#!{sys.executable}\n" + STAND_IN)
        path.chmod(0o755)
    (tmp / "contexts.txt").write_text("kind-mcpmesh\n")
    (tmp / "nested.json").write_text(NESTED)
    (tmp / "binary.yml").write_bytes(b"apiVersion: v1\nkind: \xff\xfe\x00\x01 binary\n")
    (tmp / "bomb.yml").write_text(BOMB)
    (tmp / "secret.yml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: licence, namespace: x}\n"
        f"stringData:\n  licence: [{SECRET}]\n")
    (tmp / "leak.yml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {{leak: {SECRET}}}\n")
    (tmp / "namespace.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")

    kept = {}
    for name, (module, args, answers) in CASES.items():
        script = tmp / f"{name}.json"
        script.write_text(json.dumps(expand(answers, tmp)))
        # As Ansible runs a module on its target (conftest.run_module), the stand-ins first on PATH.
        _run, results = run_module_tasks(tmp, f"mcpmesh.platform.{module}", {name: expand(args, tmp)},
                                         env={"MCPMESH_STANDIN": str(script), "PATH": f"{bin_dir}:{BIN}:/bin"})
        kept[name] = results[name]
    calls = {}
    for name in CASES:
        log = tmp / f"{name}.json.log"
        calls[name] = log.read_text().splitlines() if log.exists() else []
    return {name: (kept[name], calls[name]) for name in CASES}


def clean_failure(result: dict) -> str:
    """The module failed by itself: a message, bounded, no traceback, no control character."""
    assert result.get("failed") is True, result
    text = json.dumps(result)
    assert "Traceback (most recent call last)" not in text and "module_stderr" not in result, result
    # ansible-core 2.19 marks every fail_json without a traceback so; a crash carries the traceback
    assert result.get("exception", "(traceback unavailable)") == "(traceback unavailable)", result
    msg = result["msg"]
    # an exception that escapes a module reaches the user as "Module failed: <the exception>"
    assert "Module failed:" not in msg and "Refusing to deserialize" not in msg, msg
    assert len(msg) < 5000, len(msg)
    for key in ("msg", "stdout", "stderr"):
        value = result.get(key) or ""
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in value), (key, value[:200])
        assert "\x1b" not in value and "\x00" not in value, key
    return " ".join(msg.split())


# The cases whose whole point is the message: the field or the reason it names.
NAMED = [
    ("kind_items_of_the_wrong_type", "kubectl get nodes -o json: items[0] is a str, not an object"),
    ("kind_conditions_of_the_wrong_type", "items[0].status.conditions is a str, not a list"),
    ("kind_a_condition_of_the_wrong_type", "items[0].status.conditions[0] is a list, not an object"),
    ("kind_deeply_nested_nodes", "nested too deeply"),
    ("mesh_pod_fields_of_the_wrong_type", "pods[1].metadata is a str, not an object; pods[1].spec.containers is a str, not a list"),
    ("mesh_deeply_nested_stat", "nested too deeply to read"),
    ("mesh_nan_success_rate", "deployment/petstore: success is nan, not a measurement"),
    ("mesh_stat_fields_of_the_wrong_type", "petstore: namespace is {\"name\": \"petstore\"}, expected a string"),
    ("mesh_nan_threshold", "max_p99_ms is a number of milliseconds, 0 or more, not nan"),
    ("artifacts_binary_file", "binary.yml: not UTF-8 text"),
    ("metallb_ipam_of_the_wrong_type", "IPAM is a list, not an object"),
    ("metallb_containers_of_the_wrong_type", "Containers is a list, not an object"),
    ("metallb_plugins_of_the_wrong_type", "plugins is a str, not a list"),
    ("metallb_network_info_of_the_wrong_type", "IPAM.Config is a str, not a list"),
    ("metallb_deeply_nested_inspect", "is not JSON (nested too deeply)"),
    ("preflight_port_70000", "ports[0]: port 70000 is not a TCP port number (1 to 65535)"),
    ("preflight_port_minus_1", "ports[0]: port -1 is not a TCP port number (1 to 65535)"),
    ("preflight_address_with_a_nul", "ports[0]: address '127.0.0.1' is not an IP address"),
    ("preflight_min_version_banana", "tools[0] ('kind'): min_version 'banana' is not a version"),
    ("identity_anchor_validity_days_100000000", "must be between 1 and 36500 (a century)"),
]


@pytest.mark.parametrize(("case", "text"), NAMED, ids=[case for case, _text in NAMED])
def test_fails_naming_what_is_wrong(outcomes, case, text):
    msg = clean_failure(outcomes[case][0])
    assert text in msg, msg


def test_kind_ansi_error_is_stripped(outcomes):
    result = outcomes["kind_ansi_error"][0]
    msg = clean_failure(result)
    assert "Listing the kind clusters failed: ERROR: failed to list clusters: boom engine gone (rc 1)" in msg, msg
    assert result["stderr"] == "ERROR: failed to list clusters: boom engine gone\n"


def test_kind_wait_timeout_beyond_a_day(outcomes):
    result, calls = outcomes["kind_wait_timeout_beyond_a_day"]
    assert "wait_timeout: it is 1000000000 s, more than a day" in clean_failure(result)
    assert calls == []


def test_mesh_negative_latencies_fail(outcomes):
    msg = clean_failure(outcomes["mesh_negative_latencies"][0])
    assert "latency_ms_p50 is negative (-3)" in msg and "latency_ms_p99 is -inf, not a measurement" in msg, msg


def test_mesh_from_resource_reaches_the_cli(outcomes):
    result, calls = outcomes["mesh_from_resource"]
    assert result.get("failed") is not True, result
    assert calls == ["linkerd viz stat deploy/petstore -n petstore -t 1m --from deploy/hostgroup-default "
                     "--from-namespace cosmonic-system -o json"]


def test_check_binary_output_exit_0_fails_at_once(outcomes):
    result, calls = outcomes["check_binary_output_exit_0"]
    msg = clean_failure(result)
    assert "exited 0 but its output is not linkerd check JSON" in msg, msg
    assert len(calls) == 1 and len(result["stdout"]) <= 2100


def test_check_binary_output_exit_1_fails_cleanly(outcomes):
    result, _calls = outcomes["check_binary_output_exit_1"]
    msg = clean_failure(result)
    assert "linkerd checks still fail after 1 attempt(s)" in msg and "[cli] linkerd check ran" in msg, msg


def test_check_no_categories_is_not_success(outcomes):
    result, _calls = outcomes["check_no_categories_is_not_success"]
    msg = clean_failure(result)
    assert result["success"] is False and "the output lists no check at all" in msg, msg


def test_check_ansi_stderr_is_stripped(outcomes):
    result, _calls = outcomes["check_ansi_stderr"]
    msg = clean_failure(result)
    assert "[cli] linkerd viz check ran: Error: no running pods found for linkviz" in msg, msg


def test_check_wait_timeout_beyond_a_day(outcomes):
    assert "wait_timeout" in clean_failure(outcomes["check_wait_timeout_beyond_a_day"][0])


def test_artifacts_alias_bomb_is_refused_not_expanded(outcomes):
    result, _calls = outcomes["artifacts_alias_bomb"]
    msg = clean_failure(result)
    assert msg.count("its aliases expand to more than 100000 nodes") == 2, msg
    assert len(json.dumps(result)) < 10000


def test_artifacts_secret_string_data_is_not_quoted(outcomes):
    result, _calls = outcomes["artifacts_secret_string_data_not_quoted"]
    msg = clean_failure(result)
    assert "Secret/x/licence: stringData.licence: the array value is not of type 'string', 'null'" in msg, msg
    assert SECRET not in json.dumps(result, ensure_ascii=False)


def test_artifacts_forbidden_digests_name_the_entry_only(outcomes):
    result, _calls = outcomes["artifacts_forbidden_digests"]
    msg = clean_failure(result)
    assert "holds secret value(s) number 2 of 'forbidden_digests'" in msg, msg
    assert SECRET not in json.dumps(result, ensure_ascii=False)


def test_artifacts_forbidden_digests_malformed(outcomes):
    msg = clean_failure(outcomes["artifacts_forbidden_digests_malformed"][0])
    assert "forbidden_digests[1].sha256 is not 64 hexadecimal digits" in msg
    assert "forbidden_digests[1].length must be a whole number of bytes, 1 or more" in msg


def test_artifacts_kubernetes_newer_than_the_schemas_warns(outcomes):
    result, _calls = outcomes["artifacts_kubernetes_newer_than_the_schemas"]
    assert result.get("failed") is not True, result
    assert result["schema_version"] == "1.37" and result["kubernetes_version"] == "1.38"
    assert any("validated against 1.37, not 1.38" in w for w in result["warnings"]), result
