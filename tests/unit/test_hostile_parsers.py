# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parsers under hostile input: only their own error types may escape.

Property-based (hypothesis) over the pool computation (_metallb), Linkerd's JSON (_linkerd), kind's
node listing and config checks (_kind) and the guarded YAML reader (_yaml); plus the cases the
adversarial pass found, one test each.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _artifacts as art
from ansible_collections.mcpmesh.platform.plugins.module_utils import _kind as kind
from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd as lk
from ansible_collections.mcpmesh.platform.plugins.module_utils import _linkerd_certs as lc
from ansible_collections.mcpmesh.platform.plugins.module_utils import _metallb as mlb
from ansible_collections.mcpmesh.platform.plugins.module_utils import _preflight as pf
from ansible_collections.mcpmesh.platform.plugins.module_utils import _yaml

# Any JSON value, the keys the parsers look for more likely than random ones.
KEYS = st.sampled_from(["Name", "name", "IPAM", "Config", "Subnet", "Gateway", "Containers", "IPv4Address",
                        "IPv6Address", "subnets", "subnet", "gateway", "plugins", "ipam", "ranges", "items",
                        "metadata", "labels", "status", "conditions", "type", "reason", "message", "nodeInfo",
                        "kubeletVersion", "success", "categories", "categoryName", "checks", "result",
                        "description", "error", "hint", "kind", "namespace", "rps", "latency_ms_p50",
                        "latency_ms_p99", "spec", "containers", "initContainers", "phase", "selector",
                        "matchLabels", "matchExpressions", "key", "operator", "values", "template",
                        "annotations"]) | st.text(max_size=5)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.sampled_from(["172.18.0.0/16", "fc00::/64", "10.89.0.1", "172.18.0.2/16", "Ready", "True",
                              "error", "success", "warning", "Running", "linkerd-proxy", "x", ""])
           | st.text(max_size=8))
JSON = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(KEYS, children, max_size=5), max_leaves=25)


# ---------------------------------------------------------------- _metallb


ENTRIES = st.sampled_from(["172.18.255.200-172.18.255.250", "10.0.0.0/24", "x", "", "fc00::1-fc00::9",
                           "1.2.3.4/33"]) | st.text(max_size=6)


@settings(max_examples=60, deadline=None)
@given(info=JSON, family=st.sampled_from(["ipv4", "ipv6", "dual"]),
       first=st.integers(-5, 300), last=st.integers(-5, 300),
       addresses=st.none() | st.lists(ENTRIES, max_size=3))
def test_choose_pool_raises_only_pool_errors(info, family, first, last, addresses):
    for given_info in (info, [info], json.dumps(info)):
        try:
            result = mlb.choose_pool(given_info, ip_family=family, first_host=first, last_host=last,
                                     addresses=addresses)
        except mlb.PoolError as exc:
            assert len(str(exc)) < 3000
        else:
            assert result["addresses"] and isinstance(result["range"], str)


@settings(max_examples=40, deadline=None)
@given(first=st.integers(0, 255), span=st.integers(0, 60), held=st.lists(st.integers(0, 255), max_size=10))
def test_computed_pool_never_holds_reserved_or_held_addresses(first, span, held):
    last = min(first + span, 255)
    containers = {f"c{i}": {"IPv4Address": f"172.18.255.{h}/16"} for i, h in enumerate(held)}
    info = [{"Name": "kind", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.255.1"}]},
             "Containers": containers}]
    try:
        result = mlb.choose_pool(info, first_host=first, last_host=last)
    except mlb.PoolError:
        return
    taken = {f"172.18.255.{h}" for h in held} | {"172.18.255.1", "172.18.255.255", "172.18.0.0"}
    pool = set()
    for entry in result["addresses"]:
        start, end = mlb.parse_entry(entry)
        pool |= {str(type(start)(n)) for n in range(int(start), int(end) + 1)}
    assert not pool & taken
    assert len(pool) == result["pools"][0]["size"]


@pytest.mark.parametrize(("info", "text"), [
    ({"Name": "kind", "IPAM": "172.18.0.0/16"}, "IPAM is a str, not an object"),
    ({"Name": "kind", "IPAM": {"Config": {"Subnet": "172.18.0.0/16"}}}, "IPAM.Config is a dict, not a list"),
    ({"Name": "kind", "IPAM": {"Config": [{"Subnet": 17218}]}}, "subnet 17218 is a int, not a string"),
    ({"Name": "kind", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "fc00::1"}]}},
     "gateway fc00::1 is not of the family of subnet 172.18.0.0/16"),
    ({"Name": "kind", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16"}]}, "Containers": {"a": "172.18.0.2"}},
     "Containers['a'] is a str, not an object"),
    ({"name": "kind", "plugins": [{"ipam": {"ranges": "10.89.0.0/24"}}]}, "plugins[0].ipam.ranges is a str, not a list"),
    ({"name": "kind", "plugins": ["bridge"]}, "plugins[0] is a str, not an object"),
    ({"name": "kind", "subnets": {"subnet": "10.89.0.0/24"}}, "subnets is a dict, not a list"),
])
def test_fields_of_the_wrong_type_are_named(info, text):
    with pytest.raises(mlb.PoolError) as caught:
        mlb.choose_pool(info)
    assert text in str(caught.value)


def test_pool_messages_are_bounded():
    info = {"Name": "k\x1b[31m" + "n" * 5000, "IPAM": {"Config": [{"Subnet": "x" * 5000}]}}
    with pytest.raises(mlb.PoolError) as caught:
        mlb.choose_pool(info, network="k")
    assert len(str(caught.value)) < 600 and "\x1b" not in str(caught.value)
    with pytest.raises(mlb.PoolError, match="not a string"):
        mlb.parse_entry(["172.18.0.1-172.18.0.2"])


def test_engine_errors_are_stripped():
    message = mlb.inspect_failure("docker", "kind", 1, "", "\x1b[31mError response from daemon: network kind not found\x1b[0m")
    assert "\x1b" not in message and "(Error response from daemon: network kind not found)" in message


# ---------------------------------------------------------------- _linkerd


@settings(max_examples=60, deadline=None)
@given(JSON)
def test_parse_check_and_stat_raise_only_parse_errors(value):
    for text in (json.dumps(value), json.dumps([value]), json.dumps({"success": True, "categories": [value]})):
        for parse in (lk.parse_check, lk.parse_stat):
            try:
                parsed = parse(text)
            except lk.ParseError as exc:
                assert len(str(exc)) < 1000
                continue
            if parse is lk.parse_stat:
                lk.stat_problems(parsed, 0.99, 100, 1000, True)
            else:
                [lk.check_line(row) for row in parsed["checks"]]


@settings(max_examples=50, deadline=None)
@given(pods=st.lists(JSON, max_size=4), deployments=st.lists(JSON, max_size=3), annotations=JSON)
def test_pod_logic_never_raises(pods, deployments, annotations):
    lk.pod_problems(pods)
    share = lk.mesh_share(pods)
    assert 0 <= share["meshed"] <= share["running"] <= len(pods)
    lk.unmeshed_deployments(annotations, deployments, pods)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_binary_output_is_a_parse_error(data):
    text = data.decode("utf-8", errors="replace")
    try:
        lk.parse_check(text)
    except lk.ParseError as exc:
        assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in str(exc))


def test_no_check_at_all_is_not_success():
    parsed = lk.parse_check('{"success": true, "categories": []}')
    assert parsed["success"] is False
    assert lk.check_line(parsed["errors"][0]) == "[cli] checks ran: the output lists no check at all"
    assert lk.parse_check('{"success": true, "categories": [{"categoryName": "x", "checks": []}]}')["success"] is False


def test_deeply_nested_output_is_a_parse_error():
    with pytest.raises(lk.ParseError, match="nested too deeply"):
        lk.parse_stat("[" * 50000 + "]" * 50000)
    with pytest.raises(lk.ParseError, match="nested too deeply"):
        lk.parse_check("[" * 50000)


@pytest.mark.parametrize(("figures", "problem"), [
    ({"success": math.nan}, "success is nan, not a measurement"),
    ({"success": -0.5}, "success is negative (-0.5)"),
    ({"success": 1.5}, "success is 1.5, more than a ratio of 1"),
    ({"success": 1.0, "latency_ms_p50": math.inf}, "latency_ms_p50 is inf, not a measurement"),
    ({"success": 1.0, "latency_ms_p99": -1}, "latency_ms_p99 is negative (-1)"),
    ({"success": None, "rps": -2.0}, "rps is negative (-2.0)"),
])
def test_nan_and_negative_figures_fail_whatever_the_thresholds(figures, problem):
    row = {"kind": "deployment", "name": "petstore", **figures}
    for thresholds in ((None, None, None), (0.99, 100, 1000)):
        assert lk.stat_problems([row], *thresholds) == [f"deployment/petstore: {problem}"]


def test_stat_rows_are_cleaned_and_typed():
    rows = lk.parse_stat(json.dumps([{"name": "pet\x1b[31mstore", "kind": "deployment", "success": 1.0,
                                      "extra": {"deep": [1]}}]))
    assert rows == [{"name": "petstore", "kind": "deployment", "success": 1.0}]
    with pytest.raises(lk.ParseError, match="success is true, expected a number or null"):
        lk.parse_stat('[{"name": "p", "success": true}]')
    with pytest.raises(lk.ParseError, match="kind is 7, expected a string"):
        lk.parse_stat('[{"name": "p", "kind": 7}]')


def test_check_fields_are_bounded_and_stripped():
    text = json.dumps({"success": False, "categories": [{"categoryName": "c\x1b[1m", "checks": [
        {"description": {"nested": ["x"]}, "result": "error", "error": "e\x00" * 3000, "hint": 5}]}]})
    row = lk.parse_check(text)["errors"][0]
    assert row["category"] == "c" and row["description"] == '{"nested": ["x"]}' and row["hint"] == "5"
    assert "\x00" not in row["error"] and len(row["error"]) < 1100


def test_pod_problems_name_the_field():
    assert lk.pod_problems(["pod", {"spec": {"containers": {"name": "x"}}}, {"metadata": {"labels": ["a"]}}]) == [
        "pods[0] is a str, not a Pod object",
        "pods[1].spec.containers is a dict, not a list",
        "pods[2].metadata.labels is a list, not an object",
    ]


# ---------------------------------------------------------------- _kind


@settings(max_examples=60, deadline=None)
@given(JSON)
def test_node_parsing_raises_only_kind_errors(value):
    for text in (json.dumps(value), json.dumps({"items": [value]}), json.dumps({"items": value})):
        try:
            rows = kind.node_readiness(text)
        except kind.KindError as exc:
            assert len(str(exc)) < 1000
        else:
            kind.all_ready(rows, 1)
            kind.not_ready_summary(rows, 2)
        try:
            kind.server_version(text)
        except kind.KindError:
            pass


@settings(max_examples=50, deadline=None)
@given(JSON)
def test_config_problems_never_raise(value):
    for config in (value, {"kind": "Cluster", "apiVersion": kind.API_VERSION, "nodes": [value]},
                   {"kind": "Cluster", "apiVersion": kind.API_VERSION, "networking": value},
                   {"kind": "Cluster", "apiVersion": kind.API_VERSION,
                    "nodes": [{"role": "control-plane", "extraPortMappings": [value]}]}):
        problems = kind.config_problems(config, "mcpmesh")
        assert all(isinstance(p, str) and len(p) < 1000 for p in problems)


def test_kind_errors_are_stripped_and_bounded():
    assert kind.kind_error("\x1b[31mERROR: boom\x1b[0m\n", 1) == "ERROR: boom"
    assert len(kind.kind_error("x" * 10000, 1)) < 400


def test_a_config_with_keys_of_mixed_types_is_reported():
    problems = kind.config_problems({1: "a", "b": 2, "kind": "Cluster", "apiVersion": kind.API_VERSION}, None)
    assert "unknown key 1" in problems and "unknown key 'b'" in problems


# ---------------------------------------------------------------- _yaml


BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


def test_an_alias_bomb_is_refused_before_it_is_built():
    assert len(BOMB) < 700
    with pytest.raises(_yaml.YamlRefused, match="expand to more than 100000 nodes"):
        _yaml.load_all(BOMB)


def test_aliases_within_the_budget_are_read():
    assert _yaml.load("a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}


@pytest.mark.parametrize(("text", "reason"), [
    ("[" * 3000, "nested too deeply"),
    ("a: [1\n", "not valid YAML (line 2, column 1: expected ',' or ']'"),
    ("a: 1\x00", "NUL bytes"),
    ("a: 1\n---\nb: 2\n", "2 YAML documents, expected one"),
])
def test_yaml_refusals_say_why(text, reason):
    with pytest.raises(_yaml.YamlRefused) as caught:
        _yaml.load(text)
    assert reason in str(caught.value)


def test_yaml_errors_never_quote_the_file():
    with pytest.raises(_yaml.YamlRefused) as caught:
        _yaml.load("licence: s3cr3t-value\n  bad: [\n")
    assert "s3cr3t" not in str(caught.value)


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n ,?%@`\t0123456789")), max_size=80))
def test_yaml_raises_only_refusals(text):
    try:
        _yaml.load_all(text)
    except _yaml.YamlRefused:
        pass


# ---------------------------------------------------------------- _artifacts, _preflight


def test_forbidden_digests_find_a_secret_without_being_given_it():
    secret = "licence-\u00e9t\u00e9"
    entry = {"sha256": hashlib.sha256(secret.encode()).hexdigest(), "length": len(secret.encode())}
    other = {"sha256": hashlib.sha256(b"absent").hexdigest(), "length": 6}
    assert art.forbidden_digest_hits(f"a: 1\nb: {secret}\n", [other, entry, entry]) == [2, 3]
    assert art.forbidden_digest_hits("a: 1\n", [entry]) == []
    assert art.forbidden_digest_hits("", [entry]) == []
    assert art.digest_problems([entry, {"sha256": "ABC", "length": True}]) == [
        "forbidden_digests[2].sha256 is not 64 hexadecimal digits",
        "forbidden_digests[2].length must be a whole number of bytes, 1 or more"]


def test_core_kind_messages_name_the_type_not_the_value():
    message = art.error_message("['SECRET'] is not of type 'string', 'null'", ["SECRET"])
    assert message == "the array value is not of type 'string', 'null'"


def test_preflight_input_problems():
    assert pf.input_problems([{"name": "kind", "min_version": "banana"}, {"name": "helm", "min_version": "3.8"},
                              {"name": "linkerd", "min_version": "edge-26.8.3"}, {"name": "x", "min_version": None}],
                             [{"port": 70000, "address": "0.0.0.0"}, {"port": -1, "address": "::"},
                              {"port": 0, "address": "127.0.0.1"}, {"port": 80, "address": "a\x00b"}]) == [
        "tools[0] ('kind'): min_version 'banana' is not a version; write MAJOR.MINOR or MAJOR.MINOR.PATCH, "
        "for example 0.27.0",
        "ports[0]: port 70000 is not a TCP port number (1 to 65535)",
        "ports[1]: port -1 is not a TCP port number (1 to 65535)",
        "ports[2]: port 0 is not a TCP port number (1 to 65535)",
        "ports[3]: address 'ab' is not an IP address (0.0.0.0 for every IPv4 address, :: for every IPv6 one)",
    ]
    row = pf.check_tool("kind", "/bin/kind", "kind v0.32.0", "banana", "")
    assert row["ok"] is False and "is not a version" in row["problem"]


# ---------------------------------------------------------------- _linkerd_certs


NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def test_a_trust_anchor_bundle_is_kept_whole():
    old, _old_key = lc.generate_anchor(NOW - 100 * DAY, 3650)
    new, new_key = lc.generate_anchor(NOW, 3650)
    bundle = lc.cert_pem(new) + lc.cert_pem(old)
    result = lc.resolve(anchor_cert_pem=bundle, anchor_key_pem=lc.key_pem(new_key), now=NOW)
    assert result["trust_anchor_pem"] == bundle
    assert len(result["trust_anchors"]) == 2
    assert lc.unb64(result["issuer_secret_data"]["ca.crt"], "ca.crt") == bundle
    issuer = lc.load_cert(result["issuer_cert_pem"], "issuer")
    assert lc.signed_by(issuer, new)
    # The key of the second certificate of the bundle signs, wherever it stands.
    second = lc.resolve(anchor_cert_pem=lc.cert_pem(old) + lc.cert_pem(new), anchor_key_pem=lc.key_pem(new_key), now=NOW)
    assert lc.signed_by(lc.load_cert(second["issuer_cert_pem"], "issuer"), new)
    assert second["trust_anchor"]["serial"] == format(new.serial_number, "x")


def test_an_issuer_chaining_to_any_anchor_of_the_bundle_is_reused():
    old, old_key = lc.generate_anchor(NOW - 100 * DAY, 3650)
    new, _new_key = lc.generate_anchor(NOW, 3650)
    issuer, issuer_key = lc.generate_issuer(old, old_key, NOW - DAY, 365)
    bundle = lc.cert_pem(new) + lc.cert_pem(old)
    issuer_data = {"tls.crt": lc.b64(lc.cert_pem(issuer)), "tls.key": lc.b64(lc.key_pem(issuer_key)),
                   "ca.crt": lc.b64(bundle)}
    result = lc.resolve(issuer_data, None, now=NOW)
    assert result["issuer_action"] == "reused" and result["trust_anchor_pem"] == bundle
    assert result["changed"] is False


def test_rotation_keeps_the_old_anchor_while_it_is_valid():
    first = lc.resolve(anchor_validity_days=30, now=NOW)
    rotated = lc.resolve(first["issuer_secret_data"], first["anchor_secret_data"], rotate_anchor=True,
                         renew_before_days=60, issuer_validity_days=365, now=NOW + DAY)
    assert rotated["anchor_action"] == "rotated"
    certs = lc.load_certs(rotated["trust_anchor_pem"], "bundle")
    assert len(certs) == 2 and lc.cert_pem(certs[1]) == first["trust_anchor_pem"]
    assert lc.signed_by(lc.load_cert(rotated["issuer_cert_pem"], "issuer"), certs[0])


def test_an_expired_certificate_in_the_bundle_is_warned_about():
    old, _old_key = lc.generate_anchor(NOW - 400 * DAY, 30)
    new, new_key = lc.generate_anchor(NOW, 3650)
    result = lc.resolve(anchor_cert_pem=lc.cert_pem(new) + lc.cert_pem(old), anchor_key_pem=lc.key_pem(new_key), now=NOW)
    assert any("certificate 2 of the trust anchor bundle" in w and "expired" in w for w in result["warnings"])


@pytest.mark.parametrize("days", [0, 36501, 100000000])
def test_validity_days_are_bounded(days):
    with pytest.raises(lc.IdentityError, match="between 1 and 36500"):
        lc.resolve(anchor_validity_days=days, now=NOW)
