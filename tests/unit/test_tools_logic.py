# SPDX-License-Identifier: GPL-3.0-or-later
"""The tools installer's pure logic: platforms, release URLs, the mirror layout, digests, archive members.

The URLs are those each project documents for its releases (kind's release assets, dl.k8s.io for
kubectl, get.helm.sh for helm, the linkerd2 GitHub release assets, where darwin amd64 has no suffix).
The role's pins are read from roles/tools/defaults/main.yml and checked against the other roles.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.mcpmesh.platform.plugins.module_utils import _tools
from ansible_collections.mcpmesh.platform.plugins.module_utils._preflight import parse_version

ROOT = Path(__file__).resolve().parents[2]
HEX = "ab" * 32


@pytest.mark.parametrize("system, machine, expected", [
    ("Linux", "x86_64", "linux-amd64"),
    ("Linux", "aarch64", "linux-arm64"),
    ("Darwin", "arm64", "darwin-arm64"),
    ("Darwin", "x86_64", "darwin-amd64"),
    ("linux", "AMD64", "linux-amd64"),
])
def test_platform_names(system, machine, expected):
    assert _tools.platform_of(system, machine) == expected


@pytest.mark.parametrize("system, machine", [("Windows", "AMD64"), ("Linux", "riscv64"), ("Linux", "armv7l"),
                                             ("FreeBSD", "amd64"), ("", ""), (None, None)])
def test_unsupported_platforms_say_what_to_do(system, machine):
    with pytest.raises(_tools.ToolsError, match="mcpmesh_install_tools=false"):
        _tools.platform_of(system, machine)


@pytest.mark.parametrize("tool, version, platform, url, member", [
    ("kind", "v0.32.0", "linux-amd64",
     "https://github.com/kubernetes-sigs/kind/releases/download/v0.32.0/kind-linux-amd64", None),
    ("kind", "v0.32.0", "darwin-arm64",
     "https://github.com/kubernetes-sigs/kind/releases/download/v0.32.0/kind-darwin-arm64", None),
    ("kubectl", "v1.36.1", "linux-arm64", "https://dl.k8s.io/release/v1.36.1/bin/linux/arm64/kubectl", None),
    ("helm", "v3.20.0", "darwin-amd64", "https://get.helm.sh/helm-v3.20.0-darwin-amd64.tar.gz", "darwin-amd64/helm"),
    ("linkerd", "edge-26.8.3", "linux-amd64",
     "https://github.com/linkerd/linkerd2/releases/download/edge-26.8.3/linkerd2-cli-edge-26.8.3-linux-amd64", None),
    ("linkerd", "edge-26.8.3", "darwin-amd64",
     "https://github.com/linkerd/linkerd2/releases/download/edge-26.8.3/linkerd2-cli-edge-26.8.3-darwin", None),
    ("linkerd", "edge-26.8.3", "darwin-arm64",
     "https://github.com/linkerd/linkerd2/releases/download/edge-26.8.3/linkerd2-cli-edge-26.8.3-darwin-arm64", None),
])
def test_release_urls(tool, version, platform, url, member):
    got = _tools.asset(tool, version, platform)
    assert got["url"] == url
    assert got["member"] == member
    assert url.endswith("/" + got["name"])


@pytest.mark.parametrize("tool, version, platform, message", [
    ("terraform", "v1.0.0", "linux-amd64", "no download is known"),
    ("kind", "../../etc", "linux-amd64", "is not a release tag"),
    ("kind", "v0.32.0 ", "linux-amd64", "is not a release tag"),
    ("kind", "", "linux-amd64", "is not a release tag"),
    ("kind", "v0.32.0", "windows-amd64", "is not one of"),
])
def test_asset_refusals(tool, version, platform, message):
    with pytest.raises(_tools.ToolsError, match=message):
        _tools.asset(tool, version, platform)


@pytest.mark.parametrize("mirror, expected", [
    (None, "https://dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl"),
    ("", "https://dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl"),
    ("http://mirror:8000", "http://mirror:8000/dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl"),
    ("https://m.example/tools/", "https://m.example/tools/dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl"),
])
def test_mirror_layout_is_wget_x(mirror, expected):
    assert _tools.mirror_url("https://dl.k8s.io/release/v1.36.1/bin/linux/amd64/kubectl", mirror) == expected


@pytest.mark.parametrize("mirror", ["mirror.example", "ftp://m/x", "https://m/x?token=1", "https:///nohost", "file:///srv"])
def test_bad_mirrors(mirror):
    with pytest.raises(_tools.ToolsError, match="tools mirror"):
        _tools.mirror_url("https://get.helm.sh/helm-v3.20.0-linux-amd64.tar.gz", mirror)


@pytest.mark.parametrize("text, expected", [
    (HEX, HEX),
    ("sha256:" + HEX.upper(), HEX),
    (f"  {HEX}  kind-linux-amd64\n", HEX),  # a .sha256sum file
    ("SHA256:" + HEX, HEX),
    (HEX[:-1], None),
    (HEX + "0", None),
    ("sha512:" + HEX, None),
    ("z" * 64, None),
    ("", None),
    (None, None),
    (123, None),
])
def test_normalize_digest(text, expected):
    assert _tools.normalize_digest(text) == expected


def test_same_digest():
    assert _tools.same_digest(HEX, "sha256:" + HEX.upper())
    assert not _tools.same_digest(HEX, "cd" * 32)
    assert not _tools.same_digest(None, HEX)
    assert not _tools.same_digest("nonsense", "nonsense")


def test_expected_digest_prefers_the_given_one_and_refuses_without_a_pin():
    assert _tools.expected_digest("kind", "v1", "linux-amd64", "sha256:" + HEX, {"linux-amd64": "cd" * 32}) == HEX
    assert _tools.expected_digest("kind", "v1", "linux-amd64", None, {"linux-amd64": HEX}) == HEX
    with pytest.raises(_tools.ToolsError, match=r"no SHA-256 is pinned for kind v1 on darwin-arm64 \(pinned only for linux-amd64\)"):
        _tools.expected_digest("kind", "v1", "darwin-arm64", None, {"linux-amd64": HEX})
    with pytest.raises(_tools.ToolsError, match="refusing to install a binary nobody checked"):
        _tools.expected_digest("linkerd", "edge-26.8.3", "linux-amd64", "", {})
    with pytest.raises(_tools.ToolsError, match="is not 64 hex digits"):
        _tools.expected_digest("kind", "v1", "linux-amd64", "md5:abc", {})
    with pytest.raises(_tools.ToolsError, match="pinned for kind v1 on linux-amd64 .* is not 64 hex digits"):
        _tools.expected_digest("kind", "v1", "linux-amd64", None, {"linux-amd64": "latest"})


def test_mismatch_message_names_both_digests_and_is_bounded():
    msg = _tools.mismatch_message("http://x/" + "a" * 5000 + "\x1b[31m", "11" * 32, "22" * 32, "/tmp/bin")
    assert "11" * 32 in msg and "22" * 32 in msg and "nothing was written to '/tmp/bin'" in msg
    assert len(msg) < 1200 and "\x1b" not in msg


@pytest.mark.parametrize("members, wanted, expected", [
    ([("linux-amd64", "dir"), ("linux-amd64/LICENSE", "file"), ("linux-amd64/helm", "file")], "linux-amd64/helm",
     "linux-amd64/helm"),
    ([("./linux-amd64/helm", "file")], "linux-amd64/helm", "./linux-amd64/helm"),
    ([("bin/helm", "file"), ("README", "file")], None, "bin/helm"),
])
def test_choose_member(members, wanted, expected):
    assert _tools.choose_member(members, wanted, "helm") == expected


@pytest.mark.parametrize("members, wanted, message", [
    ([("linux-amd64/helm", "link")], "linux-amd64/helm", "no regular file"),
    ([("/linux-amd64/helm", "file")], "/linux-amd64/helm", "no regular file"),
    ([("../linux-amd64/helm", "file")], None, "no regular file named helm"),
    ([("a/helm", "file"), ("b/helm", "file")], None, "holds 2 files named helm"),
    ([], "linux-amd64/helm", "it holds nothing"),
    ([("darwin-amd64/helm", "file")], "linux-amd64/helm", "darwin-amd64/helm"),
])
def test_choose_member_refusals(members, wanted, message):
    with pytest.raises(_tools.ToolsError, match=message):
        _tools.choose_member(members, wanted, "helm")


# The role's pins: every platform of every pinned tool, in a form the module accepts, and versions
# that agree with what the other roles expect.
DEFAULTS = yaml.safe_load((ROOT / "roles" / "tools" / "defaults" / "main.yml").read_text())


@pytest.mark.parametrize("tool", ["kind", "kubectl", "helm"])
def test_role_pins_every_platform(tool):
    version = DEFAULTS["tools_versions"][tool]
    pins = DEFAULTS["tools_checksums"][tool][version]
    assert sorted(pins) == sorted(_tools.PLATFORMS)
    assert all(_tools.normalize_digest(v) == v for v in pins.values())
    assert len(set(pins.values())) == len(pins), "each platform has its own file"
    for platform in _tools.PLATFORMS:
        _tools.asset(tool, version, platform)


def test_role_pins_no_linkerd_digest_and_asks_for_one():
    assert DEFAULTS["tools_checksums"]["linkerd"] == {}
    assert DEFAULTS["tools_linkerd_sha256"] == ""


def test_role_versions_agree_with_the_other_roles():
    versions = DEFAULTS["tools_versions"]
    preflight = yaml.safe_load((ROOT / "roles" / "preflight" / "defaults" / "main.yml").read_text())
    assert DEFAULTS["tools_min_versions"] == preflight["preflight_min_versions"]
    for tool, minimum in preflight["preflight_min_versions"].items():
        assert parse_version(versions[tool]) >= parse_version(minimum), tool
    linkerd = yaml.safe_load((ROOT / "roles" / "linkerd" / "defaults" / "main.yml").read_text())
    year, minor, patch = linkerd["linkerd_edge_chart_version"].split(".")
    assert versions["linkerd"] == f"edge-{int(year) % 100}.{minor}.{patch}"
    kind = yaml.safe_load((ROOT / "roles" / "kind" / "defaults" / "main.yml").read_text())
    node = parse_version(kind["kind_node_image"].split(":")[1])
    assert parse_version(versions["kubectl"])[:2] == node[:2], "kubectl matches the kind node's minor version"
