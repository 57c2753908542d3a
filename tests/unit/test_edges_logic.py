# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading `linkerd viz edges -o json` and judging the expected mTLS edges (module_utils/_edges.py).

The outputs are in tests/fixtures/linkerd_edges (written from linkerd2's viz/cmd/edges.go, see SOURCE.md).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _edges

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linkerd_edges"
HOST_TO_BACKEND = {"src": "hostgroup-*", "src_namespace": "cosmonic-system", "dst": "petstore"}


def edges(name: str) -> list[dict]:
    return _edges.parse_edges((FIXTURES / name).read_text())


def expect(*entries, namespace="petstore"):
    return _edges.normalize_expected(list(entries), namespace)


def test_parse_keeps_every_field_and_adds_secured():
    parsed = edges("edges-petstore-secured.json")
    assert [e["src"] for e in parsed] == ["hostgroup-default", "prometheus"]
    assert parsed[0] == {"src": "hostgroup-default", "src_namespace": "cosmonic-system", "dst": "petstore",
                         "dst_namespace": "petstore", "client_id": "hostgroup-default.cosmonic-system",
                         "server_id": "default.petstore", "no_tls_reason": "", "secured": True}


def test_no_identity_edge_is_not_secured():
    (edge,) = edges("edges-petstore-no-identity.json")
    assert edge["secured"] is False and edge["no_tls_reason"] == "Not Provided By Remote"


@pytest.mark.parametrize("row, secured", [
    ({"client_id": "a.ns", "server_id": "b.ns", "no_tls_reason": ""}, True),
    ({"client_id": "a.ns", "server_id": "", "no_tls_reason": ""}, False),       # an unknown reason comes out empty
    ({"client_id": "", "server_id": "b.ns", "no_tls_reason": ""}, False),
    ({"client_id": "a.ns", "server_id": "b.ns", "no_tls_reason": "Loopback"}, False),
    ({"client_id": None, "server_id": None, "no_tls_reason": None}, False),
    ({}, False),                                                                # fields left out
])
def test_secured_needs_both_identities_and_no_reason(row, secured):
    text = json.dumps([dict({"src": "a", "dst": "b"}, **row)])
    assert _edges.parse_edges(text)[0]["secured"] is secured


def test_empty_array_is_no_edge():
    assert edges("edges-empty.json") == []


@pytest.mark.parametrize("text, message", [
    ((FIXTURES / "edges-table.txt").read_text(), "not JSON"),
    ((FIXTURES / "garbage.bin").read_bytes().decode("utf-8", errors="replace"), "not JSON"),
    ("", "no output"),
    ("  \n", "no output"),
    ("{}", "not a JSON array"),
    ("[1]", "edge 1 is not an object with src and dst"),
    ('[{"src": "a"}]', "edge 1 is not an object with src and dst"),
    ('[{"src": "a", "dst": "b", "client_id": 7}]', "client_id is not a string"),
    ("[" * 100000, "not JSON"),
])
def test_garbage_is_refused(text, message):
    with pytest.raises(_edges.ParseError, match=message):
        _edges.parse_edges(text)


def test_garbage_message_is_bounded_and_has_no_control_characters():
    raw = (FIXTURES / "garbage.bin").read_bytes().decode("utf-8", errors="replace")
    with pytest.raises(_edges.ParseError) as err:
        _edges.parse_edges(raw)
    text = str(err.value)
    assert len(text) < 300
    assert not any(ord(ch) < 32 for ch in text) and "\x1b" not in text


def test_fields_from_the_cli_are_cleaned():
    (edge,) = _edges.parse_edges(json.dumps([{"src": "a\x1b[31m\u202e", "dst": "b" * 1000}]))
    assert edge["src"] == "a"
    assert len(edge["dst"]) < 400


def test_expected_edge_present_and_secured():
    missing, problems = _edges.judge(edges("edges-petstore-secured.json"), expect(HOST_TO_BACKEND), True)
    assert missing == [] and problems == []


def test_expected_edges_across_namespaces():
    wanted = expect({"src": "envoy", "dst": "hostgroup-*"},
                    {"src": "hostgroup-*", "dst": "petstore", "dst_namespace": "petstore"},
                    {"src": "hostgroup-*", "dst": "nats", "server_id": "nats.*"}, namespace="cosmonic-system")
    missing, problems = _edges.judge(edges("edges-cosmonic-secured.json"), wanted, True)
    assert missing == [] and problems == []


def test_edge_missing_names_it_and_what_was_seen():
    missing, problems = _edges.judge(edges("edges-petstore-missing.json"), expect(HOST_TO_BACKEND), True)
    assert missing == [{"src": "hostgroup-*", "src_namespace": "cosmonic-system", "dst": "petstore",
                        "dst_namespace": "petstore", "client_id": None, "server_id": None}]
    assert len(problems) == 1
    assert problems[0].startswith("edge cosmonic-system/hostgroup-* -> petstore/petstore is missing")
    assert "linkerd-viz/prometheus -> petstore/petstore" in problems[0]


def test_edge_without_identity_fails_only_when_identity_is_required():
    found = edges("edges-petstore-no-identity.json")
    missing, problems = _edges.judge(found, expect(HOST_TO_BACKEND), True)
    assert missing == []
    assert len(problems) == 1 and "is not mTLS: Not Provided By Remote" in problems[0]
    assert "server identity none" in problems[0]
    assert _edges.judge(found, expect(HOST_TO_BACKEND), False) == ([], [])


def test_wrong_identity_is_a_problem():
    wanted = expect(dict(HOST_TO_BACKEND, server_id="petstore.petstore"))
    _missing, problems = _edges.judge(edges("edges-petstore-secured.json"), wanted, True)
    assert problems == ["edge cosmonic-system/hostgroup-default -> petstore/petstore has identities "
                        "hostgroup-default.cosmonic-system -> default.petstore, expected * -> petstore.petstore"]


def test_patterns_do_not_match_more_than_they_say():
    wanted = expect({"src": "hostgroup", "src_namespace": "cosmonic-system", "dst": "petstore"})  # no wildcard
    missing, _problems = _edges.judge(edges("edges-petstore-secured.json"), wanted, True)
    assert len(missing) == 1


def test_namespace_defaults_to_the_checked_one():
    # the source namespace defaults to petstore, where the HostGroup is not
    missing, _problems = _edges.judge(edges("edges-petstore-secured.json"), expect({"src": "hostgroup-*", "dst": "petstore"}), True)
    assert missing and missing[0]["src_namespace"] == "petstore"


def test_nothing_expected_means_every_edge_secured_and_at_least_one():
    assert _edges.judge(edges("edges-petstore-secured.json"), [], True) == ([], [])
    _missing, problems = _edges.judge(edges("edges-petstore-no-identity.json"), [], True)
    assert len(problems) == 1 and "not mTLS" in problems[0]
    _missing, problems = _edges.judge([], [], True)
    assert len(problems) == 1 and "no edge at all" in problems[0]
    _missing, problems = _edges.judge([], [], False)
    assert len(problems) == 1


@pytest.mark.parametrize("entry, message", [
    ({"src": "a"}, "needs both src and dst"),
    ({"dst": "a"}, "needs both src and dst"),
    ({"src": "a", "dst": "b", "dest": "c"}, "unknown key"),
    ("a->b", "is not a dict"),
])
def test_bad_expected_entries(entry, message):
    with pytest.raises(ValueError, match=message):
        _edges.normalize_expected([entry], "petstore")


@pytest.mark.parametrize("resource, ok", [
    ("deployment", True), ("deploy", True), ("statefulset", True), ("po", True),
    ("deploy/petstore", False), ("service", False), ("svc", False), ("all", False), ("authority", False), (" ", False),
])
def test_resource_types(resource, ok):
    if ok:
        _edges.check_resource(resource)
    else:
        with pytest.raises(ValueError):
            _edges.check_resource(resource)
