#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: grafana_check
short_description: Check that Grafana answers and that its data source returns series
version_added: 0.1.0
description:
  - Asks Grafana's health endpoint (C(GET /api/health)) whether it runs and reaches its database, then sends the
    O(queries) as instant PromQL queries through the data source O(datasource_uid) (C(POST /api/ds/query)) and counts
    the series each one returns.
  - Fails, saying what was answered and what to do, when Grafana does not answer, is not healthy, a query fails, or a
    query returns fewer series than its O(queries[].min_series); with O(fail_on_problems=false) it reports the same in
    RV(problems) instead.
  - Changes nothing. Each query's first series value is returned, so the figures can feed a report.
extends_documentation_fragment: [mcpmesh.platform._attributes, mcpmesh.platform._attributes.READ_ONLY]
options:
  url:
    description: Grafana's base URL as seen from where the module runs, without a trailing C(/api) (for example V(http://127.0.0.1:3000)).
    type: str
    required: true
  datasource_uid:
    description: The uid of the data source the queries go through (the provisioned C(uid)).
    type: str
    default: prometheus
  queries: {description: "The PromQL queries, asked as instant queries. None gives a health check only.", type: list, elements: dict, default: [],
    suboptions: {
      name: {description: The query's name (its C(refId)); the key of its entry in RV(answers)., type: str, required: true},
      expr: {description: The PromQL expression., type: str, required: true},
      min_series: {description: The least number of series the query must return (V(0) only reports what it returns)., type: int, default: 1}}}
  time_range:
    description: How far back the queries look, as a Grafana relative range (the request's C(from) is C(now-<time_range>)).
    type: str
    default: 5m
  username: {description: A user for basic authentication; none asks anonymously., type: str}
  password: {description: The password of O(username)., type: str}
  validate_certs: {description: Check the server's TLS certificate for an C(https) URL., type: bool, default: true}
  timeout: {description: Seconds each HTTP request may take., type: int, default: 10}
  fail_on_problems:
    description: Fail when RV(problems) is not empty; V(false) only reports them.
    type: bool
    default: true
notes:
  - Grafana 13 lists C(/api) as legacy in favour of C(/apis); both endpoints used here remain served.
seealso:
  - name: Grafana HTTP API
    description: The health and data source query endpoints.
    link: https://grafana.com/docs/grafana/latest/developers/http_api/data_source/
"""

EXAMPLES = r"""
- name: Check Grafana and that Prometheus has Linkerd series of the petstore namespace.
  mcpmesh.platform.grafana_check:
    url: http://127.0.0.1:3000
    datasource_uid: prometheus
    queries:
      - name: petstore_series
        expr: sum by (deployment) (response_total{namespace="petstore"})
  register: grafana

- name: Show the number of series.
  ansible.builtin.debug:
    msg: "{{ grafana.answers.petstore_series.series }} series, Grafana {{ grafana.health.version }}"
"""

RETURN = r"""
health: {description: What C(/api/health) said., returned: always, type: dict,
  contains: {
    ok: {description: Grafana answered HTTP 200 with C(database) C(ok)., type: bool},
    version: {description: "Grafana's version, as it reports it.", type: str},
    database: {description: The state of Grafana's database (C(ok) when healthy)., type: str},
    commit: {description: The commit Grafana was built from., type: str}},
  sample: {ok: true, version: 13.2.0, database: ok, commit: 0a1b2c3}}
answers:
  description:
    - Per query name, the number of series returned, the first series' last value (null when none or NaN), up to ten
      label sets, and the error Grafana gave.
  returned: always
  type: dict
  sample: {petstore_series: {series: 2, value: 120.0, labels: [{deployment: petstore}], error: null}}
problems:
  description: What is wrong, one line each; empty when all is well.
  returned: always
  type: list
  elements: str
  sample: ["query petstore_series: 0 series, at least 1 expected (sum by (deployment) (response_total{namespace=\"petstore\"}))"]
"""

import http.client
import json
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError, open_url

from ansible_collections.mcpmesh.platform.plugins.module_utils import _grafana, _text
from ansible_collections.mcpmesh.platform.plugins.module_utils._cli import finish

BODY_LIMIT = 1024 * 1024  # bytes read of an answer


def request(module, method: str, url: str, body=None) -> tuple[int | None, str, str | None]:
    """``(status, body, error)``: an HTTP error still gives its status and body; no answer gives an error."""
    params = module.params
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        resp = open_url(url, data=data, headers=headers, method=method, timeout=params["timeout"],
                        validate_certs=params["validate_certs"], url_username=params["username"],
                        url_password=params["password"], force_basic_auth=bool(params["username"]))
        return resp.getcode(), resp.read(BODY_LIMIT).decode("utf-8", errors="replace"), None
    except HTTPError as exc:
        try:
            text = exc.read(BODY_LIMIT).decode("utf-8", errors="replace")
        except (OSError, ValueError, http.client.HTTPException):
            text = ""
        return exc.code, text, None
    except (URLError, OSError, ValueError, http.client.HTTPException, UrlsConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", _text.cut(_text.strip_control(str(reason), keep_newlines=False), 200)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            datasource_uid=dict(type="str", default="prometheus"),
            queries=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                expr=dict(type="str", required=True),
                min_series=dict(type="int", default=1),
            )),
            time_range=dict(type="str", default="5m"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="int", default=10),
            fail_on_problems=dict(type="bool", default=True),
        ),
        required_together=[("username", "password")],
        supports_check_mode=True,
    )
    params = module.params
    base = params["url"].strip().rstrip("/")
    shown = _text.cut(_text.strip_control(base, keep_newlines=False), 200)
    if not base.startswith(("http://", "https://")):
        module.fail_json(msg=f"url {shown!r} is not an http:// or https:// URL: give Grafana's base URL, "
                             "for example http://127.0.0.1:3000")
    if params["timeout"] < 1:
        module.fail_json(msg=f"timeout is {params['timeout']}: give 1 second or more")
    queries = params["queries"]
    try:
        body = _grafana.query_body(params["datasource_uid"], queries, params["time_range"]) if queries else None
    except _grafana.GrafanaRefused as exc:
        module.fail_json(msg=f"{exc}.")

    problems: list[str] = []
    status, text, error = request(module, "GET", f"{base}/api/health")
    if error is not None:
        judged = {"ok": False, "version": None, "database": None, "commit": None}
        problems.append(f"Grafana at {shown} did not answer /api/health ({error})")
    else:
        judged = _grafana.health(status, text)
        problem = judged.pop("problem")
        if problem:
            problems.append(f"Grafana at {shown}: {problem}")
    results: dict = {}
    if body is not None and error is None:
        status, text, error = request(module, "POST", f"{base}/api/ds/query", body)
        if error is not None:
            problems.append(f"Grafana at {shown} did not answer /api/ds/query ({error})")
            results = {q["name"]: {"series": 0, "value": None, "labels": [], "error": "no answer"} for q in queries}
        else:
            results, found = _grafana.query_results(status, text, queries)
            problems += found

    out = dict(changed=False, health=judged, answers=results, problems=problems)
    hint = ("Check that Grafana runs and is reachable at that URL (the observability role maps it to the host; "
            "kubectl -n <namespace> port-forward svc/<release> 3000:80 reaches it otherwise), that its data "
            f"source {params['datasource_uid']!r} points at a Prometheus that scrapes the Linkerd proxies, and that "
            "traffic ran in the last " + _text.cut(params["time_range"], 20) + ".")
    finish(module, out, problems, lambda: f"{'; '.join(problems)}. {hint}")


if __name__ == "__main__":
    main()
