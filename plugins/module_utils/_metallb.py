# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic of the metallb_range module: read a container network, choose a MetalLB pool.

The network is what ``docker network inspect <name>`` or ``podman network inspect <name>``
prints. Three shapes are understood (see docs/kind-and-metallb.md; Docker's
``api/types/network.Inspect``, Podman's netavark ``types.Network`` and CNI conflist):

* Docker: ``[{"Name": ..., "IPAM": {"Config": [{"Subnet": ..., "Gateway": ...}, ...]},
  "Containers": {id: {"IPv4Address": "172.18.0.2/16", "IPv6Address": ...}}}]``. The IPv6
  entry may come first and may have no ``Gateway``; a network may be IPv4-only.
* Podman 4+ (netavark): ``[{"name": ..., "subnets": [{"subnet": ..., "gateway": ...}]}]``.
* Podman 3 (CNI): ``[{"name": ..., "plugins": [{"ipam": {"ranges": [[{"subnet": ..., "gateway": ...}]]}}]}]``.

Subnets are chosen by their address family, never by their position. The default pool is
hosts ``first_host``..``last_host`` (200..250) of the last /24 inside the IPv4 subnet (the last
/120 inside an IPv6 one): the top of the network, far from the low addresses the engine hands
to containers. Network, broadcast and gateway addresses, and every address a container on the
network holds, are left out of a computed pool, and refused in a pool given explicitly.

A field of the wrong type raises PoolError naming it; nothing else escapes (a property-based
test holds this).
"""
from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text

FAMILIES = ("ipv4", "ipv6", "dual")
_VERSION = {"ipv4": 4, "ipv6": 6}
# The block the host numbers count in: a /24 for IPv4, a /120 (256 addresses) for IPv6.
_BLOCK = {4: 24, 6: 120}


class PoolError(ValueError):
    """The pool cannot be chosen; the message says why and what to do."""


def load_network_info(info, network: str) -> dict:
    """The network object out of an inspect output (a JSON string, a list, or one object)."""
    if isinstance(info, (str, bytes)):
        text = info.decode("utf-8", errors="replace") if isinstance(info, bytes) else info
        if not text.strip():
            raise PoolError(f"the inspect output for network {network!r} is empty; "
                            "pass the JSON that `docker network inspect` or `podman network inspect` prints")
        try:
            info = json.loads(text)
        except (ValueError, RecursionError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else _text.cut(str(exc), 120)
            raise PoolError(f"the inspect output for network {network!r} is not JSON ({why}); pass what "
                            "`docker network inspect` or `podman network inspect` prints, unchanged") from None
    if isinstance(info, dict):
        info = [info]
    if not isinstance(info, list) or not all(isinstance(item, dict) for item in info):
        raise PoolError(f"the inspect output for network {network!r} is not a list of network objects")
    if not info:
        raise PoolError(f"the container network {network!r} does not exist (the inspect output is an empty list); "
                        "create the kind cluster first (it creates the network), or name the network with 'network'")
    if len(info) == 1:
        return info[0]
    named = [item for item in info if network_name(item) == network]
    if len(named) != 1:
        names = _text.names([_text.quote(network_name(item)) for item in info])
        raise PoolError(f"the inspect output holds {len(info)} networks ({names}) and not exactly one named "
                        f"{network!r}; inspect only the network MetalLB should use")
    return named[0]


def network_name(net: dict) -> str | None:
    name = net.get("Name", net.get("name"))
    return _text.clean(name, 100, keep_newlines=False) if isinstance(name, str) else None


def _typed(value, kind: type, where: str, name):
    """``value`` (None as an empty one) when it is a ``kind``; else PoolError naming the field."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise PoolError(f"network {name!r}: {where} is a {type(value).__name__}, not {expected}; pass the inspect "
                        "output unchanged")
    return value


def network_shape(net: dict) -> str:
    """``docker``, ``netavark`` (Podman 4+) or ``cni`` (Podman 3)."""
    if "IPAM" in net:
        return "docker"
    if "subnets" in net:
        return "netavark"
    if "plugins" in net:
        return "cni"
    keys = _text.names(sorted(net, key=str)) or "none"
    raise PoolError(f"network {network_name(net)!r}: unknown inspect format (keys: {keys}); expected Docker's "
                    "IPAM.Config, Podman netavark's subnets or Podman 3 CNI's plugins[].ipam.ranges")


def _subnet_entry(subnet, gateway, name) -> dict:
    if not isinstance(subnet, str):
        raise PoolError(f"network {name!r}: subnet {_text.quote(subnet)} is a {type(subnet).__name__}, not a string")
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError as exc:
        raise PoolError(f"network {name!r}: {_text.quote(subnet)} is not a subnet ({_text.cut(str(exc), 120)})") from None
    gw = None
    if gateway:
        try:
            if not isinstance(gateway, str):
                raise ValueError(f"a {type(gateway).__name__}, not a string")
            gw = ipaddress.ip_address(gateway.split("/", maxsplit=1)[0])
        except ValueError as exc:
            raise PoolError(f"network {name!r}: gateway {_text.quote(gateway)} is not an address "
                            f"({_text.cut(str(exc), 120)})") from None
        if gw.version != net.version:
            raise PoolError(f"network {name!r}: gateway {gw} is not of the family of subnet {net}")
    return {"subnet": net, "gateway": gw}


def subnets(net: dict) -> list[dict]:
    """Every subnet of the network, in the order listed: ``[{"subnet": ip_network, "gateway": ip_address|None}]``."""
    name, shape = network_name(net), network_shape(net)
    found = []
    if shape == "docker":
        ipam = _typed(net.get("IPAM"), dict, "IPAM", name)
        for entry in _typed(ipam.get("Config"), list, "IPAM.Config", name):
            if isinstance(entry, dict) and entry.get("Subnet"):
                found.append(_subnet_entry(entry["Subnet"], entry.get("Gateway"), name))
    elif shape == "netavark":
        for entry in _typed(net.get("subnets"), list, "subnets", name):
            if isinstance(entry, dict) and entry.get("subnet"):
                found.append(_subnet_entry(entry["subnet"], entry.get("gateway"), name))
    else:
        for index, plugin in enumerate(_typed(net.get("plugins"), list, "plugins", name)):
            plugin = _typed(plugin, dict, f"plugins[{index}]", name)
            ipam = _typed(plugin.get("ipam"), dict, f"plugins[{index}].ipam", name)
            for number, range_set in enumerate(_typed(ipam.get("ranges"), list, f"plugins[{index}].ipam.ranges", name)):
                for entry in _typed(range_set, list, f"plugins[{index}].ipam.ranges[{number}]", name):
                    if isinstance(entry, dict) and entry.get("subnet"):
                        found.append(_subnet_entry(entry["subnet"], entry.get("gateway"), name))
    return found


def held_addresses(net: dict) -> set:
    """Addresses the containers on the network hold (Docker lists them under ``Containers``)."""
    held = set()
    name = network_name(net)
    for key_, container in _typed(net.get("Containers"), dict, "Containers", name).items():
        container = _typed(container, dict, f"Containers[{_text.quote(key_, 40)}]", name)
        for key in ("IPv4Address", "IPv6Address"):
            value = container.get(key)
            if value and isinstance(value, str):
                try:
                    held.add(ipaddress.ip_interface(value).ip)
                except ValueError:
                    continue
    return held


def pick_subnet(found: list[dict], version: int, name: str, family: str) -> dict:
    matching = [entry for entry in found if entry["subnet"].version == version]
    if matching:
        return matching[0]
    listed = _text.names([str(entry["subnet"]) for entry in found]) or "none"
    if version == 4 and found:
        raise PoolError(
            f"network {name!r} has no IPv4 subnet, only IPv6 ({listed}); set ip_family=ipv6 for an IPv6 pool "
            "(the cluster must be IPv6 or dual-stack), or give the pool in 'addresses'")
    what = "IPv4" if version == 4 else "IPv6"
    hint = ("recreate the network with IPv6 (kind creates it with --ipv6 when the host supports it) or use ip_family=ipv4"
            if version == 6 else "give the pool in 'addresses'")
    raise PoolError(f"network {name!r} has no {what} subnet (subnets: {listed}) for ip_family={family}; {hint}")


def reserved_addresses(subnet, gateway) -> dict:
    """Addresses no pool may hold: {address: why}."""
    reserved = {subnet.network_address: "the network address"}
    if subnet.version == 4 and subnet.prefixlen < 31:
        reserved[subnet.broadcast_address] = "the broadcast address"
    if gateway is not None:
        reserved[gateway] = "the gateway"
    return reserved


def split_range(start, end, excluded) -> list[str]:
    """``start-end`` with the excluded addresses cut out, as MetalLB pool entries."""
    parts, lo = [], int(start)
    cls = type(start)
    bits = 32 if start.version == 4 else 128
    for skip in sorted(int(a) for a in excluded if int(start) <= int(a) <= int(end)):
        if skip > lo:
            parts.append((lo, skip - 1))
        lo = skip + 1
    if lo <= int(end):
        parts.append((lo, int(end)))
    return [f"{cls(a)}/{bits}" if a == b else f"{cls(a)}-{cls(b)}" for a, b in parts]


def range_size(entries: list[str]) -> int:
    total = 0
    for entry in entries:
        start, end = parse_entry(entry)
        total += int(end) - int(start) + 1
    return total


def computed_pool(entry: dict, first_host: int, last_host: int, held: set, name: str) -> dict:
    """Hosts first_host..last_host of the last /24 (/120) inside the subnet, reserved addresses left out."""
    subnet, gateway = entry["subnet"], entry["gateway"]
    if first_host < 0 or last_host < first_host:
        raise PoolError(f"first_host={first_host} and last_host={last_host} do not make a range; "
                        "0 <= first_host <= last_host is required")
    block_len = min(subnet.num_addresses, 2 ** (subnet.max_prefixlen - _BLOCK[subnet.version]))
    block_start = subnet.network_address + (subnet.num_addresses - block_len)
    block = ipaddress.ip_network(f"{block_start}/{subnet.max_prefixlen - (block_len.bit_length() - 1)}")
    if subnet.num_addresses < 4 or last_host >= block_len:
        usable = f"1..{block_len - 2}" if block_len >= 4 else "none"
        raise PoolError(
            f"subnet {subnet} of network {name!r} is too small for hosts {first_host}..{last_host} of its last "
            f"{'/24' if subnet.version == 4 else '/120'} ({subnet.num_addresses} addresses; hosts usable: {usable}); "
            "set first_host/last_host inside it, give the pool in 'addresses', or use a larger network")
    start, end = block_start + first_host, block_start + last_host
    reserved = reserved_addresses(subnet, gateway)
    excluded = set(reserved) | set(held)
    parts = split_range(start, end, excluded)
    if not parts:
        raise PoolError(f"every address of {start}-{end} in network {name!r} is reserved or held by a container; "
                        "set first_host/last_host to another stretch, or give the pool in 'addresses'")
    return {
        "family": "ipv4" if subnet.version == 4 else "ipv6",
        "subnet": str(subnet),
        "gateway": str(gateway) if gateway is not None else None,
        "block": str(block),
        "range": f"{parse_entry(parts[0])[0]}-{parse_entry(parts[-1])[1]}",
        "addresses": parts,
        "left_out": sorted((str(a) for a in excluded if int(start) <= int(a) <= int(end)), key=_sort_key),
        "size": range_size(parts),
    }


def _sort_key(text: str):
    address = ipaddress.ip_address(text)
    return address.version, int(address)


_RANGE = re.compile(r"^\s*([0-9A-Fa-f.:]+)\s*-\s*([0-9A-Fa-f.:]+)\s*$")


def parse_entry(entry: str):
    """A MetalLB pool entry (``a-b`` or a CIDR) -> (first, last) addresses."""
    if not isinstance(entry, str):
        raise PoolError(f"pool entry {_text.quote(entry)} is a {type(entry).__name__}, not a string")
    text = entry.strip()
    shown = _text.quote(text)
    match = _RANGE.match(text)
    if match:
        try:
            start, end = ipaddress.ip_address(match[1]), ipaddress.ip_address(match[2])
        except ValueError as exc:
            raise PoolError(f"pool entry {shown}: {_text.cut(str(exc), 120)}") from None
        if start.version != end.version:
            raise PoolError(f"pool entry {shown} mixes IPv4 and IPv6")
        if int(start) > int(end):
            raise PoolError(f"pool entry {shown} ends before it starts")
        return start, end
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise PoolError(f"pool entry {shown} is not a CIDR ({_text.cut(str(exc), 120)}); write the network "
                            "address, for example 172.18.255.192/27, or a range a-b") from None
        return net.network_address, net.broadcast_address
    raise PoolError(f"pool entry {shown} is neither a range (a-b) nor a CIDR (a/n); "
                    "a single address is written a/32 (or a/128)")


def explicit_pool(addresses: list[str], found: list[dict], held: set, name: str) -> list[dict]:
    """Check addresses the user chose against the network; one pool row per family."""
    if not addresses:
        raise PoolError("'addresses' is empty")
    by_family: dict[int, dict] = {}
    for entry in addresses:
        start, end = parse_entry(entry)
        home = [s for s in found if s["subnet"].version == start.version
                and start in s["subnet"] and end in s["subnet"]]
        if not home:
            same = _text.names([str(s["subnet"]) for s in found if s["subnet"].version == start.version]) or "none"
            raise PoolError(f"pool entry {_text.quote(entry)} lies outside every IPv{start.version} subnet of network {name!r} "
                            f"({same}); choose addresses inside it, or inspect the network the cluster's nodes use")
        subnet, gateway = home[0]["subnet"], home[0]["gateway"]
        clashes = dict(reserved_addresses(subnet, gateway))
        clashes.update({a: "held by a container" for a in held if a not in clashes})
        inside = sorted((a for a in clashes if int(start) <= int(a) <= int(end)), key=int)
        if inside:
            listed = _text.names([f"{a} ({clashes[a]})" for a in inside])
            raise PoolError(f"pool entry {_text.quote(entry)} includes {listed}; choose a range that leaves them out")
        row = by_family.setdefault(start.version, {
            "family": "ipv4" if start.version == 4 else "ipv6",
            "subnet": str(subnet),
            "gateway": str(gateway) if gateway is not None else None,
            "addresses": [],
            "left_out": [],
            "first": start,
            "last": end,
        })
        row["addresses"].append(str(entry).strip())
        row["first"] = min(row["first"], start, key=int)
        row["last"] = max(row["last"], end, key=int)
    pools = []
    for version in sorted(by_family):
        row = by_family.pop(version)
        first, last = row.pop("first"), row.pop("last")
        row["range"] = f"{first}-{last}"
        row["size"] = range_size(row["addresses"])
        pools.append(row)
    return pools


def choose_pool(info, network: str = "kind", ip_family: str = "ipv4", first_host: int = 200,
                last_host: int = 250, addresses: list[str] | None = None) -> dict:
    """The whole computation: inspect output in, the module's result out."""
    if ip_family not in FAMILIES:
        raise PoolError(f"ip_family={ip_family!r}; expected one of {', '.join(FAMILIES)}")
    net = load_network_info(info, network)
    name = network_name(net) or network
    shape = network_shape(net)
    found = subnets(net)
    if not found:
        raise PoolError(f"network {name!r} lists no subnet in its inspect output ({shape} format); "
                        "is it a bridge network? Give the pool in 'addresses'")
    held = held_addresses(net)
    if addresses:
        pools = explicit_pool(addresses, found, held, name)
        families = {row["family"] for row in pools}
        family = "dual" if len(families) == 2 else families.pop()
    else:
        versions = [4, 6] if ip_family == "dual" else [_VERSION[ip_family]]
        pools = [computed_pool(pick_subnet(found, v, name, ip_family), first_host, last_host, held, name)
                 for v in versions]
        family = ip_family
    primary = pools[0]
    return {
        "network": name,
        "shape": shape,
        "family": family,
        "range": primary["range"],
        "subnet": primary["subnet"],
        "gateway": primary["gateway"],
        "addresses": [a for row in pools for a in row["addresses"]],
        "pools": pools,
        "subnets": [str(entry["subnet"]) for entry in found],
        "held": sorted((str(a) for a in held), key=_sort_key),
    }


_NOT_FOUND = re.compile(r"not found|no such network|unable to find network", re.I)
_NO_ENGINE = re.compile(r"cannot connect to the (docker|podman)|is the docker daemon running|"
                        r"connection refused|no such file or directory.*sock|unable to connect to podman", re.I)


def inspect_failure(runtime: str, network: str, rc: int, stdout: str, stderr: str) -> str:
    """The message for a failed ``<runtime> network inspect <network>``."""
    text = _text.strip_control((stderr or "").strip() or (stdout or "").strip())
    first = _text.first_line(text, default=f"exit status {rc}")
    if _NO_ENGINE.search(text):
        other = "podman" if runtime == "docker" else "docker"
        return (f"the {runtime} engine does not answer ({first}); start it and check that this user may use it, "
                f"use runtime={other}, or pass the network's inspect output in network_info")
    if _NOT_FOUND.search(text):
        return (f"the container network {network!r} does not exist in {runtime} ({first}); create the kind cluster "
                f"first (it creates the network), name another network with 'network', or give the pool in 'addresses'")
    return f"`{runtime} network inspect {network}` failed with rc {rc}: {first}"
