#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: metallb_range
short_description: Choose a MetalLB address pool from the container network a kind cluster runs on
version_added: 0.1.0
description:
  - Reads the container network (C(kind) by default) with C(docker network inspect) or C(podman network inspect),
    or takes that command's JSON output in O(network_info) and runs nothing.
  - Understands Docker's format (IPv4 or IPv6 entry first, IPv6 entries without C(Gateway), IPv4-only networks),
    Podman 4+ netavark (C(subnets[].subnet)) and Podman 3 CNI (C(plugins[].ipam.ranges)). Subnets are chosen by
    address family, never by their position in the list.
  - The default pool is hosts O(first_host) to O(last_host) (200 to 250) of the last /24 inside the IPv4 subnet,
    so C(172.18.0.0/16) gives C(172.18.255.200-172.18.255.250) and C(10.89.0.0/24) gives C(10.89.0.200-10.89.0.250).
    For IPv6 the same host numbers count in the last /120 of the subnet.
  - The network, broadcast and gateway addresses, and every address a container on the network holds, are left out
    of the computed pool, which then holds several ranges. A pool given in O(addresses) is only checked, and
    refused if it lies outside the network or includes any of those addresses.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
options:
  network:
    description:
      - The container network the cluster's nodes are attached to. kind names it C(kind)
        (C(KIND_EXPERIMENTAL_DOCKER_NETWORK) or C(KIND_EXPERIMENTAL_PODMAN_NETWORK) change that).
    type: str
    default: kind
  runtime:
    description:
      - The container engine to ask. V(auto) uses C(docker) when it is on C(PATH), else C(podman).
      - Not used when O(network_info) is given.
    type: str
    choices: [docker, podman, auto]
    default: auto
  network_info:
    description:
      - The output of C(docker network inspect) or C(podman network inspect) for the network, as the JSON text or
        the parsed list (or one network object). When given, no command runs.
    type: raw
  first_host:
    description: The first host number of the pool inside the last /24 (IPv4) or /120 (IPv6) of the subnet.
    type: int
    default: 200
  last_host:
    description: The last host number of the pool inside the last /24 (IPv4) or /120 (IPv6) of the subnet.
    type: int
    default: 250
  addresses:
    description:
      - A pool chosen by the user, as MetalLB writes it (C(start-end) ranges or CIDRs). It is only checked against
        the network; O(first_host), O(last_host) and O(ip_family) are then not used.
    type: list
    elements: str
  ip_family:
    description:
      - Which subnet(s) the pool comes from. V(ipv4) uses the IPv4 subnet and fails on an IPv6-only network;
        V(ipv6) uses the IPv6 subnet; V(dual) returns an IPv4 and an IPv6 range (for a dual-stack cluster).
    type: str
    choices: [ipv4, ipv6, dual]
    default: ipv4
notes:
  - With rootless Podman, and with Docker Desktop on macOS or Windows, the addresses of the network are not reachable
    from the host; reach services through the kind port mappings instead.
seealso:
  - name: MetalLB IPAddressPool
    description: The pool format (ranges and CIDRs).
    link: https://metallb.universe.tf/configuration/
"""

EXAMPLES = r"""
- name: Choose the pool from the kind docker network.
  mcpmesh.platform.metallb_range:
  register: pool

- name: Use it.
  ansible.builtin.debug:
    msg: "{{ pool.addresses }}"   # ['172.18.255.200-172.18.255.250']

- name: Choose the pool from a recorded inspect output; nothing runs.
  mcpmesh.platform.metallb_range:
    network_info: "{{ lookup('ansible.builtin.file', 'kind-network.json') }}"

- name: A dual-stack pool from podman's network.
  mcpmesh.platform.metallb_range:
    runtime: podman
    ip_family: dual

- name: Check a pool the user chose.
  mcpmesh.platform.metallb_range:
    addresses: [172.18.200.0/28]
"""

RETURN = r"""
range:
  description:
    - The span of the pool, first to last address, of its first family (IPv4 unless O(ip_family=ipv6)).
    - The pool itself is RV(addresses), which leaves out addresses that are reserved or held.
  returned: success
  type: str
  sample: 172.18.255.200-172.18.255.250
subnet:
  description: The subnet the pool (its first family) lies in.
  returned: success
  type: str
  sample: 172.18.0.0/16
gateway:
  description: The gateway of that subnet; V(null) when the network lists none.
  returned: success
  type: str
  sample: 172.18.0.1
family: {description: "V(ipv4), V(ipv6) or V(dual).", returned: success, type: str, sample: ipv4}
addresses:
  description: The pool, ready for an IPAddressPool's C(spec.addresses); several ranges when addresses were left out.
  returned: success
  type: list
  elements: str
  sample: [172.18.255.200-172.18.255.250]
pools:
  description: One entry per family, with C(family), C(subnet), C(gateway), C(range), C(addresses), C(left_out) and C(size).
  returned: success
  type: list
  elements: dict
subnets:
  description: Every subnet the network lists, in the order listed.
  returned: success
  type: list
  elements: str
  sample: [fc00:f853:ccd:e793::/64, 172.18.0.0/16]
held:
  description: The addresses containers on the network hold (Docker lists them; Podman's inspect does not).
  returned: success
  type: list
  elements: str
  sample: [172.18.0.2, 172.18.0.3]
shape: {description: "The inspect format read, V(docker), V(netavark) or V(cni).", returned: success, type: str}
source:
  description: Where the network came from, V(docker), V(podman) or V(network_info).
  returned: always
  type: str
cmd:
  description: The inspect command run, when one ran.
  returned: when a command ran
  type: list
  elements: str
  sample: [/usr/bin/docker, network, inspect, kind]
rc: {description: "The inspect command's exit status, when it failed.", returned: failure, type: int}
stderr: {description: "The inspect command's standard error, when it failed.", returned: failure, type: str}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _metallb
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import RUNTIME_ARG_SPEC, Cli, failure, new_module

INSPECT_TIMEOUT = 60


def find_engine(module: AnsibleModule, runtime: str) -> Cli:
    candidates = ["docker", "podman"] if runtime == "auto" else [runtime]
    for name in candidates:
        cli = Cli(module, name, required=False)
        if cli.found:
            return cli
    wanted = " or ".join(candidates)
    module.fail_json(
        msg=f"{wanted} is not on PATH, so the network {module.params['network']!r} cannot be inspected; install the "
        "engine kind runs on, choose the other one with 'runtime', or pass the inspect output in network_info",
        source=runtime,
    )
    return None  # not reached


def main() -> None:
    module = new_module(AnsibleModule, dict(
        network=dict(type="str", default="kind"),
        **RUNTIME_ARG_SPEC,
        network_info=dict(type="raw"),
        first_host=dict(type="int", default=200),
        last_host=dict(type="int", default=250),
        addresses=dict(type="list", elements="str"),
        ip_family=dict(type="str", choices=["ipv4", "ipv6", "dual"], default="ipv4"),
    ))
    params = module.params
    network = params["network"]
    extra = {}
    info = params["network_info"]
    if info is not None and info != "":
        source = "network_info"
    else:
        engine = find_engine(module, params["runtime"])
        source = engine.name
        res = engine.run(["network", "inspect", network], timeout=INSPECT_TIMEOUT, check_rc=False)
        extra["cmd"] = res.cmd
        if res.rc != 0:
            module.fail_json(**failure(_metallb.inspect_failure(source, network, res.rc, res.stdout, res.stderr),
                                       res, source=source))
        info = res.stdout
    try:
        result = _metallb.choose_pool(info, network=network, ip_family=params["ip_family"],
                                      first_host=params["first_host"], last_host=params["last_host"],
                                      addresses=params["addresses"])
    except _metallb.PoolError as exc:
        module.fail_json(**failure(str(exc), source=source, **extra))
    module.exit_json(changed=False, source=source, **result, **extra)


if __name__ == "__main__":
    main()
