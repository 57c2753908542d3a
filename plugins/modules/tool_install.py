#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: tool_install
short_description: Install a pinned CLI (kind, kubectl, helm, linkerd) checked against a pinned SHA-256
version_added: 0.1.0
description:
  - Downloads the official release file of O(name) at O(version) for this machine's OS and architecture
    (or O(platform)), checks its SHA-256 while it streams in, and installs the binary as O(dest)/O(name),
    executable.
  - The download goes to a temporary file beside the target, in O(dest); only a file whose digest equals the pinned
    one is renamed into place, atomically. A wrong digest, an interrupted or short download, or an HTTP error removes
    the temporary file, so nothing new is left in O(dest), and fails saying what happened (both digests on a mismatch).
  - The helm release is a C(.tar.gz); its digest is that of the archive, and the binary is taken from the
    documented member (C(<os>-<arch>/helm)). A file C(.<name>.mcpmesh-tool.json) beside it records both digests so a
    later run can tell the installed binary came from the pinned archive.
  - When O(dest)/O(name) already has the pinned digest (for helm, the recorded one), nothing is downloaded.
  - There is no recorded SHA-256 for a tool at a version unless the caller gives one (O(checksums) or O(sha256)); the
    module then refuses to download rather than install a binary nobody checked.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES]
attributes:
  check_mode: {details: [Reads the installed file's digest and reports whether a download would happen; downloads nothing.]}
options:
  name:
    description: The CLI to install; also the file name in O(dest).
    type: str
    required: true
    choices: [kind, kubectl, helm, linkerd]
  version:
    description:
      - The release tag as the project writes it, for example V(v0.32.0) (kind), V(v1.36.1) (kubectl), V(v3.20.0) (helm)
        or V(edge-26.8.3) (the open-source linkerd edge CLI).
    type: str
    required: true
  dest:
    description: The folder the binary is installed in (created when missing, mode C(0755)).
    type: path
    required: true
  checksums:
    description:
      - The pinned SHA-256 of the release file per platform (V(linux-amd64), V(linux-arm64), V(darwin-amd64),
        V(darwin-arm64)), as C(<hex>) or C(sha256:<hex>). For helm it is the digest of the C(.tar.gz).
    type: dict
    default: {}
  sha256: {description: "The pinned SHA-256 for this platform; when set, O(checksums) is not read.", type: str}
  platform:
    description: The OS and architecture to install for, instead of this machine's.
    type: str
    choices: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64]
  mirror:
    description:
      - A URL prefix that replaces every download origin, for machines without internet access. The file of origin
        URL C(https://<host>/<path>) is fetched from C(<mirror>/<host>/<path>), the layout C(wget -x <url>) writes.
      - The pinned digests are checked the same way.
    type: str
  timeout:
    description: Seconds to wait for the server to connect and for each read; a stalled download fails after this.
    type: int
    default: 60
  max_bytes:
    description: The largest file accepted; a longer download (or archive member) is refused.
    type: int
    default: 524288000
  validate_certs:
    description: Check the server's TLS certificate. Turn it off only for a private mirror; the digest is still checked.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Install kind v0.32.0 into .mcpmesh/bin.
  mcpmesh.platform.tool_install:
    name: kind
    version: v0.32.0
    dest: "{{ playbook_dir }}/.mcpmesh/bin"
    checksums:
      linux-amd64: 50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54

- name: Install helm from an internal mirror laid out by wget -x.
  mcpmesh.platform.tool_install:
    name: helm
    version: v3.20.0
    dest: /opt/mcpmesh/bin
    mirror: https://mirror.example.internal/tools
    sha256: dbb4c8fc8e19d159d1a63dda8db655f9ffa4aac1b9a6b188b34a40957119b286
"""

RETURN = r"""
path: {description: The installed binary., returned: success, type: str, sample: /home/me/mcpmesh/.mcpmesh/bin/kind}
url:
  description: Where the release file is (or would be) downloaded from, after O(mirror).
  returned: success
  type: str
  sample: https://github.com/kubernetes-sigs/kind/releases/download/v0.32.0/kind-linux-amd64
platform: {description: The OS and architecture installed for., returned: success, type: str, sample: linux-amd64}
version: {description: The version installed., returned: success, type: str, sample: v0.32.0}
sha256:
  description: The pinned SHA-256 of the release file, which the download matched.
  returned: success
  type: str
  sample: 50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54
binary_sha256:
  description: The SHA-256 of the installed binary (differs from RV(sha256) for archives).
  returned: success
  type: str
  sample: 50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54
downloaded:
  description: Whether this run downloaded the file (V(false) when the installed one already matched, and in check mode).
  returned: success
  type: bool
previous_sha256:
  description: The SHA-256 of the file that was at RV(path) before, V(null) when there was none.
  returned: success
  type: str
"""

import hashlib
import json
import os
import platform as platform_module
import socket
import ssl
import tarfile
import tempfile
import urllib.error
from http.client import HTTPException

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text, _tools

CHUNK = 1024 * 1024


class Refused(Exception):
    """A download or install step failed; the message is for the user."""


def file_digest(path: str) -> str | None:
    """The SHA-256 of a file, None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def record_path(dest: str, name: str) -> str:
    return os.path.join(dest, f".{name}.mcpmesh-tool.json")


def read_record(dest: str, name: str) -> dict:
    try:
        with open(record_path(dest, name), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def installed_ok(dest: str, name: str, expected: str, archive: bool, current: str | None) -> bool:
    """Whether the installed binary is the pinned one: its digest is the pin, or, for an archive,
    the one recorded when it was taken from an archive with the pinned digest."""
    if current is None:
        return False
    if not archive:
        return _tools.same_digest(current, expected)
    record = read_record(dest, name)
    return _tools.same_digest(record.get("archive_sha256"), expected) and _tools.same_digest(record.get("sha256"), current)


def temp_beside(dest: str, name: str, suffix: str) -> str:
    handle, path = tempfile.mkstemp(dir=dest, prefix=f".{name}.", suffix=suffix)
    os.close(handle)
    return path


def download(module: AnsibleModule, url: str, target: str, timeout: int, max_bytes: int) -> tuple[str, int]:
    """Stream ``url`` into ``target``, hashing as it comes; returns (sha256, bytes). Refused on any failure."""
    try:
        response = open_url(url, timeout=timeout, validate_certs=module.params["validate_certs"], decompress=False,
                            http_agent="mcpmesh.platform.tool_install")
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise Refused(f"{_text.quote(url, 300)} answered HTTP 404 (not found). With tools_mirror, put the file at "
                          "<mirror>/<host>/<path> of its origin URL (the layout `wget -x <url>` writes)") from None
        reason = _text.clean(exc.reason or "", 200, keep_newlines=False)
        raise Refused(f"{_text.quote(url, 300)} answered HTTP {exc.code} ({reason or 'no reason given'})") from None
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Refused(f"could not reach {_text.quote(url, 300)} ({_text.clean(str(reason), 200, keep_newlines=False)}). "
                      "Without internet access, set tools_mirror to a reachable copy, or install the CLI yourself") from None
    status = getattr(response, "status", None) or response.getcode()
    if status != 200:
        response.close()
        raise Refused(f"{_text.quote(url, 300)} answered HTTP {status}, not 200")
    length = response.headers.get("Content-Length")
    expected_length = int(length) if length and length.strip().isdigit() else None
    if expected_length is not None and expected_length > max_bytes:
        raise Refused(f"{_text.quote(url, 300)} announces {expected_length} bytes, more than max_bytes ({max_bytes})")
    digest, size = hashlib.sha256(), 0
    try:
        with open(target, "wb") as out:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                size += len(block)
                if size > max_bytes:
                    raise Refused(f"the download of {_text.quote(url, 300)} passed max_bytes ({max_bytes}); stopped")
                digest.update(block)
                out.write(block)
    except (HTTPException, OSError, socket.timeout, ssl.SSLError, ValueError) as exc:
        detail = _text.clean(str(exc) or type(exc).__name__, 200, keep_newlines=False)
        raise Refused(f"the download of {_text.quote(url, 300)} broke off after {size} bytes ({type(exc).__name__}: "
                      f"{detail}); run again to retry") from None
    finally:
        response.close()
    if expected_length is not None and size != expected_length:
        raise Refused(f"the download of {_text.quote(url, 300)} stopped after {size} of {expected_length} bytes; "
                      "run again to retry")
    return digest.hexdigest(), size


def extract(archive: str, member_wanted: str | None, name: str, target: str, max_bytes: int) -> str:
    """Copy the binary out of a .tar.gz into ``target``; returns its SHA-256."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            kinds = [(m.name, "file" if m.isfile() else "dir" if m.isdir() else
                      "link" if (m.issym() or m.islnk()) else "other") for m in members]
            chosen = _tools.choose_member(kinds, member_wanted, name)
            member = tar.getmember(chosen)
            if member.size > max_bytes:
                raise Refused(f"the archive member {_text.quote(chosen, 120)} is {member.size} bytes, more than max_bytes")
            source = tar.extractfile(member)
            if source is None:
                raise Refused(f"the archive member {_text.quote(chosen, 120)} cannot be read")
            digest = hashlib.sha256()
            with source, open(target, "wb") as out:
                for block in iter(lambda: source.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
            return digest.hexdigest()
    except _tools.ToolsError as exc:
        raise Refused(str(exc)) from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Refused(f"the archive could not be read ({type(exc).__name__}: "
                      f"{_text.clean(str(exc), 200, keep_newlines=False)})") from None


def write_record(dest: str, name: str, record: dict) -> None:
    temp = temp_beside(dest, name, ".json.part")
    try:
        with open(temp, "w", encoding="utf-8") as out:
            json.dump(record, out, sort_keys=True)
        os.chmod(temp, 0o644)
        os.replace(temp, record_path(dest, name))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def install(module: AnsibleModule, p: dict, spec: dict, url: str, expected: str, target: str) -> str:
    """Download, check and put the binary in place; returns the binary's SHA-256. Leaves no temporary file."""
    dest, name = p["dest"], p["name"]
    temps = []
    try:
        fetched = temp_beside(dest, name, ".part")
        temps.append(fetched)
        actual, _size = download(module, url, fetched, p["timeout"], p["max_bytes"])
        if not _tools.same_digest(actual, expected):
            raise Refused(_tools.mismatch_message(url, actual, expected, dest))
        binary, binary_digest = fetched, actual
        if spec["member"] is not None:
            binary = temp_beside(dest, name, ".bin.part")
            temps.append(binary)
            binary_digest = extract(fetched, spec["member"], name, binary, p["max_bytes"])
        os.chmod(binary, 0o755)
        os.replace(binary, target)
        if spec["member"] is not None:
            write_record(dest, name, {"archive": spec["name"], "archive_sha256": expected, "sha256": binary_digest,
                                      "version": p["version"], "url": url})
        return binary_digest
    finally:
        for temp in temps:
            if os.path.lexists(temp):
                os.unlink(temp)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, choices=sorted(_tools.TOOLS)),
            version=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            checksums=dict(type="dict", default={}),
            sha256=dict(type="str"),
            platform=dict(type="str", choices=list(_tools.PLATFORMS)),
            mirror=dict(type="str"),
            timeout=dict(type="int", default=60),
            max_bytes=dict(type="int", default=524288000),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name, dest = p["name"], p["dest"]
    if p["timeout"] < 1 or p["max_bytes"] < 1:
        module.fail_json(msg="timeout and max_bytes must be positive numbers.")
    try:
        plat = p["platform"] or _tools.platform_of(platform_module.system(), platform_module.machine())
        spec = _tools.asset(name, p["version"], plat)
        url = _tools.mirror_url(spec["url"], p["mirror"])
        expected = _tools.expected_digest(name, p["version"], plat, p["sha256"], p["checksums"])
    except _tools.ToolsError as exc:
        module.fail_json(msg=f"tool_install cannot install {name}: {exc}.")

    target = os.path.join(dest, name)
    result = dict(changed=False, path=target, url=url, platform=plat, version=p["version"], sha256=expected,
                  downloaded=False, previous_sha256=None, binary_sha256=None)
    if os.path.lexists(target) and not os.path.isfile(target):
        module.fail_json(msg=f"{_text.quote(target, 300)} exists and is not a regular file; remove it, or choose "
                         "another tools_dir.", **result)
    current = file_digest(target) if os.path.isfile(target) else None
    result["previous_sha256"] = current
    if installed_ok(dest, name, expected, spec["member"] is not None, current):
        result["binary_sha256"] = current
        if not os.access(target, os.X_OK):
            result["changed"] = True
            if not module.check_mode:
                os.chmod(target, 0o755)
        module.exit_json(**result)

    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    created = not os.path.isdir(dest)
    failed = {**result, "changed": False}
    try:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        result["binary_sha256"] = install(module, p, spec, url, expected, target)
    except Refused as exc:
        if created and os.path.isdir(dest) and not os.listdir(dest):
            os.rmdir(dest)
        module.fail_json(msg=f"{name} {p['version']} was not installed: {str(exc).rstrip('.')}.",
                         **failed)
    except OSError as exc:
        module.fail_json(msg=f"{name} {p['version']} was not installed: {_text.quote(dest, 300)} cannot be written "
                         f"({_text.clean(exc.strerror or str(exc), 200, keep_newlines=False)}); choose another "
                         "tools_dir or fix its permissions.", **failed)
    result["downloaded"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
