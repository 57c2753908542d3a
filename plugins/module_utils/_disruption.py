# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""A bounded, one-pod disruption: which pod to delete, and when its workload has recovered.

Reads ``kubectl get pods -n <ns> -l <selector> -o json`` (a ``v1`` ``List`` of ``Pod``). A pod is
Ready when its phase is ``Running``, it carries no ``metadata.deletionTimestamp`` (a deleted pod
stays listed, still Running and even Ready, until its grace period ends) and its ``Ready``
condition is ``True`` (kubernetes ``pkg/api/v1/pod/util.go`` ``IsPodReady``; the condition is the
kubelet's, after the readiness probe).

The victim is the oldest Ready pod (ties by name), so two runs on the same state pick the same one.
Nothing is deleted unless ``min_ready`` pods are Ready: deleting the only pod of a workload is an
outage, not a disruption. The workload has recovered when as many pods as were Ready before, none
of them the victim, are Ready again; the pods that were not Ready before are its replacements.

No Ansible imports: tests use this directly.
"""
from __future__ import annotations

from ansible_collections.mcpmesh.platform.plugins.module_utils._text import clean, cut, names


class DisruptionError(ValueError):
    """What kubectl printed is not what the module can work with, or the state refuses a disruption."""


def parse_pods(doc) -> list[dict]:
    """The pods of a ``kubectl get pods -o json`` answer, as ``{name, ready, phase, created, deleting, node}``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise DisruptionError("kubectl did not print a List of pods (no 'items' list)")
    pods = []
    for item in doc["items"]:
        if not isinstance(item, dict) or not isinstance(item.get("metadata"), dict):
            raise DisruptionError("an item of the pod list has no metadata")
        meta = item["metadata"]
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            raise DisruptionError("a pod of the list has no name")
        name = clean(name, 253, keep_newlines=False)
        status = item.get("status") if isinstance(item.get("status"), dict) else {}
        spec = item.get("spec") if isinstance(item.get("spec"), dict) else {}
        conditions = status.get("conditions") if isinstance(status.get("conditions"), list) else []
        ready_condition = any(isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
                              for c in conditions)
        phase = status.get("phase") if isinstance(status.get("phase"), str) else "Unknown"
        deleting = meta.get("deletionTimestamp") is not None
        pods.append({
            "name": name,
            "phase": phase,
            "ready": phase == "Running" and ready_condition and not deleting,
            "deleting": deleting,
            "created": str(meta.get("creationTimestamp") or ""),
            "node": spec.get("nodeName") if isinstance(spec.get("nodeName"), str) else None,
        })
    return pods


def ready_names(pods: list[dict]) -> list[str]:
    return sorted(p["name"] for p in pods if p["ready"])


def choose_victim(pods: list[dict], min_ready: int = 2, what: str = "the workload") -> dict:
    """The oldest Ready pod; DisruptionError when fewer than ``min_ready`` pods are Ready."""
    if isinstance(min_ready, bool) or not isinstance(min_ready, int) or min_ready < 1:
        raise DisruptionError(f"min_ready must be a whole number 1 or more, not {min_ready!r}")
    ready = [p for p in pods if p["ready"]]
    if len(ready) < min_ready:
        listed = names([f"{p['name']} ({describe(p)})" for p in pods]) or "none"
        raise DisruptionError(
            f"{what} has {len(ready)} Ready pod(s), fewer than the {min_ready} a disruption needs (pods: {listed}); "
            "deleting one would be an outage, not a disruption. Run more replicas, or leave this workload out")
    return sorted(ready, key=lambda p: (p["created"], p["name"]))[0]


def describe(pod: dict) -> str:
    if pod["deleting"]:
        return "terminating"
    return "Ready" if pod["ready"] else f"{pod['phase']}, not Ready"


def recovery(pods: list[dict], victim: str, before: list[str]) -> dict:
    """Whether the workload is back to ``len(before)`` Ready pods without ``victim``, and which pods replaced it."""
    ready = [name for name in ready_names(pods) if name != victim]
    return {
        "recovered": len(ready) >= len(before),
        "ready": ready,
        "replacements": [name for name in ready if name not in before],
        "victim_left": any(p["name"] == victim for p in pods),
    }


def state_line(pods: list[dict]) -> str:
    """The pods and their states, for a message (bounded)."""
    return cut(names([f"{p['name']} ({describe(p)})" for p in pods]) or "no pod", 600)


def overlap_seconds(window: tuple[float, float], other: tuple[float, float]) -> float:
    """Seconds two time windows ``(start, end)`` share, 0 when they do not meet."""
    start = max(float(window[0]), float(other[0]))
    end = min(float(window[1]), float(other[1]))
    return round(max(0.0, end - start), 3)
