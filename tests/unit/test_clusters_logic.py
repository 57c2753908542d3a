# SPDX-License-Identifier: GPL-3.0-or-later
"""Many clusters in one run (collisions) and the MCP endpoint of an existing cluster (ingress_endpoint)."""
from __future__ import annotations

import pytest

from ansible_collections.mcpmesh.platform.plugins.module_utils import _clusters as cl


def kind_cluster(host, index, **extra):
    cluster = {"host": host, "name": host, "provider": "kind", "kubeconfig": "", "context": f"kind-{host}",
               "artifacts_dir": f"/w/.mcpmesh/{host}", "host_ports": [8080 + index, 8443 + index],
               "loadbalancer": "metallb",
               "metallb": {"network": "kind", "runtime": "docker", "first_host": 50 + 20 * index,
                           "last_host": 69 + 20 * index, "addresses": []}}
    cluster.update(extra)
    return cluster


def test_two_kind_clusters_set_up_apart_do_not_collide():
    assert cl.collisions([kind_cluster("east", 0), kind_cluster("west", 1)]) == []


def test_a_shared_name_port_folder_and_context_are_each_named():
    east, west = kind_cluster("east", 0), kind_cluster("west", 1)
    west.update(name="east", context="kind-east", artifacts_dir="/w/.mcpmesh/east/", host_ports=[8080, 8444])
    problems = cl.collisions([east, west])
    assert "east, west share the kind cluster name 'east'" in problems
    assert "east, west share the kubeconfig context 'kind-east'" in problems
    assert "east, west share the artifacts folder '/w/.mcpmesh/east'" in problems
    assert "east, west share the host port 8080" in problems
    assert len(problems) == 4


def test_default_metallb_slices_on_the_kind_network_overlap():
    east, west = kind_cluster("east", 0), kind_cluster("west", 1)
    for cluster in (east, west):
        cluster["metallb"].update(first_host=200, last_host=250)
    (problem,) = cl.collisions([east, west])
    assert problem.startswith("east and west take their MetalLB pools from the same docker network 'kind'")
    assert "200-250 and 200-250" in problem and "mcpmesh_cluster_index" in problem


@pytest.mark.parametrize(("change", "collides"), [
    ({"first_host": 69, "last_host": 80}, True),      # touches the last host of east's slice
    ({"first_host": 70, "last_host": 89}, False),
    ({"network": "kind-other"}, False),               # another network: other addresses
    ({"runtime": "podman"}, False),
])
def test_metallb_slices_collide_only_on_one_network_and_overlapping_hosts(change, collides):
    east, west = kind_cluster("east", 0), kind_cluster("west", 1)
    west["metallb"].update(change)
    assert bool(cl.collisions([east, west])) is collides


def test_given_pools_are_compared_as_addresses():
    east, west = kind_cluster("east", 0), kind_cluster("west", 1)
    east["metallb"]["addresses"] = ["172.18.255.50-172.18.255.69"]
    west["metallb"]["addresses"] = ["172.18.255.64/28"]
    assert cl.collisions([east, west]) == ["east and west have overlapping metallb_addresses"]
    west["metallb"]["addresses"] = ["172.18.255.80/28", "not an address"]
    assert cl.collisions([east, west]) == []


def test_existing_clusters_share_no_host_port_and_no_kind_name():
    one = kind_cluster("prod", 0, provider="existing", loadbalancer="none", context="prod", name="mcpmesh")
    two = kind_cluster("stage", 0, provider="existing", loadbalancer="none", context="stage", name="mcpmesh",
                       artifacts_dir="/w/.mcpmesh/stage")
    assert cl.collisions([one, two]) == []
    two["context"] = "prod"
    assert cl.collisions([one, two]) == ["prod, stage share the kubeconfig context 'prod'"]
    two["kubeconfig"] = "/other/kubeconfig"   # the same context name in another kubeconfig is another cluster
    assert cl.collisions([one, two]) == []


def test_one_cluster_never_collides_with_itself():
    assert cl.collisions([kind_cluster("only", 0)]) == []
    assert cl.collisions([]) == []


def traefik(service_type="LoadBalancer", ingress=None, ports=None, name="traefik", labels=None):
    return {"metadata": {"name": name, "namespace": "cosmonic-system",
                         "labels": labels if labels is not None else {"app.kubernetes.io/name": "traefik"}},
            "spec": {"type": service_type,
                     "ports": ports if ports is not None else [
                         {"name": "web", "port": 80, "nodePort": 30080, "protocol": "TCP"},
                         {"name": "websecure", "port": 443, "nodePort": 30443, "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": ingress if ingress is not None else [{"ip": "203.0.113.7"}]}}}


SELECTORS = ["app.kubernetes.io/name=traefik", "app=traefik"]


def test_the_endpoint_is_the_load_balancer_address_of_the_edge_proxy():
    other = traefik(name="nats", labels={"app": "nats"})
    got = cl.ingress_endpoint([other, traefik()], SELECTORS, 30080)
    assert got == {"url": "http://203.0.113.7/v1/mcp", "address": "203.0.113.7", "port": 80,
                   "service": "cosmonic-system/traefik", "via": "LoadBalancer", "problem": ""}


def test_the_port_behind_the_node_port_and_a_hostname_are_used():
    ports = [{"name": "admin", "port": 9000}, {"name": "entry", "port": 8000, "nodePort": 30080}]
    got = cl.ingress_endpoint([traefik(ports=ports, ingress=[{"hostname": "lb.example.net"}])], SELECTORS, 30080,
                              "/mcp")
    assert got["url"] == "http://lb.example.net:8000/mcp"


def test_an_ipv6_address_is_bracketed():
    got = cl.ingress_endpoint([traefik(ingress=[{"ip": "2001:db8::7"}])], SELECTORS, 30080)
    assert got["url"] == "http://[2001:db8::7]/v1/mcp"


def test_selectors_are_tried_in_order():
    old_labels = traefik(labels={"app": "traefik"}, ingress=[{"ip": "198.51.100.1"}])
    assert cl.ingress_endpoint([old_labels], SELECTORS, 30080)["address"] == "198.51.100.1"


@pytest.mark.parametrize(("services", "problem"), [
    ([], "no Service matches the edge proxy's selectors (app.kubernetes.io/name=traefik, app=traefik); "
         "the namespace has no Service"),
    ([traefik(labels={"app": "envoy"}, name="envoy")], "the namespace has envoy"),
    ([traefik(ingress=[])], "the Service cosmonic-system/traefik (type LoadBalancer) has no LoadBalancer address yet"),
    ([traefik(service_type="NodePort", ingress=[])], "is of type NodePort and no Ready node has an address"),
    ([traefik(service_type="ClusterIP", ingress=[])], "is of type ClusterIP, so it has no LoadBalancer address"),
    ([traefik(ports=[{"name": "a", "port": 1}, {"name": "b", "port": 2}])], "has no HTTP port to use"),
])
def test_problems_say_why_there_is_no_url(services, problem):
    got = cl.ingress_endpoint(services, SELECTORS, 30080)
    assert got["url"] == "" and problem in got["problem"]


def test_hostile_service_text_is_cleaned():
    got = cl.ingress_endpoint([traefik(ingress=[{"hostname": "lb\x1b[31m.example\x00.net"}])], SELECTORS, 30080)
    assert "\x1b" not in got["url"] and "\x00" not in got["url"]


def test_an_address_that_is_no_host_gives_no_url():
    got = cl.ingress_endpoint([traefik(ingress=[{"hostname": "evil.example/path?x= y"}])], SELECTORS, 30080)
    assert got["url"] == "" and "neither an IP address nor a host name" in got["problem"]


def node(name, ready=True, addresses=(("InternalIP", "10.0.0.5"),)):
    return {"metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "addresses": [{"type": t, "address": a} for t, a in addresses]}}


def test_a_node_port_service_is_reached_on_a_ready_node():
    nodes = [node("down", ready=False, addresses=(("ExternalIP", "192.0.2.1"),)),
             node("a", addresses=(("InternalIP", "10.0.0.5"), ("Hostname", "a"))),
             node("b", addresses=(("ExternalIP", "198.51.100.9"),))]
    got = cl.ingress_endpoint([traefik(service_type="NodePort", ingress=[])], SELECTORS, 30080, nodes=nodes)
    assert (got["url"], got["via"], got["problem"]) == ("http://198.51.100.9:30080/v1/mcp", "NodePort", "")
    got = cl.ingress_endpoint([traefik(service_type="NodePort", ingress=[])], SELECTORS, 30080, nodes=nodes[:2])
    assert got["url"] == "http://10.0.0.5:30080/v1/mcp"
