# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role refuses wrong variables by name before it renders anything.

One ansible-playbook run (render-only) includes each role once per case, inside a block whose
rescue keeps the failure message; the tests then read what each case said, and whether anything
was written. The pure checks are tested in tests/unit/test_vars_logic.py.
"""
from __future__ import annotations

import json

import pytest

from conftest import run_playbook

pytestmark = pytest.mark.slow

# id: (role, variables, what the message must say)
CASES = {
    "metallb_addresses_string": (
        "metallb", {"metallb_addresses": "172.18.255.200-172.18.255.250"},
        ["metallb_addresses='172.18.255.200-172.18.255.250': must be a list, not a string",
         "['172.18.255.200-172.18.255.250']"],
    ),
    "metallb_addresses_item_not_string": ("metallb", {"metallb_addresses": [{"a": 1}]},
                                          ["metallb_addresses=", "item 1", "must be a string"]),
    "metallb_last_host_below_first": ("metallb", {"metallb_first_host": 240, "metallb_last_host": 210},
                                      ["metallb_last_host=210: must be between 240 and 254."]),
    "kind_workers_negative": ("kind", {"kind_workers": -1}, ["kind_workers=-1: must be 0 or more."]),
    "kind_workers_from_the_command_line": ("kind", {"kind_workers": "-1"}, ["kind_workers='-1': must be 0 or more."]),
    "kind_node_port_outside_the_nodeport_range": ("kind", {"kind_node_port": 80}, ["kind_node_port=80: must be between 30000 and 32767."]),
    "kind_cluster_name_not_dns": ("kind", {"kind_cluster_name": "My_Cluster"}, ["kind_cluster_name='My_Cluster': must be a kind cluster name"]),
    "kind_cluster_name_too_long": ("kind", {"kind_cluster_name": "a" * 50}, ["kind_cluster_name=", "at most 49"]),
    "linkerd_ratio_above_one": ("linkerd", {"linkerd_verify_min_meshed_ratio": 1.5},
                                ["linkerd_verify_min_meshed_ratio=1.5: must be between 0 and 1."]),
    "linkerd_ratio_nan": ("linkerd", {"linkerd_verify_min_success_rate": "nan"},
                          ["linkerd_verify_min_success_rate='nan': must be a finite number"]),
    "linkerd_timeout_zero": ("linkerd", {"linkerd_wait_timeout": 0}, ["linkerd_wait_timeout=0: must be greater than 0."]),
    "linkerd_chart_version_not_a_version": ("linkerd", {"linkerd_edge_chart_version": "latest"},
                                            ["linkerd_edge_chart_version='latest': must be an exact version"]),
    "linkerd_gateway_api_version_as_path": ("linkerd", {"linkerd_gateway_api_version": "../../x"},
                                            ["linkerd_gateway_api_version='../../x': must be an exact version"]),
    "linkerd_several_at_once": ("linkerd", {"linkerd_namespace": "Linkerd", "linkerd_check_timeout": -5},
                                ["linkerd_namespace='Linkerd': must be a Kubernetes name", "linkerd_check_timeout=-5"]),
    "cosmonic_timeout_zero": ("cosmonic", {"cosmonic_wait_timeout": 0}, ["cosmonic_wait_timeout=0: must be greater than 0."]),
    "cosmonic_chart_version_range": ("cosmonic", {"cosmonic_chart_version": ">=0.3"},
                                     ["cosmonic_chart_version='>=0.3': must be an exact version"]),
    "cosmonic_selectors_string": ("cosmonic", {"cosmonic_envoy_selectors": "app=envoy"},
                                  ["cosmonic_envoy_selectors='app=envoy': must be a list, not a string"]),
    "petstore_concurrency_above_the_cap": ("petstore", {"petstore_verify_load_concurrency": 65},
                                           ["petstore_verify_load_concurrency=65: must be between 1 and 64."]),
    "petstore_ratio_negative": ("petstore", {"petstore_verify_min_success_rate": -0.1},
                                ["petstore_verify_min_success_rate=-0.1: must be between 0 and 1."]),
    "petstore_tools_string": ("petstore", {"petstore_verify_expected_tools": "post_pet"},
                              ["petstore_verify_expected_tools='post_pet': must be a list, not a string"]),
    "petstore_chart_version": ("petstore", {"petstore_mcp_chart_version": "0.1"},
                               ["petstore_mcp_chart_version='0.1': must be an exact version"]),
    "preflight_cluster_name": ("preflight", {"preflight_cluster_name": "../../escape"},
                               ["preflight_cluster_name='../../escape': must be a kind cluster name"]),
    # The cluster name is part of every role's default artifacts folder: it must never lead outside.
    "cluster_name_escapes_the_artifacts_folder": (
        "petstore", {"mcpmesh_cluster_name": "../../escape"},
        ["mcpmesh_cluster_name='../../escape': must be a kind cluster name",
         "petstore_artifacts_dir=", "must not contain a '..' segment"],
    ),
    "artifacts_dir_with_dot_dot": ("metallb", {"metallb_artifacts_dir": "/tmp/x/../../etc"},
                                   ["metallb_artifacts_dir='/tmp/x/../../etc': must not contain a '..' segment"]),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """{case id: {'msg': failure message or None, 'written': whether the role's artifacts appeared}}."""
    tmp = tmp_path_factory.mktemp("role-vars")
    work = tmp / "work" / "a"  # PWD: the default artifacts folder is $PWD/.mcpmesh/<cluster name>
    work.mkdir(parents=True)
    results = tmp / "results"
    results.mkdir()
    tasks = []
    for case, (role, variables, _expected) in CASES.items():
        artifacts = {} if "mcpmesh_cluster_name" in variables or f"{role}_artifacts_dir" in variables else {
            "mcpmesh_artifacts_dir": str(tmp / "artifacts" / case)}
        tasks.append({
            "name": f"Case {case}.",
            "block": [
                {"name": "Run the role.", "ansible.builtin.include_role": {"name": f"mcpmesh.platform.{role}"},
                 "vars": {"mcpmesh_apply": False, **artifacts, **variables}},
                {"name": "Note that it passed.", "ansible.builtin.copy": {
                    "content": "null", "dest": str(results / f"{case}.json"), "mode": "0600"}},
            ],
            "rescue": [{"name": "Keep the message.", "ansible.builtin.copy": {
                "content": "{{ ansible_failed_result.msg | to_json }}", "dest": str(results / f"{case}.json"),
                "mode": "0600"}}],
        })
    playbook = tmp / "cases.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    res = run_playbook(playbook, env={"PWD": str(work)})
    assert res.rc == 0, res
    found = {}
    for case in CASES:
        path = results / f"{case}.json"
        assert path.exists(), f"case {case} did not run:\n{res!r}"
        found[case] = {
            "msg": json.loads(path.read_text()),
            "written": (tmp / "artifacts" / case).exists() or (tmp / "work" / "escape").exists()
            or (tmp / "work" / "a" / ".mcpmesh").exists(),
        }
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_variable_is_refused_by_name_before_anything_is_rendered(outcomes, case):
    msg = outcomes[case]["msg"]
    assert msg is not None, f"{case}: the role accepted {CASES[case][1]}"
    for expected in CASES[case][2]:
        assert expected in msg, f"{case}: {expected!r} not in {msg!r}"
    assert not outcomes[case]["written"], f"{case}: something was rendered before the check"
