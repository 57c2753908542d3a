# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: masked_failure
short_description: The failure report of a task that carries a secret, from parts that cannot hold it
version_added: 0.1.0
positional: what, next_step
description:
  - >-
    Under C(no_log), ansible-core 2.19 still prints the message of a task that fails through an action plugin,
    and a Kubernetes API error or a Helm error can quote the Secret or the values file it was given.
    The roles run such tasks with C(failed_when: false) and C(register), then fail in a separate task
    with the message this filter builds.
  - For a kubernetes.core.k8s result it keeps only the HTTP status and the API's one-word reason; for a
    kubernetes.core.helm result (one with a C(command)) the exit code, Helm's error class (such as
    C(UPGRADE FAILED)) and the command with the values of C(--set) and similar options cut out.
    Nothing else of the message, stdout or stderr is used.
  - >-
    Returns an empty string when the result is not a failure (a skipped or successful task), so a
    C(when) that compares the length of its result with 0 selects the failures.
options:
  _input:
    description: "The registered result of the task (run with C(failed_when: false))."
    type: dict
    required: true
  what:
    description: What the task did, for the sentence ("Creating the buoyant-license Secret").
    type: str
    required: true
  next_step:
    description: What to do next, appended to the message.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Report a failure to store the licence, without the licence.
  ansible.builtin.fail:
    msg: "{{ __result | mcpmesh.platform.masked_failure('Creating the buoyant-license Secret', 'Check the namespace exists.') }}"
  when: __result | mcpmesh.platform.masked_failure('x') | length > 0
"""

RETURN = r"""
_value:
  description: One sentence naming what failed, the safe parts and the next step; empty when nothing failed.
  type: str
"""

from ansible_collections.mcpmesh.platform.plugins.module_utils._masking import failure_message, is_failure


def masked_failure(result, what, next_step=""):
    if not is_failure(result):
        return ""
    return failure_message(result, str(what), str(next_step or ""))


class FilterModule:
    def filters(self):
        return {"masked_failure": masked_failure}
