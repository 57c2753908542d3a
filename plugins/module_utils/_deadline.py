# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""The one deadline and the one poller of the collection.

Every wait of every module goes through here (kind_cluster's node readiness, linkerd_check's
checks, linkerd_mesh's traffic figures, mcp_verify's retries), so each keeps the same promise: it
never runs past its deadline, never sleeps past it, and refuses a timeout that is not a finite,
non-negative number (a NaN deadline would otherwise never come).

Pure logic, no Ansible imports; the clock and the sleep are passed in so tests need no real time.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

# One day: longer waits are refused as mistakes (an int overflow of time.sleep starts far above).
MAX_TIMEOUT = 86400.0


def _seconds(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number of seconds, 0 or more, not {value!r}")
    if value > MAX_TIMEOUT:
        raise ValueError(f"{what} is {value!r} s, more than a day ({MAX_TIMEOUT:g} s); give a shorter one")
    return float(value)


class Deadline:
    """A point ``timeout_s`` seconds after now, on ``clock``."""

    def __init__(self, timeout_s, clock: Callable[[], float] = time.monotonic):
        self.timeout = _seconds(timeout_s, "the timeout")
        self._clock = clock
        self._end = clock() + self.timeout

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self._clock() >= self._end

    def cap(self, seconds=None) -> float:
        """``seconds`` (or all that is left when None), but never more than what is left; never negative."""
        left = self.remaining()
        if seconds is None:
            return left
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or math.isnan(seconds):
            raise ValueError(f"cannot cap {seconds!r} seconds")
        return max(0.0, min(float(seconds), left))


def poll(attempt: Callable[[], object], timeout_s, interval_s, *,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
         done: Callable[[object], bool] | None = None, retry_on: tuple = (),
         backoff: float = 1.0, max_interval_s: float | None = None):
    """Call ``attempt()`` until ``done(result)`` is true or the deadline passes.

    ``timeout_s`` is a number of seconds or a :class:`Deadline` the caller already holds (so the
    attempt can cap its own commands with it). ``done`` defaults to "the result is truthy". An
    exception of a type in ``retry_on`` counts as a failed attempt; any other one propagates at
    once. Between attempts it sleeps ``interval_s`` (multiplied by ``backoff`` after each, up to
    ``max_interval_s``), never past the deadline, and makes one last attempt when the deadline
    comes. ``timeout_s=0`` makes exactly one attempt.

    Returns ``(result, attempts)``: the last result, which the caller judges and reports. When the
    last attempt raised a ``retry_on`` exception, that exception is raised again, with an
    ``attempts`` attribute when it takes one.
    """
    deadline = timeout_s if isinstance(timeout_s, Deadline) else Deadline(timeout_s, clock)
    interval = _seconds(interval_s, "the poll interval")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not math.isfinite(backoff) or backoff < 1:
        raise ValueError(f"backoff must be a finite number 1 or more, not {backoff!r}")
    ceiling = _seconds(max_interval_s, "the longest poll interval") if max_interval_s is not None else None
    judge = done or bool
    attempts = 0
    while True:
        attempts += 1
        error = None
        try:
            result = attempt()
        except retry_on as exc:  # noqa: PERF203 - a retry loop
            error, result = exc, None
        if error is None and judge(result):
            return result, attempts
        left = deadline.remaining()
        if left <= 0:
            if error is not None:
                try:
                    error.attempts = attempts
                except AttributeError:  # pragma: no cover - exceptions with __slots__
                    pass
                raise error
            return result, attempts
        sleep(min(interval, left))
        interval = interval * backoff
        if ceiling is not None:
            interval = min(interval, ceiling)
