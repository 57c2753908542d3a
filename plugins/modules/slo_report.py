#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: slo_report
short_description: Judge measured figures by the seed's Key Metrics table and write a report page
version_added: 0.1.0
description:
  - Gives each figure of each workload in O(measurements) a verdict, V(good), V(warning) or V(critical), by the seed's
    Key Metrics table. Good is a success rate above 99.9 %, a p50 latency under 10 ms, a p99 latency under 100 ms
    and 100 % of the pods meshed. Critical is a success rate under 99 %, a p50 over 100 ms, a p99 over 1 s, or under
    90 % meshed. Anything between, the bounds themselves included, is a warning; a figure that was not measured
    (omitted, null or NaN) is critical.
  - Writes three files into O(dest). C(slo.json) holds every figure, verdict and reason. C(slo.md) holds the table in
    Markdown. C(index.html) is a page with the table coloured by verdict (each cell also says its verdict) and, for
    each workload with O(measurements[].latency_samples_ms), an inline SVG of its latency at every percentile.
    The page has no JavaScript and loads nothing from anywhere (its Content-Security-Policy is C(default-src 'none')).
  - The files hold no timestamp, so the same measurements give the same files; a file is only written when its
    content changes, and C(changed) says whether one was.
  - Fails, after writing the files, when a verdict fails the O(gate).
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.CHANGES]
attributes:
  check_mode: {details: ["Judges the figures and reports whether a file would change, but writes nothing."]}
options:
  measurements:
    description: The figures of each workload, one entry per workload.
    type: list
    elements: dict
    required: true
    suboptions:
      workload:
        description: The workload's name, as the report shows it (for example V(petstore) or V(cosmonic-system/hostgroup)).
        type: str
        required: true
      success_rate:
        description: The share of successful requests, a ratio from 0 to 1 (V(0.999) for 99.9 %).
        type: float
      p50_ms: {description: The median latency in milliseconds., type: float}
      p99_ms: {description: The 99th percentile latency in milliseconds., type: float}
      meshed_ratio:
        description: The share of the workload's running pods that carry a Linkerd proxy, from 0 to 1.
        type: float
      latency_samples_ms:
        description:
          - Latencies of single requests in milliseconds (for example C(load.latency_samples_ms) of the load check of
            M(mcpmesh.platform.mcp_verify)), drawn as the page's latency picture. They are not judged; the verdicts come
            from O(measurements[].p50_ms) and O(measurements[].p99_ms).
        type: list
        elements: float
      source:
        description: Where the figures come from, shown under the workload's name (for example V(linkerd viz stat --from deploy/hostgroup)).
        type: str
  dest: {description: The folder the files are written to; created when missing., type: path, required: true}
  title: {description: The report's heading., type: str, default: Key Metrics}
  gate:
    description:
      - When the module fails. V(critical) fails when any verdict is critical. V(warning) fails on a warning too, so
        only an all-good report passes. V(none) never fails on a verdict.
      - The files are written before it fails, so the page shows why.
    type: str
    choices: [critical, warning, none]
    default: critical
"""

EXAMPLES = r"""
- name: Judge the figures the verification took and write the report.
  mcpmesh.platform.slo_report:
    dest: "{{ mcpmesh_artifacts_dir }}/report"
    measurements:
      - workload: petstore
        success_rate: "{{ backend_stats.stats[0].success }}"
        p50_ms: "{{ backend_stats.stats[0].latency_ms_p50 }}"
        p99_ms: "{{ backend_stats.stats[0].latency_ms_p99 }}"
        meshed_ratio: "{{ petstore_mesh.share.ratio }}"
        latency_samples_ms: "{{ mcp_load.load.latency_samples_ms }}"
        source: linkerd viz stat --from the HostGroup; latency picture from mcp_verify's load check
    gate: critical
  register: key_metrics

- name: Show the table.
  ansible.builtin.debug:
    msg: "{{ key_metrics.table }}"
"""

RETURN = r"""
verdicts:
  description: Per workload, the verdict of each metric and the worst of them.
  returned: always
  type: dict
  sample: {petstore: {success_rate: good, p50_ms: warning, p99_ms: good, meshed_ratio: good, worst: warning}}
worst: {description: The worst verdict of all workloads., returned: always, type: str, sample: warning}
table:
  description: The table as Markdown, one row per workload, each cell the figure and its verdict.
  returned: always
  type: str
  sample: "| workload | Success rate | P50 latency | P99 latency | Meshed % | worst |\n|---|---|---|---|---|---|\n..."
files: {description: "The paths of the three files (written, or in check mode to be written).", returned: always, type: dict,
  contains: {
    json: {description: C(slo.json)., type: str},
    markdown: {description: C(slo.md)., type: str},
    html: {description: "C(index.html), the page to look at.", type: str}},
  sample: {json: /work/.mcpmesh/mcpmesh/report/slo.json,
    markdown: /work/.mcpmesh/mcpmesh/report/slo.md,
    html: /work/.mcpmesh/mcpmesh/report/index.html}}
changed_files:
  description: The names of the files that were written (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [index.html, slo.json, slo.md]
report:
  description: What C(slo.json) holds, every figure with its verdict and the reason for it.
  returned: always
  type: dict
problems:
  description: The figures that fail the O(gate), one line each.
  returned: always
  type: list
  elements: str
  sample: ["petstore p99_ms is critical (1200 ms: critical is > 1000 ms)"]
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mcpmesh.platform.plugins.module_utils import _slo, _slo_report
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import new_module, options_of

FILES = (("json", "slo.json"), ("markdown", "slo.md"), ("html", "index.html"))


def current(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return None  # unreadable or not ours: it is rewritten


def write(path: str, content: str) -> None:
    """Write atomically: a reader never sees half a page."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".slo-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main() -> None:
    measurement = dict(
        workload=dict(type="str", required=True),
        **options_of("float", "success_rate", "p50_ms", "p99_ms", "meshed_ratio"),
        latency_samples_ms=dict(type="list", elements="float"),
        source=dict(type="str"),
    )
    module = new_module(AnsibleModule, dict(
        measurements=dict(type="list", elements="dict", required=True, options=measurement),
        dest=dict(type="path", required=True),
        title=dict(type="str", default="Key Metrics"),
        gate=dict(type="str", choices=["critical", "warning", "none"], default="critical"),
    ))
    params = module.params
    try:
        report = _slo_report.build(params["measurements"], params["title"])
    except ValueError as exc:
        module.fail_json(msg=f"Cannot judge the measurements: {exc}. Ratios are 0..1 and latencies milliseconds.")
    contents = _slo_report.render_all(report)
    dest = params["dest"]
    files = {key: os.path.join(dest, name) for key, name in FILES}
    changed_files = [name for key, name in FILES if current(files[key]) != contents[name]]

    if changed_files and not module.check_mode:
        try:
            os.makedirs(dest, exist_ok=True)
            for key, name in FILES:
                if name in changed_files:
                    write(files[key], contents[name])
        except OSError as exc:
            module.fail_json(msg=f"Cannot write the report into {dest}: {exc.strerror or exc}. Give a dest folder "
                                 "this user can write to.", files=files)

    problems = _slo.gate_failures(report["workloads"], params["gate"])
    result = dict(
        changed=bool(changed_files),
        verdicts=_slo_report.verdicts(report),
        worst=report["worst"],
        table=_slo_report.markdown_table(report),
        files=files,
        changed_files=sorted(changed_files),
        report=json.loads(contents["slo.json"]),
        problems=problems,
    )
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        where = "would be written to" if module.check_mode else "is"
        module.fail_json(msg=f"The Key Metrics fail the gate '{params['gate']}': {shown}. The report {where} "
                             f"{files['html']}. Fix what is named, or set gate to "
                             f"{'critical' if params['gate'] == 'warning' else 'none'} to accept it.", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
