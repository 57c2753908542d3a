# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Validation of rendered artifacts: Kubernetes manifests and Helm values files.

Pure logic, no Ansible imports. The schema validators are passed in, so the
unit tests exercise this without kubernetes-validate when they want to.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping

from ansible_collections.mcpmesh.platform.plugins.module_utils import _text, _yaml

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArtifactError(Exception):
    """A problem with one artifact; the message names the file and the object."""


def json_path(parts: Iterable) -> str:
    """Render a jsonschema error path as ``spec.addresses[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def minor_version(text: str) -> tuple[int, int] | None:
    """``v1.36.1`` or ``1.36`` -> (1, 36); None when text has no MAJOR.MINOR."""
    match = re.match(r"^v?(\d+)\.(\d+)", text or "")
    return (int(match[1]), int(match[2])) if match else None


def load_documents(text: str, source: str) -> list[dict]:
    """Parse multi-document YAML; empty documents are dropped, non-mappings are errors."""
    try:
        docs = [d for d in _yaml.load_all(text) if d is not None]
    except _yaml.YamlRefused as exc:
        raise ArtifactError(f"{source}: {exc}") from None
    for index, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise ArtifactError(f"{source}: document {index + 1} is a {type(doc).__name__}, not a Kubernetes object")
    return docs


def describe(obj: Mapping) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = _text.clean(str(meta.get("name", "<no name>")), 100, keep_newlines=False)
    ns = meta.get("namespace")
    ns = _text.clean(str(ns), 100, keep_newlines=False) if ns else ""
    kind = _text.clean(str(obj.get("kind", "<no kind>")), 100, keep_newlines=False)
    return f"{kind}/{ns + '/' if ns else ''}{name}"


def check_identity(obj: Mapping) -> list[str]:
    """The fields every object needs before any schema can be chosen."""
    problems = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            problems.append(f"missing {key}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        problems.append("missing metadata.name")
    return problems


def schema_errors(schema: Mapping, instance, validator_cls) -> list[str]:
    """All jsonschema errors for instance, as ``path: message`` strings, sorted by path."""
    validator = validator_cls(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{json_path(e.absolute_path)}: {error_message(e.message, e.instance)}" for e in errors]


def error_message(message: str, instance, limit: int = 300) -> str:
    """A schema error without the offending value: it may be a secret put in the wrong place.

    jsonschema starts most messages with ``repr(instance)``; for strings, objects and arrays that
    part becomes "the <type> value" (numbers and booleans are shown).
    What remains (keys, the schema's expectation) is kept, cut at ``limit`` characters.
    """
    shown = repr(instance)
    if isinstance(instance, (dict, list, str)) and shown in message:
        kind = "object" if isinstance(instance, dict) else "array" if isinstance(instance, list) else "string"
        message = message.replace(shown, f"the {kind} value")
    return message if len(message) <= limit else message[:limit] + "..."


def validate_manifest_objects(
    docs: list[dict],
    source: str,
    core_validate: Callable[[dict], str | None],
    custom_schemas: Mapping[tuple[str, str], Mapping],
    validator_cls,
) -> tuple[list[dict], list[str]]:
    """Validate each object; returns (report rows, error strings).

    ``core_validate(obj)`` returns None when obj is valid, an error string when it is
    not, and raises LookupError when it has no schema for obj's kind (a custom resource).
    Custom resources must then have a schema in ``custom_schemas``.
    """
    rows, errors = [], []
    for obj in docs:
        label = f"{source}: {describe(obj)}"
        missing = check_identity(obj)
        if missing:
            errors.append(f"{label}: {', '.join(missing)}")
            continue
        key = (obj["apiVersion"], obj["kind"])
        try:
            problem = core_validate(obj)
            checked_by = "kubernetes-validate"
            found = [problem] if problem else []
        except LookupError:
            schema = custom_schemas.get(key)
            if schema is None:
                errors.append(
                    f"{label}: no schema for custom resource {key[1]} ({key[0]}); add one to "
                    "plugins/module_utils/_schemas_<area>.py so it is checked before it is applied"
                )
                continue
            checked_by = "mcpmesh schema"
            found = schema_errors(schema, obj, validator_cls)
        errors.extend(f"{label}: {p}" for p in found)
        meta = obj["metadata"]
        rows.append({
            "path": source,
            "apiVersion": obj["apiVersion"],
            "kind": obj["kind"],
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "checked_by": checked_by,
        })
    return rows, errors


def validate_helm_values(text: str, source: str, chart: str,
                         values_schemas: Mapping[str, Mapping], validator_cls) -> list[str]:
    """Check a values file is one YAML mapping that satisfies the chart's schema."""
    schema = values_schemas.get(chart)
    if schema is None:
        known = ", ".join(sorted(values_schemas)) or "none"
        return [f"{source}: no values schema for chart {chart!r} (known: {known})"]
    try:
        docs = [d for d in _yaml.load_all(text) if d is not None]
    except _yaml.YamlRefused as exc:
        return [f"{source}: {exc}"]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return [f"{source}: a Helm values file must hold exactly one mapping"]
    return [f"{source}: {p}" for p in schema_errors(schema, docs[0], validator_cls)]


def forbidden_hits(text: str, forbidden: Iterable[str]) -> list[int]:
    """Indexes (1-based) of the forbidden strings found in text; never the strings themselves."""
    return [i for i, secret in enumerate(forbidden, start=1) if secret and secret.strip() and secret.strip() in text]


def digest_problems(digests: Iterable[Mapping]) -> list[str]:
    """What is wrong with ``forbidden_digests`` entries (each ``{sha256, length}``), one line each."""
    problems = []
    for index, entry in enumerate(digests, start=1):
        sha = entry.get("sha256")
        length = entry.get("length")
        if not isinstance(sha, str) or not _SHA256.match(sha.lower()):
            problems.append(f"forbidden_digests[{index}].sha256 is not 64 hexadecimal digits")
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            problems.append(f"forbidden_digests[{index}].length must be a whole number of bytes, 1 or more")
    return problems


def forbidden_digest_hits(text: str, digests: Iterable[Mapping]) -> list[int]:
    """Indexes (1-based) of the ``{sha256, length}`` entries whose secret is in text.

    A secret of ``length`` UTF-8 bytes is in text when some run of that many bytes of it has that
    SHA-256: every such run is hashed, so the module learns whether the secret is there without
    ever being given it. Entries must have passed :func:`digest_problems`.
    """
    data = text.encode("utf-8", errors="surrogatepass")
    view = memoryview(data)
    hits = []
    by_length: dict[int, list[tuple[int, str]]] = {}
    for index, entry in enumerate(digests, start=1):
        by_length.setdefault(entry["length"], []).append((index, entry["sha256"].lower()))
    for length, wanted in by_length.items():
        if length > len(data):
            continue
        left: dict[str, list[int]] = {}
        for index, sha in wanted:
            left.setdefault(sha, []).append(index)
        sha256 = hashlib.sha256
        for start in range(len(data) - length + 1):
            found = left.pop(sha256(view[start:start + length]).hexdigest(), None)
            if found is not None:
                hits.extend(found)
                if not left:
                    break
    return sorted(hits)
