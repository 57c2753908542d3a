# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""Where a wasmCloud workload stands, read from the runtime operator's objects (pure logic).

The runtime operator (wasmCloud/wasmCloud ``runtime-operator``) keeps conditions on every
``Workload``: ``Config``, ``HostSelection``, ``Placement``, ``Sync`` and ``Ready``, each with
``status`` True, False or Unknown, a ``reason`` and a ``message``; a failed step carries the
error text in its message. A host refuses a component whose imports it cannot serve with
"workload component <id> requested interfaces that are not available on this host: {...}"
(wash-runtime), which reaches the ``Placement`` condition. That never heals by waiting, so
:func:`verdict` reports it at once, naming the interface and what the hosts offer.

Input objects are what ``kubectl get -o json`` / ``kubernetes.core.k8s_info`` return.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

CONDITION_ORDER = ("Config", "HostSelection", "Placement", "Sync", "Ready")
MISMATCH_MARK = "requested interfaces that are not available on this host"
_ERROR_STATE = "WORKLOAD_STATE_ERROR"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;]*[A-Za-z]")
_COMPONENT = re.compile(r"workload component (\S+) " + re.escape(MISMATCH_MARK))
_STRUCT_FIELDS = re.compile(r'namespace: "([^"]+)", package: "([^"]+)", interfaces: \{([^}]*)\}')
_SEMVER_DEBUG = re.compile(r'major: (\d+), minor: (\d+), patch: (\d+)(?:, pre: Prerelease\("([^"]*)"\))?')
_SEMVER_PLAIN = re.compile(r'version: Some\("?([0-9]+\.[0-9]+\.[0-9]+[^")\s,]*)')
_PLAIN = re.compile(r"\b([a-z][a-z0-9-]*:[a-z][a-z0-9-]*(?:/[a-z][a-z0-9,-]*)?(?:@[0-9][0-9A-Za-z.+-]*)?)")
LIMIT = 400


def clean(text: Any, limit: int = LIMIT) -> str:
    """Outside text made safe to quote: control characters and ANSI codes gone, cut to ``limit``."""
    out = _CONTROL.sub("", str(text or "")).strip()
    return out if len(out) <= limit else out[: limit - 3] + "..."


def conditions(obj: Mapping) -> dict[str, dict]:
    """The object's conditions by type (the last one of a type wins)."""
    status = obj.get("status") if isinstance(obj, Mapping) else None
    items = status.get("conditions") if isinstance(status, Mapping) else None
    return {c["type"]: c for c in items or [] if isinstance(c, Mapping) and isinstance(c.get("type"), str)}


def _name(obj: Mapping) -> str:
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    return str((meta or {}).get("name") or "?")


def _kind(obj: Mapping) -> str:
    return str(obj.get("kind") or "Workload")


def belongs_to(obj: Mapping, release: str) -> bool:
    """Whether an object belongs to the HTTPTrigger/release ``release``: by name or by an owner's name."""
    if not release:
        return True
    meta = obj.get("metadata") or {}
    names = [str(meta.get("name") or "")] + [str(o.get("name") or "") for o in meta.get("ownerReferences") or []
                                             if isinstance(o, Mapping)]
    return any(n == release or n.startswith(release + "-") for n in names)


def _version_text(segment: str) -> str:
    debug = _SEMVER_DEBUG.search(segment)
    if debug:
        base = ".".join(debug.group(i) for i in (1, 2, 3))
        return base + ("-" + debug.group(4) if debug.group(4) else "")
    plain = _SEMVER_PLAIN.search(segment)
    return plain.group(1) if plain else ""


def missing_interfaces(message: str) -> list[str]:
    """The interfaces a host said it lacks, as ``ns:pkg/iface@version``, from its refusal message.

    Understands the Rust Debug form wash-runtime prints (``WitInterface { namespace: "wasi",
    package: "config", interfaces: {"store"}, version: Some(...) }``) and plain WIT names.
    """
    text = str(message or "")
    at = text.find(MISMATCH_MARK)
    if at < 0:
        return []
    tail = text[at + len(MISMATCH_MARK):]
    found: list[str] = []
    segments = tail.split("WitInterface {")[1:]
    for segment in segments:
        fields = _STRUCT_FIELDS.search(segment)
        if not fields:
            continue
        ifaces = sorted(i.strip().strip('"') for i in fields.group(3).split(",") if i.strip())
        name = f"{fields.group(1)}:{fields.group(2)}" + (("/" + ",".join(ifaces)) if ifaces else "")
        version = _version_text(segment)
        found.append(name + ("@" + version if version else ""))
    if not segments:
        found = [m for m in _PLAIN.findall(tail) if ":" in m]
    return sorted(dict.fromkeys(found))


def _step(obj: Mapping) -> tuple[str, dict] | None:
    """The first condition, in the operator's order, that is not True (None when all are)."""
    conds = conditions(obj)
    for ctype in CONDITION_ORDER:
        cond = conds.get(ctype)
        if cond is None or str(cond.get("status")) != "True":
            return ctype, cond or {}
    return None


def _offer_text(offered: str, hosts: Iterable[Mapping]) -> str:
    versions = sorted({clean((h.get("status") or {}).get("version"), 60) for h in hosts
                       if isinstance(h, Mapping) and (h.get("status") or {}).get("version")})
    parts = []
    if offered:
        parts.append(f"the hosts of this line provide {offered}")
    if versions:
        parts.append("host version " + ", ".join(versions))
    return "; ".join(parts) if parts else "the hosts did not say which interfaces they provide"


def verdict(workload_deployments: Iterable[Mapping] | None, workloads: Iterable[Mapping] | None, *,
            release: str = "", imports: Iterable[str] = (), offered: str = "",
            hosts: Iterable[Mapping] = ()) -> dict:
    """Judge where the release's workload stands.

    Returns ``state`` (``ready``, ``pending`` or ``failed``), ``message`` (one bounded sentence),
    ``missing`` (interfaces a host refused), ``component``, and ``steps``: one line per object,
    ``<Kind>/<name>: <condition> <status> (<reason>): <message>`` for the first step not done.
    ``failed`` means waiting cannot help: an interface mismatch, or a host that reports the
    workload in error. Anything else not ready is ``pending`` (the caller's deadline decides).
    """
    deployments = [o for o in workload_deployments or [] if isinstance(o, Mapping) and belongs_to(o, release)]
    items = [o for o in workloads or [] if isinstance(o, Mapping) and belongs_to(o, release)]
    hosts = [h for h in hosts or [] if isinstance(h, Mapping)]
    imports = [str(i) for i in imports or []]
    steps: list[str] = []
    for obj in deployments + items:
        step = _step(obj)
        if step is not None:
            ctype, cond = step
            steps.append(f"{_kind(obj)}/{_name(obj)}: {ctype} {cond.get('status', 'absent')}"
                         f" ({clean(cond.get('reason'), 60) or '-'}): {clean(cond.get('message'), 200) or '-'}")
    result: dict[str, Any] = {"state": "pending", "message": "", "missing": [], "component": None, "steps": steps}

    for obj in items + deployments:
        for ctype, cond in conditions(obj).items():
            message = str(cond.get("message") or "")
            if str(cond.get("status")) == "True" or MISMATCH_MARK not in message:
                continue
            missing = missing_interfaces(message)
            component = _COMPONENT.search(message)
            result.update(state="failed", missing=missing, component=component.group(1) if component else None)
            wanted = ", ".join(missing) or "an interface it imports"
            declared = f" (the component imports {', '.join(imports)})" if imports else ""
            result["message"] = clean(
                f"{_kind(obj)}/{_name(obj)} cannot be placed: the host refused component "
                f"{result['component'] or '?'}, which needs {wanted}{declared}; {_offer_text(offered, hosts)}. "
                "Use a component built for this line's hosts, or a Cosmonic Control line whose hosts provide it.",
                LIMIT * 2)
            return result

    for obj in items + deployments:
        sync = conditions(obj).get("Sync") or {}
        if str(sync.get("status")) == "False" and _ERROR_STATE in str(sync.get("message") or ""):
            result.update(state="failed", message=clean(
                f"{_kind(obj)}/{_name(obj)} was placed but its host reports it in error: {sync.get('message')}", LIMIT * 2))
            return result

    if not deployments and not items:
        result["message"] = (f"no WorkloadDeployment or Workload of {release or 'the release'} yet "
                             "(the HTTPTrigger controller creates them)")
        return result
    ready_items = [o for o in items if _step(o) is None]
    if (items and len(ready_items) == len(items)) or (not items and deployments and all(_step(o) is None for o in deployments)):
        result.update(state="ready", message=f"{len(ready_items) or len(deployments)} workload(s) of "
                                             f"{release or 'the release'} placed and ready")
        return result
    result["message"] = "; ".join(steps) or "the workload is not ready yet"
    result["message"] = clean(result["message"], LIMIT * 2)
    return result
