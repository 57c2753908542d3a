# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
"""The options of the modules that read Linkerd viz figures (the CLI, the poll interval, failing on findings).

Each module documents its own ``wait_timeout`` (what it keeps reading) and takes the rest from here; the
argument spec these options pair with is ``_cli.VIZ_ARG_SPEC``.
"""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  poll_interval:
    description: Seconds between two readings.
    type: int
    default: 5
  linkerd_path:
    description: The linkerd CLI (with the viz extension). When not set, C(linkerd) is looked up on C(PATH).
    type: path
  fail_on_problems:
    description: Fail when a check fails. With V(false) the findings are only returned (RV(problems)).
    type: bool
    default: true
"""
