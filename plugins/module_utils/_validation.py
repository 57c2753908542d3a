# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module_utils is PRIVATE to the collection. It can change at any time.
"""Validation of rendered artifacts, shared by validate_artifacts and render_artifacts.

Both modules judge the same texts the same way: core kinds with kubernetes-validate against a
Kubernetes version, custom resources and Helm values against the collection's schemas, and every
text against the secrets that must not appear in it. The modules only read the files (or, for
render_artifacts, hold the texts they are about to write) and turn the outcome into their result.
No Ansible imports: tests import it directly.
"""
from __future__ import annotations

import traceback
from typing import Callable, Iterable, Mapping

from . import _artifacts, _schemas, _text

MISSING_LIB = None  # (the requirement's name, the import traceback) when one is missing
try:
    from jsonschema import Draft7Validator
except ImportError:
    MISSING_LIB = ("jsonschema", traceback.format_exc())
try:
    import kubernetes_validate
    from kubernetes_validate import utils as kv_utils
    from kubernetes_validate.utils import SchemaNotFoundError
except ImportError:
    MISSING_LIB = ("kubernetes-validate", traceback.format_exc())


class ValidationInputError(ValueError):
    """An option the validation cannot work with; the message says what to set."""


class ValidationFailed(Exception):
    """The artifacts have problems: ``msg`` sums them up, ``errors`` lists them, ``result`` is the rest."""

    def __init__(self, msg: str, errors: list[str], result: dict):
        super().__init__(msg)
        self.msg, self.errors, self.result = msg, errors, result


def schema_choice(version: str, warn: Callable[[str], None]) -> tuple[str, str]:
    """(the version passed to kubernetes-validate, its MAJOR.MINOR) for the version asked for.

    kubernetes-validate refuses a version newer than its newest schemas; such a cluster (a newer
    node image) is validated against the newest bundled schemas, with a warning.
    """
    bundled = sorted({_artifacts.minor_version(v) for v in kv_utils.all_versions()} - {None})
    wanted = _artifacts.minor_version(version)
    oldest = ".".join(map(str, bundled[0])) if bundled else "?"
    newest = ".".join(map(str, bundled[-1])) if bundled else "?"
    if wanted is None or not bundled or wanted < bundled[0]:
        raise ValidationInputError(
            f"kubernetes-validate has no schemas for Kubernetes {_text.clean(version, 40, keep_newlines=False)}; "
            f"set kubernetes_version to a release between {oldest} and {newest} (newer releases use {newest})"
        )
    if wanted > bundled[-1]:
        warn(f"kubernetes-validate bundles schemas up to Kubernetes {newest}; the core kinds are validated "
             f"against {newest}, not {version}. Fields new in {version} are refused with strict=true: "
             "upgrade kubernetes-validate, or set strict=false")
        return newest, newest
    return version, ".".join(map(str, max(v for v in bundled if v <= wanted)))


def validate_texts(manifests: Mapping[str, str | None], helm_values: Iterable[tuple[str, str, str | None]], *,
                   kubernetes_version: str, strict: bool, forbidden: list[str], forbidden_digests: list[dict],
                   warn: Callable[[str], None], unreadable: Iterable[str] = ()) -> dict:
    """Judge the texts; return the result (objects, values, versions) or raise ValidationFailed.

    ``manifests`` maps a path to its text, ``helm_values`` holds (path, chart, text); a text of
    None could not be read as UTF-8, and ``unreadable`` says why, one line each.
    """
    version = kubernetes_version.lstrip("v")
    wrong = _artifacts.digest_problems(forbidden_digests)
    if wrong:
        raise ValidationInputError("; ".join(wrong) + ". Give each secret's hash('sha256') and its length in bytes.")
    checked_version, schema_version = schema_choice(version, warn)

    def core_validate(obj: dict) -> str | None:
        try:
            kubernetes_validate.validate(obj, checked_version, strict=strict)
        except SchemaNotFoundError as exc:
            raise LookupError(obj["kind"]) from exc
        except kubernetes_validate.ValidationError as exc:
            return f"{_artifacts.json_path(exc.path)}: {_artifacts.error_message(exc.message, exc.instance)}"
        return None

    objects, values, errors = [], [], list(unreadable)
    texts = {}
    for path, text in manifests.items():
        if text is None:
            continue
        texts[path] = text
        try:
            docs = _artifacts.load_documents(text, path)
            rows, found = _artifacts.validate_manifest_objects(
                docs, path, core_validate, _schemas.CUSTOM_RESOURCES, Draft7Validator
            )
        except _artifacts.ArtifactError as exc:
            errors.append(str(exc))
            continue
        objects.extend(rows)
        errors.extend(found)
    for path, chart, text in helm_values:
        if text is None:
            continue
        texts[path] = text
        errors.extend(_artifacts.validate_helm_values(text, path, chart, _schemas.HELM_VALUES, Draft7Validator))
        values.append({"path": path, "chart": chart})
    for path, text in texts.items():
        for option, hits in (("forbidden", _artifacts.forbidden_hits(text, forbidden)),
                             ("forbidden_digests", _artifacts.forbidden_digest_hits(text, forbidden_digests))):
            if hits:
                errors.append(
                    f"{path}: holds secret value(s) number {', '.join(map(str, hits))} of '{option}'; "
                    "secrets must go into Kubernetes Secrets or release_values with no_log, never into artifacts"
                )

    result = dict(objects=objects, values=values, kubernetes_version=version, schema_version=schema_version)
    if errors:
        errors = [_text.clean(error, 1000, keep_newlines=False) for error in errors]
        raise ValidationFailed(
            f"{len(errors)} problem(s) in the rendered artifacts; fix the template or the variables that feed it, "
            "then run again: " + _text.names(errors, limit=20, sep="; "),
            errors[:200], result)
    return result
