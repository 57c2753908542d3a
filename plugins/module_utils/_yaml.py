# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""YAML read without the ways a file can blow up a module.

PyYAML's safe loader shares the object behind an alias, so reading a "billion laughs" file is
cheap, but everything that walks the result afterwards (a schema check, a message quoting a
value) expands it: a 573-byte file made a 25 MB message. Here the node graph is measured before
anything is built: a file whose documents would expand to more than ``max_nodes`` nodes, that
refers to itself, or that is nested deeper than Python can follow is refused, with the reason.
Parse errors are reported by line and column only, never with a snippet of the file (which may
hold a secret).

Pure logic, no Ansible imports.
"""
from __future__ import annotations

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

MAX_NODES = 100_000


class YamlRefused(ValueError):
    """The text is not YAML, or YAML this collection refuses to expand."""


def _size(node, limit: int, memo: dict, active: set) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise YamlRefused("it refers to itself through an alias (a recursive structure)")
    active.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _size(child, limit, memo, active)
            if total > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _size(k, limit, memo, active) + _size(v, limit, memo, active)
            if total > limit:
                break
    active.discard(key)
    memo[key] = total
    if total > limit:
        raise YamlRefused(f"its aliases expand to more than {limit} nodes (an alias bomb?); write the values out")
    return total


def describe_error(exc: Exception) -> str:
    """A YAML error as ``line L, column C: problem``, without the quoted snippet."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or type(exc).__name__
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"[:300]


def load_all(text: str, max_nodes: int = MAX_NODES) -> list:
    """Every document of ``text`` (empty ones included, as None); raises YamlRefused."""
    if yaml is None:  # pragma: no cover
        raise YamlRefused("PyYAML is not installed")
    if not isinstance(text, str):
        raise YamlRefused(f"expected text, got {type(text).__name__}")
    if "\x00" in text:
        raise YamlRefused("it holds NUL bytes: a binary file, not YAML")
    loader = yaml.SafeLoader(text)
    docs, memo, budget = [], {}, max_nodes
    try:
        while loader.check_node():
            node = loader.get_node()
            budget -= _size(node, budget, memo, set()) if node is not None else 0
            docs.append(loader.construct_document(node) if node is not None else None)
    except yaml.YAMLError as exc:
        raise YamlRefused(f"not valid YAML ({describe_error(exc)})") from None
    except RecursionError:
        raise YamlRefused("it is nested too deeply to read") from None
    finally:
        loader.dispose()
    return docs


def load(text: str, max_nodes: int = MAX_NODES):
    """The single document of ``text`` (None when empty); more than one is refused."""
    docs = load_all(text, max_nodes)
    if len(docs) > 1:
        raise YamlRefused(f"it holds {len(docs)} YAML documents, expected one")
    return docs[0] if docs else None
