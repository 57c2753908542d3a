# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Outside text made safe to quote in a message: control characters stripped, length bounded.

CLIs colour their output (ANSI escape sequences), files may hold anything (NUL bytes, terminal
control codes, bidirectional overrides that make a line read differently than it is), and a
message that quotes them whole can be megabytes long. Everything a module quotes from a CLI, a
file or a cluster passes through here first.

Pure logic, no Ansible imports.
"""
from __future__ import annotations

import json
import math
import re

# CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ST), and two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# C0 controls but TAB and LF, DEL, C1 controls, and the bidirectional overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

MESSAGE_LIMIT = 300  # a value quoted inside a sentence
OUTPUT_LIMIT = 2000  # stdout/stderr returned beside a failure
LIST_LIMIT = 10  # items named before "and N more"


def strip_control(text, keep_newlines: bool = True) -> str:
    """``text`` without ANSI escapes and control characters (TAB kept; LF kept unless told)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub("", text)
    return text if keep_newlines else text.replace("\n", " ")


def cut(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut at ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters cut]"


def clean(text, limit: int = OUTPUT_LIMIT, keep_newlines: bool = True) -> str:
    """Control characters stripped, then cut: what a module may return of outside text."""
    return cut(strip_control(text, keep_newlines), limit)


def quote(value, limit: int = 80) -> str:
    """A value for a sentence: ``repr`` of a string, JSON-ish for the rest, on one line, bounded.

    Never raises, whatever the value (deeply nested, self-referencing, unprintable)."""
    try:
        text = repr(strip_control(value, False)) if isinstance(value, str) else json.dumps(value, default=str, allow_nan=True)
    except (ValueError, TypeError, RecursionError):
        text = f"<{type(value).__name__}>"
    return clean(text, limit, keep_newlines=False)


def first_line(text, default: str = "", limit: int = MESSAGE_LIMIT) -> str:
    """The first non-blank line of ``text``, cleaned and cut."""
    for line in strip_control(text).splitlines():
        if line.strip():
            return cut(line.strip(), limit)
    return default


def last_line(text, default: str = "", limit: int = MESSAGE_LIMIT) -> str:
    """The last non-blank line of ``text``, cleaned and cut."""
    lines = [line.strip() for line in strip_control(text).splitlines() if line.strip()]
    return cut(lines[-1], limit) if lines else default


def names(items, limit: int = LIST_LIMIT, sep: str = ", ") -> str:
    """Up to ``limit`` items joined, then ``and N more``: a long list as a count."""
    items = [clean(str(item), MESSAGE_LIMIT, keep_newlines=False) for item in items]
    shown = sep.join(items[:limit])
    if len(items) > limit:
        shown += f"{sep}and {len(items) - limit} more"
    return shown


def line_matches(pattern: re.Pattern, text) -> list:
    """The matches of ``pattern`` at the start of each line of ``text`` (any value; None is no text), in order."""
    return [match for match in map(pattern.match, str(text or "").splitlines()) if match]


def finite_number(value) -> bool:
    """An int or float (not a bool) that is neither NaN nor infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def json_array(text, error: type, not_json, not_array) -> list:
    """``text`` parsed as JSON when it is an array; else ``error(message)`` is raised, the message being
    ``not_json(reason)`` when it is not JSON at all (``reason``: the parser's words, as they are) or
    ``not_array(type_name)`` when it is another JSON value (``dict`` for an object)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:
        raise error(not_json(str(exc))) from None
    if not isinstance(data, list):
        raise error(not_array(type(data).__name__))
    return data


def add_once(seen: set, key, error: type, message: str) -> None:
    """Add ``key`` to ``seen``, raising ``error(message)`` when it is there already (a name given twice)."""
    if key in seen:
        raise error(message)
    seen.add(key)
