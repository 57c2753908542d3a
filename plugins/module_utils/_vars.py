# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of role variables that argument_specs cannot express (pure logic, no Ansible imports).

A role hands ``problems()`` a list of checks, one per variable::

    {"name": "kind_workers", "value": 2, "type": "int", "min": 0}

and gets back one sentence per variable that fails, naming it, saying what was expected and how
to fix it. An empty list means every variable is fine. Keys of a check:

* ``name`` (required) and ``value``: the variable and its value.
* ``type``: ``str``, ``list``, ``dict``, ``bool``, ``int`` or ``number`` (int or float).
  ``int`` and ``number`` also take the strings ``-e name=3`` gives; ``nan``/``inf`` are refused.
* ``format`` (strings): one of FORMATS below (versions, Kubernetes and kind names, ...), ``path``
  (no ``..`` segment, no control character) or ``ip_address``.
* ``elements``: the type of every list item (``str`` or ``dict``); ``elements_format`` a format
  for string items.
* ``min``, ``max`` (inclusive) and ``above`` (exclusive lower bound) for numbers; a bound that is
  not a number itself (another variable that is wrong) is ignored, that variable has its own check.
* ``optional``: an empty string (or None) is fine.
* ``secret``: the value is never quoted in a message.
"""
from __future__ import annotations

import ipaddress
import math
import re

# Messages quote at most this much of a value; control characters are replaced.
QUOTE_LIMIT = 80

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SEMVER = (
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)
_PORT_ITEM = r"\d{1,5}(-\d{1,5})?"

# name: (regular expression, maximum length, what it is, how to fix it)
FORMATS = {
    "version": (
        _SEMVER, 64, "an exact version (SemVer, like 1.2.3 or v1.2.3)",
        "give one version, not a range or a name",
    ),
    "kube_version": (
        r"v?\d+\.\d+(\.\d+)?", 16, "a Kubernetes version (major.minor, like 1.36)",
        "give the cluster's Kubernetes minor version",
    ),
    "dns_label": (
        _LABEL, 63, "a Kubernetes name (RFC 1123 label: lower-case letters, digits and '-', at most 63)",
        "use lower-case letters, digits and '-', starting and ending with a letter or digit",
    ),
    "dns_subdomain": (
        _LABEL + r"(\." + _LABEL + r")*", 253,
        "a Kubernetes name (RFC 1123 subdomain: lower-case letters, digits, '-' and '.', at most 253)",
        "use lower-case letters, digits, '-' and '.'",
    ),
    # kind names its node containers <name>-control-plane, a host name (a 63-character label).
    "kind_name": (
        _LABEL, 49, "a kind cluster name (lower-case letters, digits and '-', at most 49, a DNS label)",
        "use lower-case letters, digits and '-' (it names containers, a kubeconfig context and a folder)",
    ),
    "release_name": (
        _LABEL + r"(\." + _LABEL + r")*", 53, "a Helm release name (lower-case letters, digits, '-' and '.', at most 53)",
        "use lower-case letters, digits, '-' and '.'",
    ),
    "duration": (
        r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+", 32, "a duration (like 30s, 1m or 1h30m)",
        "give a number followed by s, m or h",
    ),
    "port_list": (
        _PORT_ITEM + r"(," + _PORT_ITEM + r")*", 512, "a comma-separated list of ports or port ranges (like 4222,6222-6223)",
        "separate ports with commas, without spaces",
    ),
    "url_path": (
        r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*", 1024, "a URL path starting with '/'",
        "start it with '/' and leave out spaces and control characters",
    ),
}
PATH_FORMAT = "path"  # handled in code: no '..' segment, no control character
IP_FORMAT = "ip_address"  # handled in code: an IPv4 or IPv6 address


class _Bad(Exception):
    """One problem with one variable (internal)."""


def _quote(value, secret: bool) -> str:
    if secret:
        return "(value not shown)"
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT] + f"... ({len(text)} characters)"
    return repr(text) if isinstance(value, str) else text


# What a value is, in the user's words; the first type that fits wins (a bool is also an int).
_TYPE_NAMES = ((type(None), "nothing (null)"), (bool, "a boolean"), (str, "a string"), ((list, tuple), "a list"),
               (dict, "a mapping"), ((int, float), "a number"))


def _type_name(value) -> str:
    return next((name for types, name in _TYPE_NAMES if isinstance(value, types)), "a " + type(value).__name__)


def to_number(value, integer: bool):
    """The int/float value of `value`, or raise _Bad. Booleans, nan and inf are not numbers."""
    if isinstance(value, bool) or value is None:
        raise _Bad(f"must be {'an integer' if integer else 'a number'}, not {_type_name(value)}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        except ValueError:
            raise _Bad(f"must be {'an integer' if integer else 'a number'}") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad("must be a finite number (not nan or infinity)")
        if integer:
            if not value.is_integer():
                raise _Bad("must be an integer (a whole number)")
            value = int(value)
    elif not isinstance(value, int):
        raise _Bad(f"must be {'an integer' if integer else 'a number'}, not {_type_name(value)}")
    return value


def _bound(bound):
    """A bound as a number, or None when it is missing or not a number itself."""
    if bound is None:
        return None
    try:
        return to_number(bound, integer=False)
    except _Bad:
        return None


def _check_range(number, check: dict) -> None:
    low, high, above = _bound(check.get("min")), _bound(check.get("max")), _bound(check.get("above"))
    if above is not None and not number > above:
        raise _Bad(f"must be greater than {above:g}" + (f" and at most {high:g}" if high is not None else ""))
    if low is not None and high is not None and not low <= number <= high:
        raise _Bad(f"must be between {low:g} and {high:g}")
    if low is not None and number < low:
        raise _Bad(f"must be {low:g} or more")
    if high is not None and number > high:
        raise _Bad(f"must be {high:g} or less")


def _check_path(text: str) -> None:
    if not text.strip():
        raise _Bad("must be a folder path, not empty")
    if any(not ch.isprintable() for ch in text):
        raise _Bad("must not contain control characters")
    if ".." in re.split(r"[/\\]", text):
        raise _Bad("must not contain a '..' segment (it would write outside the folder meant); give a plain absolute path")


def _check_format(text: str, fmt: str) -> None:
    if fmt == PATH_FORMAT:
        _check_path(text)
        return
    if fmt == IP_FORMAT:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise _Bad("must be an IPv4 or IPv6 address (like 127.0.0.1 or ::1)") from None
        return
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    pattern, limit, what, fix = FORMATS[fmt]
    if len(text) > limit or not re.fullmatch(pattern, text):
        raise _Bad(f"must be {what}; {fix}")


def _check_str(value, check: dict, what: str = "a string") -> None:
    if not isinstance(value, str):
        raise _Bad(f"must be {what}, not {_type_name(value)}")
    if check.get("format") and not (check.get("optional") and value == ""):
        _check_format(value, check["format"])


def _check_list(value, check: dict) -> None:
    if isinstance(value, str):
        hint = "" if check.get("secret") else f", for example [{_quote(value, False)}]"
        raise _Bad(f"must be a list, not a string (a string is read character by character); write it as a YAML list{hint}")
    if not isinstance(value, (list, tuple)):
        raise _Bad(f"must be a list, not {_type_name(value)}")
    elements = check.get("elements")
    for index, item in enumerate(value):
        try:
            if elements == "str":
                _check_str(item, {"format": check.get("elements_format")})
            elif elements == "dict" and not isinstance(item, dict):
                raise _Bad(f"must be a mapping, not {_type_name(item)}")
        except _Bad as exc:
            raise _Bad(f"item {index + 1} ({_quote(item, bool(check.get('secret')))}) {exc}") from None


def _check_one(check: dict) -> None:
    value = check.get("value")
    kind = check.get("type", "str")
    if check.get("optional") and (value is None or value == ""):
        return
    if kind == "str":
        _check_str(value, check)
    elif kind == "list":
        _check_list(value, check)
    elif kind == "dict":
        if not isinstance(value, dict):
            raise _Bad(f"must be a mapping, not {_type_name(value)}")
    elif kind == "bool":
        if not isinstance(value, bool) and str(value).strip().lower() not in {
            "true", "false", "yes", "no", "on", "off", "1", "0"
        }:
            raise _Bad("must be true or false")
    elif kind in ("int", "number"):
        _check_range(to_number(value, integer=kind == "int"), check)
    else:
        raise ValueError(f"unknown type {kind!r}")


def problems(checks) -> list[str]:
    """One sentence per failing check (see the module docstring); [] when every check passes."""
    if not isinstance(checks, (list, tuple)):
        return [f"the variable checks must be a list, not {_type_name(checks)} (a bug in the role)"]
    found = []
    for check in checks:
        if not isinstance(check, dict) or not isinstance(check.get("name"), str):
            found.append(f"a variable check must be a mapping with a name, not {_quote(check, False)} (a bug in the role)")
            continue
        try:
            _check_one(check)
        except _Bad as exc:
            found.append(f"{check['name']}={_quote(check.get('value'), bool(check.get('secret')))}: {exc}.")
        except ValueError as exc:
            found.append(f"{check['name']}: {exc} in its check (a bug in the role).")
    return found
