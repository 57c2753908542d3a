# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mcpmesh.platform.plugins.module_utils import _vars as v


def one(check: dict) -> list[str]:
    return v.problems([{"name": "x", **check}])


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ({"value": 0, "type": "int", "min": 0}, []),
        ({"value": "3", "type": "int", "min": 0}, []),  # what -e x=3 gives
        ({"value": -1, "type": "int", "min": 0}, ["x=-1: must be 0 or more."]),
        ({"value": "-1", "type": "int", "min": 0}, ["x='-1': must be 0 or more."]),
        ({"value": 2.0, "type": "int"}, []),
        ({"value": 2.5, "type": "int"}, ["x=2.5: must be an integer (a whole number)."]),
        ({"value": True, "type": "int"}, ["x=True: must be an integer, not a boolean."]),
        ({"value": "two", "type": "int"}, ["x='two': must be an integer."]),
        ({"value": None, "type": "int"}, ["x=None: must be an integer, not nothing (null)."]),
        ({"value": [1], "type": "number"}, ["x=[1]: must be a number, not a list."]),
        ({"value": 0.5, "type": "number", "min": 0, "max": 1}, []),
        ({"value": "1", "type": "number", "min": 0, "max": 1}, []),
        ({"value": 1.01, "type": "number", "min": 0, "max": 1}, ["x=1.01: must be between 0 and 1."]),
        ({"value": float("nan"), "type": "number", "min": 0, "max": 1}, ["x=nan: must be a finite number (not nan or infinity)."]),
        ({"value": "inf", "type": "number"}, ["x='inf': must be a finite number (not nan or infinity)."]),
        ({"value": "-Infinity", "type": "number", "above": 0}, ["x='-Infinity': must be a finite number (not nan or infinity)."]),
        ({"value": 0, "type": "int", "above": 0}, ["x=0: must be greater than 0."]),
        ({"value": -3, "type": "int", "above": 0, "max": 64}, ["x=-3: must be greater than 0 and at most 64."]),
        ({"value": 70, "type": "int", "above": 0, "max": 64}, ["x=70: must be 64 or less."]),
        ({"value": 65, "type": "int", "max": 64}, ["x=65: must be 64 or less."]),
        # a bound that is itself wrong is left to that variable's own check
        ({"value": 3, "type": "int", "min": "banana"}, []),
    ],
)
def test_numbers(check, expected):
    assert one(check) == expected


def test_a_string_where_a_list_is_wanted_says_how_to_write_the_list():
    (msg,) = one({"value": "172.18.255.200-172.18.255.250", "type": "list", "elements": "str"})
    assert msg.startswith("x='172.18.255.200-172.18.255.250': must be a list, not a string")
    assert "['172.18.255.200-172.18.255.250']" in msg


@pytest.mark.parametrize(
    ("check", "fragment"),
    [
        ({"value": {"a": 1}, "type": "list"}, "must be a list, not a mapping"),
        ({"value": ["a", 1], "type": "list", "elements": "str"}, "item 2 (1) must be a string, not a number"),
        ({"value": [{}, "b"], "type": "list", "elements": "dict"}, "item 2 ('b') must be a mapping, not a string"),
        ({"value": ["ok", "Not_OK"], "type": "list", "elements": "str", "elements_format": "dns_label"}, "item 2"),
        ({"value": "a=b", "type": "dict"}, "must be a mapping, not a string"),
        ({"value": "maybe", "type": "bool"}, "must be true or false"),
        ({"value": 3, "format": "dns_label"}, "must be a string, not a number"),
    ],
)
def test_types(check, fragment):
    (msg,) = one(check)
    assert fragment in msg


@pytest.mark.parametrize("value", [["a"], [], ("a",)])
def test_lists_pass(value):
    assert one({"value": value, "type": "list", "elements": "str"}) == []


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("version", ["0.16.1", "v1.2.1", "2026.8.3", "1.2.3-rc.1+build.5"], ["latest", "0.1", ">=0.3", "1.2.3.4", "../../x", "01.2.3", ""]),
        ("kube_version", ["1.36", "v1.36.1"], ["1", "latest", "1.36/x"]),
        ("dns_label", ["linkerd", "a", "a-1"], ["Linkerd", "-a", "a-", "a.b", "a_b", "a" * 64, ""]),
        ("dns_subdomain", ["a.b-c.d", "cluster.local"], ["a..b", ".a", "A.b", "a" * 254]),
        ("kind_name", ["mcpmesh", "a" * 49], ["a" * 50, "../../escape", "My_Cluster", "a.b", ""]),
        ("release_name", ["linkerd-control-plane", "a" * 53], ["a" * 54, "Cosmonic"]),
        ("duration", ["1m", "30s", "1h30m", "1.5s"], ["1", "m", "1 m", "-1m"]),
        ("port_list", ["4222", "4222,6222-6223"], ["4222, 6222", "a", ",", ""]),
        ("url_path", ["/v1/mcp", "/"], ["v1/mcp", "/a b", "/a\nb"]),
        ("ip_address", ["127.0.0.1", "0.0.0.0", "::1"], ["localhost", "256.0.0.1", ""]),
        ("path", ["/tmp/x", "relative/x", "/a/b..c"], ["/tmp/../etc", "../x", "a/..", "/a\x00b", "  "]),
    ],
)
def test_formats(fmt, good, bad):
    for value in good:
        assert one({"value": value, "format": fmt}) == [], value
    for value in bad:
        (msg,) = one({"value": value, "format": fmt})
        assert msg.startswith("x="), msg


def test_optional_accepts_an_empty_string_only():
    assert one({"value": "", "format": "dns_label", "optional": True}) == []
    assert len(one({"value": "Bad", "format": "dns_label", "optional": True})) == 1


def test_secret_values_are_never_quoted():
    (msg,) = one({"value": ["s3cr3t-licence", 7], "type": "list", "elements": "str", "secret": True})
    assert "s3cr3t" not in msg and "(value not shown)" in msg
    (msg,) = one({"value": "s3cr3t-licence", "type": "list", "secret": True})
    assert "s3cr3t" not in msg


def test_quotes_are_bounded_and_printable():
    (msg,) = one({"value": "A\x1b[31m" + "b" * 500, "format": "dns_label"})
    assert "\x1b" not in msg and "(506 characters)" in msg and len(msg) < 400


def test_several_variables_give_one_sentence_each_in_order():
    found = v.problems([
        {"name": "a", "value": -1, "type": "int", "min": 0},
        {"name": "b", "value": 1, "type": "int", "min": 0},
        {"name": "c", "value": "x", "type": "list"},
    ])
    assert [msg.split("=", maxsplit=1)[0] for msg in found] == ["a", "c"]


@pytest.mark.parametrize(
    ("checks", "fragment"),
    [
        ("not a list", "must be a list"),
        ([{"value": 1}], "with a name"),
        ([{"name": "x", "value": 1, "type": "complex"}], "unknown type 'complex'"),
        ([{"name": "x", "value": "a", "format": "colour"}], "unknown format 'colour'"),
    ],
)
def test_role_bugs_are_named_as_such(checks, fragment):
    (msg,) = v.problems(checks)
    assert fragment in msg and "a bug in the role" in msg


TYPES = st.sampled_from(["str", "list", "dict", "bool", "int", "number"])
FORMATS = st.sampled_from([None, "path", "ip_address", *v.FORMATS])
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(value=VALUES, kind=TYPES, fmt=FORMATS, bound=VALUES, elements=st.sampled_from([None, "str", "dict"]))
def test_nothing_but_sentences_come_out(value, kind, fmt, bound, elements):
    check = {"name": "x", "value": value, "type": kind, "min": bound, "max": bound, "above": bound, "elements": elements}
    if fmt:
        check["format"] = fmt
    found = v.problems([check])
    assert all(isinstance(msg, str) and msg.startswith("x") and len(msg) < 1000 for msg in found)


def test_to_number_keeps_ints_exact():
    assert v.to_number("12345678901234567890", integer=True) == 12345678901234567890
    assert math.isclose(v.to_number("0.25", integer=False), 0.25)
