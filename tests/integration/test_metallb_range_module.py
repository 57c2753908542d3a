# SPDX-License-Identifier: GPL-3.0-or-later
"""The metallb_range module through ansible-playbook, with a stand-in docker or podman on PATH.

Each stand-in prints a network inspect output from tests/fixtures/metallb (see SOURCE.md there),
records its arguments, and exits with the recorded status. PATH holds only the stand-ins, the
venv and /bin, so the machine's own docker does not leak in.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "metallb"
pytestmark = pytest.mark.slow


def stand_in(bin_dir: Path, name: str, out: str | None, err: str | None = None, rc: int = 0) -> Path:
    """A `<name> network inspect` that logs its arguments and prints recorded output."""
    log = bin_dir / f"{name}.calls"
    body = [f"echo \"$*\" >> '{log}'",
            'if [ "$1 $2" != "network inspect" ]; then echo "stand-in: unexpected arguments: $*" >&2; exit 99; fi']
    if out:
        body.append(f"cat '{FIXTURES / out}'")
    if err:
        body.append(f"cat '{FIXTURES / err}' >&2")
    body.append(f"exit {rc}")
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + "\n".join(body) + "\n")
    path.chmod(0o755)
    return log


def run(tmp_path, bin_dir, args: dict, *extra):
    return run_module(tmp_path, "mcpmesh.platform.metallb_range", args, *extra, bin_dir=bin_dir)


@pytest.mark.parametrize(
    ("runtime", "fixture", "subnet", "pool"),
    [
        ("docker", "docker-kind-ipv4-first.json", "172.18.0.0/16", ["172.18.255.200-172.18.255.250"]),
        ("docker", "docker-kind-ipv6-first.json", "172.18.0.0/16", ["172.18.255.200-172.18.255.250"]),
        ("docker", "docker-kind-ipv4-only.json", "172.19.0.0/16", ["172.19.255.200-172.19.255.250"]),
        ("podman", "podman-netavark-kind.json", "10.89.0.0/24", ["10.89.0.200-10.89.0.250"]),
        ("podman", "podman3-cni-kind.json", "10.89.1.0/24", ["10.89.1.200-10.89.1.250"]),
    ],
)
def test_each_engine_output_gives_the_pool(tmp_path, bin_dir, runtime, fixture, subnet, pool):
    log = stand_in(bin_dir, runtime, fixture)
    res = run(tmp_path, bin_dir, {"runtime": runtime})
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0 and res.result["changed"] is False, res
    assert res.result["addresses"] == pool and res.result["subnet"] == subnet, res.result
    assert res.result["family"] == "ipv4" and res.result["source"] == runtime
    assert log.read_text() == "network inspect kind\n"


def test_auto_falls_back_to_podman_and_names_the_network(tmp_path, bin_dir):
    log = stand_in(bin_dir, "podman", "podman-netavark-kind.json")
    res = run(tmp_path, bin_dir, {"network": "kind", "ip_family": "dual"})
    assert res.rc == 0, res
    assert res.result["source"] == "podman"
    assert res.result["addresses"] == ["10.89.0.200-10.89.0.250",
                                       "fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8-fc00:f853:ccd:e793:ffff:ffff:ffff:fffa"]
    assert log.read_text() == "network inspect kind\n"


def test_check_mode_runs_the_read_only_inspect(tmp_path, bin_dir):
    log = stand_in(bin_dir, "docker", "docker-kind-held-in-pool.json")
    res = run(tmp_path, bin_dir, {"runtime": "docker", "network": "kind"}, "--check")
    assert res.rc == 0, res
    assert res.localhost["changed"] == 0
    assert res.result["addresses"] == ["172.18.255.200-172.18.255.209", "172.18.255.211-172.18.255.250"]
    assert "172.18.255.210" in res.result["held"]
    assert log.exists()


@pytest.mark.parametrize("as_text", [True, False])
def test_network_info_runs_nothing(tmp_path, bin_dir, as_text):
    log = stand_in(bin_dir, "docker", None, "docker-network-inspect-no-engine.stderr", 1)
    text = (FIXTURES / "docker-kind-ipv6-first.json").read_text()
    res = run(tmp_path, bin_dir, {"network_info": text if as_text else json.loads(text), "first_host": 10, "last_host": 20})
    assert res.rc == 0, res
    assert res.result["addresses"] == ["172.18.255.10-172.18.255.20"]
    assert res.result["source"] == "network_info" and "cmd" not in res.result
    assert not log.exists(), "the module ran docker although network_info was given"


def test_explicit_addresses_are_only_checked(tmp_path, bin_dir):
    stand_in(bin_dir, "docker", "docker-kind-ipv4-first.json")
    res = run(tmp_path, bin_dir, {"runtime": "docker", "addresses": ["172.18.100.0/28"]})
    assert res.rc == 0, res
    assert res.result["addresses"] == ["172.18.100.0/28"] and res.result["range"] == "172.18.100.0-172.18.100.15"


@pytest.mark.parametrize(
    ("runtime", "out", "err", "rc", "args", "message"),
    [
        ("docker", "docker-network-inspect-no-engine.stdout", "docker-network-inspect-no-engine.stderr", 1, {},
         "the docker engine does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock."),
        ("docker", "docker-network-inspect-missing.stdout", "docker-network-inspect-missing.stderr", 1, {},
         "the container network 'kind' does not exist in docker (Error response from daemon: network kind not found); "
         "create the kind cluster first"),
        ("podman", "podman-network-inspect-missing.stdout", "podman-network-inspect-missing.stderr", 125,
         {"runtime": "podman"}, "the container network 'kind' does not exist in podman"),
        ("docker", "docker-ipv6-only.json", None, 0, {}, "has no IPv4 subnet, only IPv6 (fc00:f853:ccd:e793::/64); "
                                                         "set ip_family=ipv6"),
        ("docker", "docker-kind-ipv4-only.json", None, 0, {"first_host": 200, "last_host": 256},
         "is too small for hosts 200..256"),
        ("docker", "docker-kind-ipv4-first.json", None, 0, {"addresses": ["172.18.0.1-172.18.0.5"]},
         "includes 172.18.0.1 (the gateway), 172.18.0.2 (held by a container)"),
        ("docker", "docker-kind-ipv4-first.json", None, 0, {"addresses": ["192.168.1.0/24"]},
         "lies outside every IPv4 subnet of network 'kind' (172.18.0.0/16)"),
    ],
)
def test_failures_say_what_to_do(tmp_path, bin_dir, runtime, out, err, rc, args, message):
    stand_in(bin_dir, runtime, out, err, rc)
    res = run(tmp_path, bin_dir, args)
    assert res.rc == 2, res
    assert message in " ".join(res.stdout.split()), res
    assert "Traceback" not in res.stdout + res.stderr
    if rc:
        assert f"rc: {rc}" in res.stdout and "cmd:" in res.stdout, res


def test_no_engine_on_path(tmp_path, bin_dir):
    res = run(tmp_path, bin_dir, {})
    assert res.rc == 2, res
    assert "docker or podman is not on PATH" in res.stdout and "network_info" in res.stdout, res


def test_bad_arguments_are_refused(tmp_path, bin_dir):
    res = run(tmp_path, bin_dir, {"runtime": "containerd"})
    assert res.rc == 2, res
    assert "value of runtime must be one of: docker, podman, auto" in res.stdout, res
