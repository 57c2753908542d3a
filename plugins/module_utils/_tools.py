# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Pure logic of the tools installer (the tool_install module): where each CLI is published for an
OS and architecture, the mirror layout, which archive member is the binary, and digest handling.

Pure logic, no Ansible imports.
"""
from __future__ import annotations

import hmac
import posixpath
import re
from urllib.parse import quote, urlsplit

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text


class ToolsError(ValueError):
    """A request the installer cannot serve; the message says what to change."""


# What Python's platform.system() / platform.machine() report, in the names the projects publish.
_SYSTEMS = {"linux": "linux", "darwin": "darwin"}
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "x64": "amd64",
             "aarch64": "arm64", "arm64": "arm64", "armv8": "arm64", "armv8l": "arm64"}
PLATFORMS = ("linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64")

# Where each project publishes its CLI, in its own naming (each table row's comment names the source).
# `asset` is the file at `url`; `member` is the binary's path inside it when it is an archive.
TOOLS = {
    # kind: one static binary per platform on the GitHub release (kind's hack/release/build/cross.sh
    # names them kind-<os>-<arch>; kind.sigs.k8s.io/dl/ redirects to the same files).
    "kind": {"url": "https://github.com/kubernetes-sigs/kind/releases/download/{version}/{asset}",
             "asset": "kind-{os}-{arch}"},
    # kubectl: dl.k8s.io/release/<v>/bin/<os>/<arch>/kubectl (kubernetes.io "Install kubectl").
    "kubectl": {"url": "https://dl.k8s.io/release/{version}/bin/{os}/{arch}/{asset}", "asset": "kubectl"},
    # helm: a tar.gz on get.helm.sh whose binary is <os>-<arch>/helm (helm's scripts/get-helm-3).
    "helm": {"url": "https://get.helm.sh/{asset}", "asset": "helm-{version}-{os}-{arch}.tar.gz",
             "member": "{os}-{arch}/helm"},
    # linkerd (open-source edge releases): linkerd2-cli-<tag>-<os>-<arch> on the GitHub release, except
    # darwin amd64, published with no architecture suffix (linkerd2 cli/Dockerfile; the install-edge
    # script maps Darwin x86_64 to no suffix).
    "linkerd": {"url": "https://github.com/linkerd/linkerd2/releases/download/{version}/{asset}",
                "asset": "linkerd2-cli-{version}-{os}{suffix}",
                "suffix": {"darwin-amd64": ""}},
}

_HEX = re.compile(r"^[0-9a-f]{64}$")
# A version as the projects tag them: v0.32.0, v1.36.1, v3.20.0, edge-26.8.3.
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


def platform_of(system: str, machine: str) -> str:
    """``("Linux", "x86_64")`` -> ``"linux-amd64"``; ToolsError for a platform none of the tools serve."""
    os_name = _SYSTEMS.get(str(system or "").strip().lower())
    arch = _MACHINES.get(str(machine or "").strip().lower())
    if not os_name or not arch:
        raise ToolsError(
            f"this machine reports {_text.quote(system, 40)} on {_text.quote(machine, 40)}, and the tools role "
            f"installs only for {', '.join(PLATFORMS)}; install the CLIs yourself and run with mcpmesh_install_tools=false")
    return f"{os_name}-{arch}"


def check_platform(text: str) -> str:
    """A platform given by the user (``linux-amd64``), checked."""
    if text not in PLATFORMS:
        raise ToolsError(f"platform {_text.quote(text, 60)} is not one of {', '.join(PLATFORMS)}")
    return text


def check_version(version: str) -> str:
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ToolsError(f"version {_text.quote(version, 80)} is not a release tag (for example v0.32.0 or edge-26.8.3)")
    return version


def asset(tool: str, version: str, platform: str) -> dict:
    """The download of ``tool`` at ``version`` for ``platform``: ``url``, ``name`` (the file) and
    ``member`` (the binary inside the archive, None for a plain binary)."""
    spec = TOOLS.get(tool)
    if spec is None:
        raise ToolsError(f"no download is known for {_text.quote(tool, 60)}; the tools are {', '.join(sorted(TOOLS))}")
    check_version(version)
    os_name, arch = check_platform(platform).split("-", 1)
    suffix = spec.get("suffix", {}).get(platform, f"-{arch}")
    fields = dict(version=version, os=os_name, arch=arch, suffix=suffix)
    name = spec["asset"].format(**fields)
    url = spec["url"].format(asset=name, **fields)
    member = spec["member"].format(**fields) if "member" in spec else None
    return {"url": url, "name": name, "member": member}


def mirror_url(url: str, mirror: str | None) -> str:
    """``url`` fetched through ``mirror``: ``<mirror>/<host><path>``, the layout ``wget -x <url>``
    (``--force-directories``) writes, so one mirror folder holds every origin without collisions.

    No mirror (None or empty) keeps the origin URL."""
    if not mirror:
        return url
    prefix = urlsplit(mirror)
    if prefix.scheme not in ("http", "https") or not prefix.netloc:
        raise ToolsError(f"tools mirror {_text.quote(mirror, 200)} is not an http:// or https:// URL prefix "
                         "(serve a folder with `python3 -m http.server` if the files are local)")
    if prefix.query or prefix.fragment:
        raise ToolsError(f"tools mirror {_text.quote(mirror, 200)} must be a plain URL prefix, without ? or #")
    origin = urlsplit(url)
    return mirror.rstrip("/") + "/" + origin.netloc + quote(origin.path, safe="/")


def normalize_digest(text) -> str | None:
    """A SHA-256 as projects write it (``<hex>``, ``sha256:<hex>``, ``<hex>  <file>`` from a
    ``.sha256sum`` file, any case) -> 64 lower-case hex digits; None when it is not one."""
    if not isinstance(text, str):
        return None
    value = text.strip().split()[0] if text.strip() else ""
    if value.lower().startswith("sha256:"):
        value = value[len("sha256:"):]
    value = value.lower()
    return value if _HEX.match(value) else None


def expected_digest(tool: str, version: str, platform: str, sha256: str | None, checksums: dict | None) -> str:
    """The pinned SHA-256 for this download: ``sha256`` when given, else ``checksums[platform]``.

    ToolsError, saying what to set, when there is none or it is not a SHA-256."""
    label = f"{tool} {version} on {platform}"
    if sha256:
        return _checked_digest(sha256, f"given for {label}")
    given = (checksums or {}).get(platform)
    if not given:
        known = sorted(k for k, v in (checksums or {}).items() if v)
        where = f" (pinned only for {', '.join(known)})" if known else ""
        raise ToolsError(f"no SHA-256 is pinned for {label}{where}; refusing to install a binary nobody checked")
    return _checked_digest(given, f"pinned for {label}")


def _checked_digest(value: str, where: str) -> str:
    """``value`` as a lower-case SHA-256; ToolsError naming ``where`` it came from when it is not one."""
    digest = normalize_digest(value)
    if digest is None:
        raise ToolsError(f"the SHA-256 {where} ({_text.quote(value, 90)}) is not 64 hex digits")
    return digest


def same_digest(actual: str | None, expected: str | None) -> bool:
    """Whether two SHA-256 values (any accepted spelling) are the same; False when either is missing."""
    left, right = normalize_digest(actual), normalize_digest(expected)
    return bool(left and right) and hmac.compare_digest(left, right)


def mismatch_message(url: str, actual: str, expected: str, tools_dir: str) -> str:
    """What a refused download says: both digests, that nothing was installed, and what to check."""
    return (f"the file from {_text.quote(url, 300)} has SHA-256 {actual}, but the pinned SHA-256 is {expected}, so it "
            f"was refused and nothing was written to {_text.quote(tools_dir, 200)}. Check that the URL (or tools_mirror) "
            "serves the official release file; change the pin (tools_checksums) only after checking the new value "
            "against the project's own published checksum")


def choose_member(members: list[tuple[str, str]], wanted: str | None, tool: str) -> str:
    """The archive member holding the binary.

    ``members`` is ``[(name, type)]`` where type is ``file``, ``dir``, ``link`` or ``other``.
    ``wanted`` (the project's documented path) is taken when it is there as a regular file; without
    it, the single regular file whose base name is ``tool``. Links, absolute paths and ``..``
    segments are never chosen. ToolsError otherwise, naming what the archive holds.
    """
    def safe(name: str) -> bool:
        norm = posixpath.normpath(name)
        return not name.startswith("/") and ".." not in norm.split("/") and norm not in ("", ".")

    files = [name for name, kind in members if kind == "file" and safe(name)]
    if wanted:
        for name in files:
            if posixpath.normpath(name) == posixpath.normpath(wanted):
                return name
    candidates = [name for name in files if posixpath.basename(posixpath.normpath(name)) == tool]
    if len(candidates) == 1 and not wanted:
        return candidates[0]
    shown = _text.names([name for name, _kind in members], limit=8)
    if wanted:
        raise ToolsError(f"the archive has no regular file {_text.quote(wanted, 120)} (it holds {shown or 'nothing'})")
    if not candidates:
        raise ToolsError(f"the archive holds no regular file named {tool} (it holds {shown or 'nothing'})")
    raise ToolsError(f"the archive holds {len(candidates)} files named {tool} ({shown}); set the member to take")
