# SPDX-License-Identifier: GPL-3.0-or-later
"""The MetalLB pool computation, table-driven over every network shape in tests/fixtures/metallb."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _metallb as ml
from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas_metallb

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "metallb"


def fixture(name: str) -> list:
    return json.loads((FIXTURES / name).read_text())


def netavark(subnet: str, gateway: str | None) -> list:
    entry = {"subnet": subnet}
    if gateway:
        entry["gateway"] = gateway
    return [{"name": "kind", "driver": "bridge", "subnets": [entry]}]


# ---------------------------------------------------------------------------------------------
# Every shape: the default pool, the subnet and gateway chosen by family, never by position.

@pytest.mark.parametrize(
    ("name", "shape", "subnet", "gateway", "pool"),
    [
        ("docker-kind-ipv4-first.json", "docker", "172.18.0.0/16", "172.18.0.1", ["172.18.255.200-172.18.255.250"]),
        ("docker-kind-ipv6-first.json", "docker", "172.18.0.0/16", "172.18.0.1", ["172.18.255.200-172.18.255.250"]),
        ("docker-kind-ipv4-only.json", "docker", "172.19.0.0/16", "172.19.0.1", ["172.19.255.200-172.19.255.250"]),
        ("podman-netavark-kind.json", "netavark", "10.89.0.0/24", "10.89.0.1", ["10.89.0.200-10.89.0.250"]),
        ("podman3-cni-kind.json", "cni", "10.89.1.0/24", "10.89.1.1", ["10.89.1.200-10.89.1.250"]),
    ],
)
def test_every_shape_gives_the_top_of_the_ipv4_subnet(name, shape, subnet, gateway, pool):
    for info in (fixture(name), (FIXTURES / name).read_text(), fixture(name)[0]):  # parsed, text, one object
        result = ml.choose_pool(info)
        assert result["shape"] == shape
        assert (result["subnet"], result["gateway"], result["family"]) == (subnet, gateway, "ipv4")
        assert result["addresses"] == pool
        assert result["range"] == pool[0]
        assert result["pools"][0]["size"] == 51


def test_the_bash_version_s_defect_is_gone():
    """The seed took IPAM.Config[0]; with the IPv6 entry first that produced an IPv6 'range'."""
    info = fixture("docker-kind-ipv6-first.json")
    assert info[0]["IPAM"]["Config"][0]["Subnet"].startswith("fc00:")
    assert "Gateway" not in info[0]["IPAM"]["Config"][0]
    assert ml.choose_pool(info)["range"] == "172.18.255.200-172.18.255.250"


def test_container_addresses_are_read_from_docker_s_listing():
    assert ml.held_addresses(fixture("docker-kind-ipv6-first.json")[0]) == {
        ml.ipaddress.ip_address(a) for a in ("172.18.0.2", "172.18.0.3", "fc00:f853:ccd:e793::2", "fc00:f853:ccd:e793::3")}
    assert ml.held_addresses(fixture("podman-netavark-kind.json")[0]) == set()


# ---------------------------------------------------------------------------------------------
# Subnet sizes: /16, /20, /24 and /28.

@pytest.mark.parametrize(
    ("subnet", "gateway", "first", "last", "expected"),
    [
        ("172.18.0.0/16", "172.18.0.1", 200, 250, ["172.18.255.200-172.18.255.250"]),
        ("172.20.0.0/20", "172.20.0.1", 200, 250, ["172.20.15.200-172.20.15.250"]),
        ("192.168.97.0/24", "192.168.97.1", 200, 250, ["192.168.97.200-192.168.97.250"]),
        ("10.89.0.0/24", "10.89.0.1", 10, 20, ["10.89.0.10-10.89.0.20"]),
        ("10.10.0.16/28", "10.10.0.17", 8, 14, ["10.10.0.24-10.10.0.30"]),
        # the network's broadcast address is left out, in a /16 as in a /24; .255 elsewhere is a host
        ("172.18.0.0/16", "172.18.0.1", 250, 255, ["172.18.255.250-172.18.255.254"]),
        ("172.20.0.0/20", "172.20.0.1", 250, 255, ["172.20.15.250-172.20.15.254"]),
        ("172.18.0.0/16", "172.18.0.1", 0, 0, ["172.18.255.0/32"]),
        ("10.89.0.0/24", "10.89.0.1", 250, 255, ["10.89.0.250-10.89.0.254"]),
        # the gateway is left out when the pool would cover it
        ("10.89.0.0/24", "10.89.0.220", 200, 250, ["10.89.0.200-10.89.0.219", "10.89.0.221-10.89.0.250"]),
        ("10.89.0.0/24", "10.89.0.1", 0, 3, ["10.89.0.2-10.89.0.3"]),
    ],
)
def test_subnet_sizes_and_moved_hosts(subnet, gateway, first, last, expected):
    result = ml.choose_pool(netavark(subnet, gateway), first_host=first, last_host=last)
    assert result["addresses"] == expected
    assert result["range"] == f"{ml.parse_entry(expected[0])[0]}-{ml.parse_entry(expected[-1])[1]}"


def test_a_28_is_too_small_for_the_default_hosts_and_says_what_to_do():
    with pytest.raises(ml.PoolError) as err:
        ml.choose_pool(netavark("10.10.0.16/28", "10.10.0.17"))
    message = str(err.value)
    assert "subnet 10.10.0.16/28 of network 'kind' is too small for hosts 200..250" in message
    assert "16 addresses; hosts usable: 1..14" in message
    assert "set first_host/last_host inside it, give the pool in 'addresses'" in message


@pytest.mark.parametrize("subnet", ["10.0.0.0/31", "10.0.0.5/32"])
def test_a_point_to_point_subnet_is_too_small(subnet):
    with pytest.raises(ml.PoolError, match="too small"):
        ml.choose_pool(netavark(subnet, None), first_host=0, last_host=1)


@pytest.mark.parametrize(("first", "last"), [(-1, 10), (30, 20)])
def test_host_numbers_must_make_a_range(first, last):
    with pytest.raises(ml.PoolError, match="do not make a range"):
        ml.choose_pool(fixture("docker-kind-ipv4-only.json"), first_host=first, last_host=last)


# ---------------------------------------------------------------------------------------------
# Held addresses are cut out; a pool left with nothing is a failure.

def test_a_held_address_splits_the_pool():
    result = ml.choose_pool(fixture("docker-kind-held-in-pool.json"))
    assert result["addresses"] == ["172.18.255.200-172.18.255.209", "172.18.255.211-172.18.255.250"]
    assert result["range"] == "172.18.255.200-172.18.255.250"
    assert result["pools"][0]["left_out"] == ["172.18.255.210"]
    assert result["pools"][0]["size"] == 50


def test_single_addresses_left_between_held_ones_are_written_as_host_cidrs():
    info = fixture("docker-kind-ipv4-only.json")
    info[0]["Containers"] = {
        "a": {"Name": "a", "IPv4Address": "172.19.255.201/16", "IPv6Address": ""},
        "b": {"Name": "b", "IPv4Address": "172.19.255.203/16", "IPv6Address": ""},
    }
    result = ml.choose_pool(info, first_host=200, last_host=204)
    assert result["addresses"] == ["172.19.255.200/32", "172.19.255.202/32", "172.19.255.204/32"]


def test_a_pool_that_is_all_held_fails():
    info = fixture("docker-kind-ipv4-only.json")
    info[0]["Containers"] = {"a": {"Name": "a", "IPv4Address": "172.19.255.200/16", "IPv6Address": ""}}
    with pytest.raises(ml.PoolError, match="every address of 172.19.255.200-172.19.255.200"):
        ml.choose_pool(info, first_host=200, last_host=200)


# ---------------------------------------------------------------------------------------------
# IPv6: only on request; an IPv6-only network without a choice fails.

def test_an_ipv6_only_network_needs_an_explicit_choice():
    with pytest.raises(ml.PoolError) as err:
        ml.choose_pool(fixture("docker-ipv6-only.json"))
    assert "has no IPv4 subnet, only IPv6 (fc00:f853:ccd:e793::/64); set ip_family=ipv6" in str(err.value)
    result = ml.choose_pool(fixture("docker-ipv6-only.json"), ip_family="ipv6")
    assert result["family"] == "ipv6"
    assert result["addresses"] == ["fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8-fc00:f853:ccd:e793:ffff:ffff:ffff:fffa"]
    assert result["gateway"] == "fc00:f853:ccd:e793::1"


@pytest.mark.parametrize("name", ["docker-kind-ipv6-first.json", "podman-netavark-kind.json", "podman3-cni-kind.json"])
def test_dual_stack_pool_has_one_range_per_family(name):
    result = ml.choose_pool(fixture(name), ip_family="dual")
    assert result["family"] == "dual"
    assert [row["family"] for row in result["pools"]] == ["ipv4", "ipv6"]
    assert result["addresses"][1] == "fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8-fc00:f853:ccd:e793:ffff:ffff:ffff:fffa"
    assert result["range"] == result["pools"][0]["range"]


def test_dual_stack_on_an_ipv4_only_network_fails_clearly():
    with pytest.raises(ml.PoolError, match="has no IPv6 subnet .* for ip_family=dual"):
        ml.choose_pool(fixture("docker-kind-ipv4-only.json"), ip_family="dual")


def test_unknown_family_is_refused():
    with pytest.raises(ml.PoolError, match="ip_family='ipv5'"):
        ml.choose_pool(fixture("docker-kind-ipv4-only.json"), ip_family="ipv5")


# ---------------------------------------------------------------------------------------------
# A pool the user gives is only checked.

@pytest.mark.parametrize(
    ("addresses", "family", "span"),
    [
        (["172.18.100.0/24"], "ipv4", "172.18.100.0-172.18.100.255"),
        (["172.18.10.10-172.18.10.20", "172.18.11.0/28"], "ipv4", "172.18.10.10-172.18.11.15"),
        (["172.18.10.10-172.18.10.20", "fc00:f853:ccd:e793::100-fc00:f853:ccd:e793::1ff"], "dual",
         "172.18.10.10-172.18.10.20"),
    ],
)
def test_explicit_addresses_are_checked_and_kept(addresses, family, span):
    result = ml.choose_pool(fixture("docker-kind-ipv6-first.json"), addresses=addresses, first_host=999)
    assert result["addresses"] == addresses
    assert result["family"] == family
    assert result["range"] == span
    assert result["subnet"] == "172.18.0.0/16"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("172.19.0.10-172.19.0.20", "lies outside every IPv4 subnet of network 'kind' (172.18.0.0/16)"),
        ("172.18.0.1-172.18.0.9", "includes 172.18.0.1 (the gateway), 172.18.0.2 (held by a container), "
                                  "172.18.0.3 (held by a container)"),
        ("172.18.0.0/24", "includes 172.18.0.0 (the network address)"),
        ("172.18.255.250-172.18.255.255", "includes 172.18.255.255 (the broadcast address)"),
        ("172.18.0.20-172.18.0.10", "ends before it starts"),
        ("172.18.0.10-fc00::1", "mixes IPv4 and IPv6"),
        ("172.18.0.1/24", "is not a CIDR"),
        ("172.18.0.10", "neither a range (a-b) nor a CIDR"),
        ("172.18.0.300-172.18.0.301", "pool entry '172.18.0.300-172.18.0.301'"),
    ],
)
def test_explicit_addresses_that_cannot_work_are_refused(entry, message):
    with pytest.raises(ml.PoolError) as err:
        ml.choose_pool(fixture("docker-kind-ipv6-first.json"), addresses=[entry])
    assert message in str(err.value)


# ---------------------------------------------------------------------------------------------
# Inputs that are not a network.

@pytest.mark.parametrize(
    ("info", "message"),
    [
        ("", "is empty"),
        ("Error: oops", "is not JSON"),
        ("[]", "does not exist (the inspect output is an empty list)"),
        ('"kind"', "is not a list of network objects"),
        ([{"Name": "kind", "Driver": "bridge"}], "unknown inspect format (keys: Driver, Name)"),
        ([{"Name": "kind", "IPAM": {"Config": None}}], "lists no subnet"),
        ([{"Name": "kind", "IPAM": {"Config": [{"Subnet": "bogus"}]}}], "'bogus' is not a subnet"),
        ([{"Name": "kind", "IPAM": {"Config": [{"Subnet": "10.0.0.0/24", "Gateway": "x"}]}}], "gateway 'x' is not"),
        ([{"Name": "a", "subnets": []}, {"Name": "b", "subnets": []}], "holds 2 networks ('a', 'b')"),
    ],
)
def test_bad_inspect_output_fails_clearly(info, message):
    with pytest.raises(ml.PoolError) as err:
        ml.choose_pool(info)
    assert message in str(err.value)


def test_the_named_network_is_picked_out_of_several():
    both = fixture("docker-kind-ipv4-only.json") + [dict(fixture("docker-kind-ipv4-first.json")[0], Name="other")]
    assert ml.choose_pool(both)["subnet"] == "172.19.0.0/16"


@pytest.mark.parametrize(
    ("runtime", "stdout", "stderr", "rc", "message"),
    [
        ("docker", "docker-network-inspect-no-engine.stdout", "docker-network-inspect-no-engine.stderr", 1,
         "the docker engine does not answer (Cannot connect to the Docker daemon"),
        ("docker", "docker-network-inspect-missing.stdout", "docker-network-inspect-missing.stderr", 1,
         "the container network 'kind' does not exist in docker (Error response from daemon: network kind not found)"),
        ("podman", "podman-network-inspect-missing.stdout", "podman-network-inspect-missing.stderr", 125,
         "the container network 'kind' does not exist in podman"),
    ],
)
def test_inspect_failures_say_what_to_do(runtime, stdout, stderr, rc, message):
    text = ml.inspect_failure(runtime, "kind", rc, (FIXTURES / stdout).read_text(), (FIXTURES / stderr).read_text())
    assert message in text
    assert "network_info" in text or "create the kind cluster first" in text


def test_an_unknown_inspect_failure_names_the_command():
    assert ml.inspect_failure("docker", "kind", 2, "", "") == "`docker network inspect kind` failed with rc 2: exit status 2"


def test_inputs_are_not_modified():
    info = fixture("docker-kind-held-in-pool.json")
    before = copy.deepcopy(info)
    ml.choose_pool(info, ip_family="dual")
    assert info == before


# ---------------------------------------------------------------------------------------------
# The schemas the metallb role's artifacts are validated against.

def _validator(schema):
    from jsonschema import Draft7Validator

    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


POOL = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
        "metadata": {"name": "mcpmesh-pool", "namespace": "metallb-system"},
        "spec": {"addresses": ["172.18.255.200-172.18.255.250", "fc00::/120", "10.0.0.1/32"]}}
ADVERT = {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
          "metadata": {"name": "mcpmesh-l2", "namespace": "metallb-system"},
          "spec": {"ipAddressPools": ["mcpmesh-pool"]}}


@pytest.mark.parametrize(
    ("obj", "ok"),
    [
        (POOL, True),
        (ADVERT, True),
        ({**ADVERT, "spec": {}}, True),  # an empty spec advertises every pool
        ({**POOL, "spec": {"addresses": []}}, False),
        ({**POOL, "spec": {"addresses": ["172.18.255.200 - 250"]}}, False),
        ({**POOL, "spec": {"addresses": ["x"], "autoAssign": True}}, False),
        ({**POOL, "spec": {"adresses": ["10.0.0.1/32"]}}, False),  # a typo is an error
        ({**POOL, "metadata": {"name": "p"}}, False),  # pools live in the MetalLB namespace
        ({**ADVERT, "spec": {"ipAddressPools": "mcpmesh-pool"}}, False),
    ],
)
def test_pool_and_advertisement_schemas(obj, ok):
    schema = _schemas_metallb.CUSTOM_RESOURCES[(obj["apiVersion"], obj["kind"])]
    errors = list(_validator(schema).iter_errors(obj))
    assert (not errors) == ok, errors


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ({"speaker": {"frr": {"enabled": False}}, "frrk8s": {"enabled": False}}, True),
        ({"speaker": {"frr": {"enabled": False}, "ignoreExcludeLB": True}, "frrk8s": {"enabled": False},
          "crds": {"validationFailurePolicy": "Fail"}}, True),
        ({"speaker": {"frr": {"enabled": True}}, "frrk8s": {"enabled": True}}, False),  # both FRR modes at once
        ({"speaker": {"frr": {"enabled": "no"}}}, False),
        ({"frrk8s": {"enabled": False}, "crds": {"validationFailurePolicy": "Maybe"}}, False),
    ],
)
def test_chart_values_schema(values, ok):
    errors = list(_validator(_schemas_metallb.CHART_VALUES).iter_errors(values))
    assert (not errors) == ok, errors
