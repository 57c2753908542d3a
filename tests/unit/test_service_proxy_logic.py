# SPDX-License-Identifier: GPL-3.0-or-later
"""The service-proxy URL and reading kubectl's failures (module_utils/_service_proxy.py).

The stderr lines are in tests/fixtures/service_proxy (written from kubectl's and the API server's source, see SOURCE.md).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _service_proxy as sp

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "service_proxy"


@pytest.mark.parametrize("port, path, url", [
    (8080, "api/v3/pet/4711", "/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/4711"),
    ("8080", "/api/v3/pet/4711", "/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/4711"),
    ("http", "api/v3/pet/findByStatus?status=sold",
     "/api/v1/namespaces/petstore/services/petstore:http/proxy/api/v3/pet/findByStatus?status=sold"),
    (8080, "api/v3/pet/a%20b", "/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/v3/pet/a%20b"),
    (8080, "api/ünï", "/api/v1/namespaces/petstore/services/petstore:8080/proxy/api/%C3%BCn%C3%AF"),
    (8080, "", "/api/v1/namespaces/petstore/services/petstore:8080/proxy/"),
])
def test_proxy_url(port, path, url):
    assert sp.proxy_url("petstore", "petstore", port, path) == url


@pytest.mark.parametrize("namespace, service, port, path, message", [
    ("Petstore", "petstore", 8080, "x", "not a namespace name"),
    ("pet_store", "petstore", 8080, "x", "not a namespace name"),
    ("a" * 64, "petstore", 8080, "x", "not a namespace name"),
    ("petstore", "1petstore", 8080, "x", "not a Service name"),
    ("petstore", "pet/store", 8080, "x", "not a Service name"),
    ("petstore", "petstore", 0, "x", "not between 1 and 65535"),
    ("petstore", "petstore", 65536, "x", "not between 1 and 65535"),
    ("petstore", "petstore", True, "x", "port number or a port name"),
    ("petstore", "petstore", "HTTP", "x", "neither a number"),
    ("petstore", "petstore", "a-very-long-port-name", "x", "neither a number"),
    ("petstore", "petstore", 8.5, "x", "neither a number"),
    ("petstore", "petstore", 8080, "api/v3/pet 1", "white space"),
    ("petstore", "petstore", 8080, "api\n/v3", "white space"),
    ("petstore", "petstore", 8080, "api/\x00", "control characters"),
    ("petstore", "petstore", 8080, "api/x#frag", "fragment"),
    ("petstore", "petstore", 8080, "api/../../namespaces", "'..' segment"),
    ("petstore", "petstore", 8080, "./api", "'..' segment"),
])
def test_bad_arguments(namespace, service, port, path, message):
    with pytest.raises(ValueError, match=message):
        sp.proxy_url(namespace, service, port, path)


def test_dots_in_the_query_are_fine():
    assert sp.proxy_url("petstore", "petstore", 8080, "api?next=../x").endswith("/proxy/api?next=../x")


@pytest.mark.parametrize("name, kind, says", [
    ("get-pet-not-found.stderr", "not_found", "could not find the requested resource"),
    ("service-not-found.stderr", "error", "the Service petstore does not exist in namespace petstore"),
    ("no-endpoints.stderr", "error", "has no ready pod behind it"),
    ("pod-refused.stderr", "error", "could not reach a pod of the Service petstore"),
    ("backend-500.stderr", "error", 'answered an error: Error from server (InternalError): an error on the server ("Internal Server Error")'),
    ("apiserver-refused.stderr", "error", "kubectl cannot reach the API server (The connection to the server 127.0.0.1:6443 was refused"),
    ("forbidden.stderr", "error", "needs the verb on services/proxy"),
])
def test_classify_failure(name, kind, says):
    got_kind, message = sp.classify_failure((FIXTURES / name).read_text(), "", "petstore", "petstore")
    assert got_kind == kind
    assert says in message


def test_unknown_failure_is_quoted_cleaned_and_bounded():
    kind, message = sp.classify_failure("first\nerror: \x1b[31msomething\x1b[0m odd" + "x" * 5000, "", "s", "n")
    assert kind == "error"
    assert message.startswith("error: something odd") and len(message) < 400 and "\x1b" not in message


def test_nothing_printed():
    assert sp.classify_failure("", "", "s", "n") == ("error", "kubectl printed nothing")


# The pod proxy: one replica, not the Service's pick (the marker pet is read through every backend replica).

def test_pod_proxy_url():
    assert sp.pod_proxy_url("petstore", "petstore-6c9f8d7b5-x2k4p", 8080, "api/v3/pet/4711") == (
        "/api/v1/namespaces/petstore/pods/petstore-6c9f8d7b5-x2k4p:8080/proxy/api/v3/pet/4711")
    assert sp.pod_proxy_url("petstore", "web-0.a", "8080", "/") == "/api/v1/namespaces/petstore/pods/web-0.a:8080/proxy/"


@pytest.mark.parametrize("pod, port, path, says", [
    ("Petstore-1", 8080, "x", "not a pod name"),
    ("a" * 254, 8080, "x", "not a pod name"),
    ("p", "http", "x", "container port's number"),
    ("p", True, "x", "container port's number"),
    ("p", 0, "x", "not between 1 and 65535"),
    ("p", 8080, "a/../b", "'..' segment"),
])
def test_pod_proxy_url_refuses(pod, port, path, says):
    with pytest.raises(ValueError, match=says):
        sp.pod_proxy_url("petstore", pod, port, path)


def test_classify_failure_for_a_pod_names_the_pod_and_its_proxy_resource():
    assert "the pod p-1 does not exist" in sp.classify_failure(
        'Error from server (NotFound): pods "p-1" not found', "", "p-1", "petstore", "pod")[1]
    assert "could not reach the pod p-1" in sp.classify_failure(
        (FIXTURES / "pod-refused.stderr").read_text(), "", "p-1", "petstore", "pod")[1]
    assert "pods/proxy" in sp.classify_failure((FIXTURES / "forbidden.stderr").read_text(), "", "p-1", "petstore", "pod")[1]
