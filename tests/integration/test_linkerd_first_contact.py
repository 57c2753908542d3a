# SPDX-License-Identifier: GPL-3.0-or-later
"""What a first run against a real cluster needs from the linkerd role, the preflight floor, the
plays and the kind e2e workflow (issue 13, items 3, 4, 5, 8, 10 and 11).

* linkerd_trust_domain reaches both charts as identityTrustDomain, a key of the real chart values.
* The Gateway API pin is chosen per distribution and kept inside what its Linkerd line supports; a
  supplied manifest is checked against the real upstream CRDs of that bundle.
* The webhook certificates are made once and then reused, so that the charts render the same
  objects every run (helm diff), and every render of the values files is the same.
* preflight requires the kind release the pinned node image is built for.
* ``-i localhost,`` runs the plays on the controller with its own Python.
* The kind e2e workflow pins its CLIs, installs the CLI of the distribution, gives the licences only
  to the step that needs them and keeps Docker Hub pulls off anonymous access where it can.
"""
from __future__ import annotations

import datetime
import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import BIN, ROOT, run_playbook

pytestmark = pytest.mark.slow


def _upstream_root() -> Path:
    """ROOT.parent / "shared" / "upstream"; from a git worktree, the main checkout's parent's."""
    import subprocess

    candidates = [ROOT.parent / "shared" / "upstream"]
    common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    if common:
        candidates.append(Path(common).parent.parent / "shared" / "upstream")
    return next((c for c in candidates if c.exists()), candidates[0])


UPSTREAM = _upstream_root()
FIXTURES = ROOT / "tests" / "fixtures"
LICENCE = "fake-buoyant-licence-51c0ffee"
# The Linkerd release each distribution's charts are built on (Buoyant Enterprise 2.19 = edge-25.10.7).
UPSTREAM_LINE = {"edge": "linkerd-edge-26.8.3", "enterprise": "linkerd-edge-25.10.7"}


def upstream(*parts: str) -> Path:
    path = UPSTREAM.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the upstream copies are not beside the checkout ({path} is missing)")
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def role_playbook(tmp_path: Path, tasks_from: str | None = None, after: list | None = None) -> Path:
    include = {"name": "mcpmesh.platform.linkerd"}
    if tasks_from:
        include["tasks_from"] = tasks_from
    tasks = [{"name": "Run the linkerd role.", "ansible.builtin.include_role": include}] + (after or [])
    path = tmp_path / "pb.yml"
    path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    return path


def render(tmp_path: Path, distribution: str, **extra):
    extra_vars = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(tmp_path / "art"),
                  "linkerd_distribution": distribution, **extra}
    return run_playbook(role_playbook(tmp_path), extra_vars=extra_vars, env={"BUOYANT_LICENSE": LICENCE})


def values(tmp_path: Path, name: str) -> dict:
    return yaml.safe_load((tmp_path / "art" / "linkerd" / name).read_text())


def chart_keys(line: str, name: str) -> tuple[dict, str]:
    path = upstream(line, name)
    text = path.read_text()
    return yaml.safe_load(text), text


# ---------------------------------------------------------------- item 3: the trust domain


@pytest.fixture(scope="module", params=["edge", "enterprise"])
def rendered(request, tmp_path_factory):
    """One render-only run per distribution with a trust domain of its own, shared by the checks of
    items 3 and 4 that only read what it rendered and printed: (distribution, folder, result)."""
    where = tmp_path_factory.mktemp(f"render-{request.param}")
    return request.param, where, render(where, request.param, linkerd_trust_domain="mesh.example")


def test_trust_domain_reaches_both_charts(rendered):
    _distribution, tmp_path, res = rendered
    assert res.rc == 0, res
    assert values(tmp_path, "control-plane-values.yml")["identityTrustDomain"] == "mesh.example"
    assert values(tmp_path, "viz-values.yml")["identityTrustDomain"] == "mesh.example"


def test_every_rendered_key_is_a_key_of_the_real_charts(rendered):
    """identityTrustDomain and the rest are read by the charts of that Linkerd line (a key only in
    a comment of values.yaml, such as heartbeatSchedule, is one the templates read but leave unset)."""
    distribution, tmp_path, res = rendered
    assert res.rc == 0, res
    line = UPSTREAM_LINE[distribution]
    for rendered, upstream_name in (("control-plane-values.yml", "control-plane-values.yaml"),
                                    ("viz-values.yml", "viz-values.yaml")):
        chart, text = chart_keys(line, upstream_name)
        for key in values(tmp_path, rendered):
            if key == "licenseSecret" and distribution == "enterprise":
                continue  # Buoyant's chart only; its source is not public
            assert key in chart or re.search(rf"^#\s*{key}:", text, re.M), f"{key} is not a {upstream_name} key of {line}"
    assert "identityTrustDomain" in chart_keys(line, "control-plane-values.yaml")[0]


def test_webhook_values_are_keys_of_the_real_charts():
    webhooks = yaml.safe_load((ROOT / "roles/linkerd/vars/main.yml").read_text())["__linkerd_webhooks"]
    for line in UPSTREAM_LINE.values():
        for chart_name, file_name in (("control_plane", "control-plane-values.yaml"), ("viz", "viz-values.yaml")):
            chart = chart_keys(line, file_name)[0]
            for hook in webhooks[chart_name]:
                assert {"externalSecret", "caBundle", "crtPEM", "keyPEM"} <= set(chart[hook["value"]]), (line, hook)
                assert chart[hook["value"]]["externalSecret"] is False


def test_renders_are_the_same_every_time(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for where in (first, second):
        assert render(where, "edge").rc == 0
    for name in ("control-plane-values.yml", "viz-values.yml", "crds-values.yml"):
        assert (first / "art/linkerd" / name).read_text() == (second / "art/linkerd" / name).read_text(), name
    minute, hour, *rest = values(first, "control-plane-values.yml")["heartbeatSchedule"].split()
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24 and rest == ["*", "*", "*"]


# ---------------------------------------------------------------- item 4: the Gateway API pin


def bundle(tmp_path: Path, version: str, drop: str | None = None) -> Path:
    """A standard-install.yaml made of the upstream CRDs of that release (what it holds)."""
    docs = [p.read_text() for p in sorted(upstream(f"gateway-api-{version}").glob("*.yaml"))
            if not (drop and drop in p.name)]
    path = tmp_path / f"standard-install-{version}.yaml"
    path.write_text("\n---\n".join(docs))
    return path


def test_the_pin_is_v1_2_1_for_both_and_served_as_linkerd_reads_it(rendered):
    _distribution, _where, res = rendered
    assert res.rc == 0, res
    assert "after the Gateway API CRDs v1.2.1" in flat(res.stdout), res
    for kind in ("httproutes", "grpcroutes"):
        crd = yaml.safe_load(upstream("gateway-api-v1.2.1", f"gateway.networking.k8s.io_{kind}.yaml").read_text())
        assert {"name": "v1", "served": True} in [{"name": v["name"], "served": v["served"]} for v in crd["spec"]["versions"]]


def test_a_pin_outside_the_line_s_range_is_refused(tmp_path):
    res = render(tmp_path, "enterprise", linkerd_gateway_api_version="v1.5.1")
    assert res.rc == 2, res
    assert ("linkerd_gateway_api_version=v1.5.1 is outside what Linkerd 2.19 (Buoyant Enterprise for Linkerd) "
            "supports: v1.1.1 to v1.2.1") in flat(res.stdout), res


def test_the_supplied_bundle_is_validated_like_the_download(tmp_path):
    res = render(tmp_path, "edge", linkerd_gateway_api_src=str(bundle(tmp_path, "v1.2.1")))
    assert res.rc == 0, res
    assert "Check that every CRD in it is of the pinned bundle version" in res.stdout, res


def test_edge_takes_v1_5_1_within_its_range(tmp_path):
    res = render(tmp_path, "edge", linkerd_gateway_api_version="v1.5.1",
                 linkerd_gateway_api_src=str(bundle(tmp_path, "v1.5.1")))
    assert res.rc == 0, res


def test_a_bundle_of_another_version_is_refused(tmp_path):
    res = render(tmp_path, "edge", linkerd_gateway_api_src=str(bundle(tmp_path, "v1.5.1")))
    assert res.rc == 2, res
    assert "is of Gateway API bundle v1.5.1, not linkerd_gateway_api_version=v1.2.1" in flat(res.stdout), res


def test_a_bundle_without_a_crd_linkerd_needs_is_refused(tmp_path):
    res = render(tmp_path, "edge", linkerd_gateway_api_src=str(bundle(tmp_path, "v1.2.1", drop="grpcroutes")))
    assert res.rc == 2, res
    assert "lacks grpcroutes.gateway.networking.k8s.io" in flat(res.stdout), res


def test_the_apply_is_a_real_server_side_apply():
    tasks = yaml.safe_load((ROOT / "roles/linkerd/tasks/gateway_api.yml").read_text())
    applies = [t["kubernetes.core.k8s"] for t in tasks if "kubernetes.core.k8s" in t]
    assert applies and all(a.get("apply") is True and a["server_side_apply"]["field_manager"] for a in applies)
    assert all(a["server_side_apply"]["force_conflicts"] is False for a in applies)


# ---------------------------------------------------------------- item 5: webhook certificates

NOW = datetime.datetime.now(datetime.timezone.utc)
WEBHOOKS = {"linkerd-proxy-injector-k8s-tls": "linkerd-proxy-injector.linkerd.svc",
            "linkerd-sp-validator-k8s-tls": "linkerd-sp-validator.linkerd.svc",
            "linkerd-policy-validator-k8s-tls": "linkerd-policy-validator.linkerd.svc"}


def self_signed(host: str, days_left: int) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=300))
            .not_valid_after(NOW + datetime.timedelta(days=days_left))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def found(secrets: dict[str, tuple[str, str]]) -> dict:
    """What k8s_info registers for each webhook Secret (no resources when it is missing)."""
    import base64

    results = []
    for secret, host in WEBHOOKS.items():
        item = {"secret": secret, "service": host.split(".", maxsplit=1)[0]}
        resources = []
        if secret in secrets:
            crt, key = secrets[secret]
            resources = [{"metadata": {"name": secret, "namespace": "linkerd"}, "type": "kubernetes.io/tls",
                          "data": {"tls.crt": base64.b64encode(crt.encode()).decode(),
                                   "tls.key": base64.b64encode(key.encode()).decode()}}]
        results.append({"item": item, "resources": resources, "changed": False, "failed": False})
    return {"results": results, "changed": False}


def webhook_pems(tmp_path: Path, secrets: dict[str, tuple[str, str]]):
    out = tmp_path / "pems.json"
    keep = {"name": "Keep what the tasks decided.", "check_mode": False,
            "ansible.builtin.copy": {"dest": str(out), "mode": "0600",
                                     "content": "{{ {'pems': __linkerd_webhook_pems, "
                                                "'values': __linkerd_webhook_chart_values} | to_json }}"}}
    extra = {"__linkerd_webhook_chart": "control_plane", "__linkerd_webhook_namespace": "linkerd",
             "__linkerd_webhook_found": found(secrets), "mcpmesh_apply": False}
    res = run_playbook(role_playbook(tmp_path, "webhook_pems", [keep]), extra_vars=extra)
    assert res.rc == 0, res
    for _crt, key in secrets.values():
        assert key.splitlines()[1] not in res.stdout + res.stderr
    return json.loads(out.read_text()), res


def test_webhook_certificates_are_made_once_then_kept(tmp_path):
    made, res = webhook_pems(tmp_path, {})
    assert "PRIVATE KEY" not in res.stdout + res.stderr
    assert set(made["pems"]) == set(WEBHOOKS)
    for secret, host in WEBHOOKS.items():
        cert = x509.load_pem_x509_certificate(made["pems"][secret]["crt"].encode())
        key = serialization.load_pem_private_key(made["pems"][secret]["key"].encode(), None)
        assert cert.public_key().public_numbers() == key.public_key().public_numbers()
        assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName) == [host]
        assert cert.not_valid_after_utc - NOW > datetime.timedelta(days=360)
    assert made["values"] == {hook: {"externalSecret": True, "caBundle": made["pems"][secret]["crt"]}
                              for hook, secret in zip(("proxyInjector", "profileValidator", "policyValidator"), WEBHOOKS)}

    again = webhook_pems(tmp_path, {s: (p["crt"], p["key"]) for s, p in made["pems"].items()})[0]
    assert again == made, "a second run must pass the same certificates (the same render for helm diff)"


def test_due_or_misnamed_webhook_certificates_are_replaced(tmp_path):
    injector, sp, policy = WEBHOOKS
    current = {injector: self_signed(WEBHOOKS[injector], days_left=200),
               sp: self_signed(WEBHOOKS[sp], days_left=10),                      # inside the renewal window
               policy: self_signed("linkerd-policy-validator.other.svc", 200)}   # not its service's name
    result = webhook_pems(tmp_path, current)[0]
    assert result["pems"][injector] == {"crt": current[injector][0], "key": current[injector][1]}
    for secret in (sp, policy):
        assert result["pems"][secret]["crt"] != current[secret][0]
        cert = x509.load_pem_x509_certificate(result["pems"][secret]["crt"].encode())
        assert cert.subject.rfc4514_string() == f"CN={WEBHOOKS[secret]}"


# ---------------------------------------------------------------- item 8: the kind version floor


def stand_ins(bin_dir: Path, answers: dict[str, dict[str, tuple[Path | None, int]]]) -> None:
    """One shell script per CLI; each answers "<arg1> <arg2>" with (file on stdout, rc)."""
    for name, cases in answers.items():
        body = ["#!/bin/sh", 'case "$1 $2" in']
        for args, (path, rc) in cases.items():
            body.append(f'  "{args}"*) {"cat " + repr(str(path)) + "; " if path else ""}exit {rc} ;;')
        body += ['  *) echo "unexpected: $*" >&2; exit 99 ;;', "esac", ""]
        script = bin_dir / name
        script.write_text("\n".join(body))
        script.chmod(0o755)


@pytest.mark.parametrize("kind_version, ok", [("first_contact/kind-version-0.31.stdout", False),
                                              ("preflight/kind-version.stdout", True)])
def test_preflight_requires_the_kind_the_node_image_is_built_for(tmp_path, bin_dir, kind_version, ok):
    none = tmp_path / "none"
    none.write_text("")
    stand_ins(bin_dir, {
        "kind": {"version ": (FIXTURES / kind_version, 0), "get clusters": (none, 0)},
        "kubectl": {"version --client": (FIXTURES / "preflight/kubectl-version-client.json", 0)},
        "docker": {"info --format": (None, 0)},
    })
    playbook = tmp_path / "pb.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Run preflight.
              ansible.builtin.include_role:
                name: mcpmesh.platform.preflight
        """))
    res = run_playbook(playbook, extra_vars={"preflight_components": ["kind"], "preflight_host_ports": []},
                       env={"PATH": f"{bin_dir}:{BIN}:/bin"})
    text = flat(res.stdout)
    if ok:
        assert res.rc == 0, res
    else:
        assert res.rc == 2, res
        assert f"kind 0.31.0 at {bin_dir}/kind is older than 0.32.0" in text, res


# ---------------------------------------------------------------- item 10: -i localhost,


# site.yml with ``-i localhost,``: tests/integration/test_render_playbooks.py renders the stack that way
# (test_an_explicit_localhost_inventory_runs_on_the_controller), so it is one render, not two.


# ---------------------------------------------------------------- item 11: the e2e workflow

WORKFLOW = ROOT / ".github" / "workflows" / "kind-e2e.yml"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["site-cluster"]["steps"]


def test_every_download_is_checked_and_no_sha256_file_is_fetched(workflow):
    env = workflow["jobs"]["site-cluster"]["env"]
    assert SHA256.match(env["KIND_SHA256"]) and SHA256.match(env["HELM_SHA256"])
    checked = 0
    for step in steps(workflow):
        script = step.get("run", "")
        assert ".sha256\"" not in script and ".sha256 " not in script, step["name"]
        calls = re.sub(r"^.*\(\) \{.*$", "", script.replace("\\\n", " "), flags=re.M)  # not fetch()'s definition
        downloads = len(re.findall(r"\bfetch \w|curl [^\n]*-o ", calls))
        assert downloads <= script.count("sha256sum --check --strict"), step["name"]
        checked += downloads
    assert checked == 3, "kind, helm and the linkerd CLI are each downloaded and checked"
    for name in ("LINKERD_EDGE_SHA256", "LINKERD_ENTERPRISE_SHA256"):
        # A pin, or empty while GitHub's immutable asset digest stands in (and the run prints it).
        assert env[name] == "" or SHA256.match(env[name]), name
    cli = next(s for s in steps(workflow) if "linkerd CLI" in s["name"])["run"]
    assert ".digest" in cli and "releases/tags/" in cli and "pin it" in cli


def test_the_cli_follows_the_distribution(workflow):
    env = workflow["jobs"]["site-cluster"]["env"]
    assert env["LINKERD_EDGE_VERSION"] == "edge-26.8.3"
    defaults = yaml.safe_load((ROOT / "roles/linkerd/defaults/main.yml").read_text())
    assert env["LINKERD_ENTERPRISE_VERSION"] == "enterprise-" + defaults["linkerd_enterprise_chart_version"]
    cli = next(s for s in steps(workflow) if "linkerd CLI" in s["name"])["run"]
    assert 'if [ "$LINKERD_DISTRIBUTION" = "enterprise" ]' in cli
    assert "repo=BuoyantIO/linkerd-buoyant" in cli and "repo=linkerd/linkerd2" in cli


def test_licences_reach_only_the_step_that_runs_the_stack(workflow):
    job = workflow["jobs"]["site-cluster"]
    assert "secrets." not in json.dumps(job.get("env", {}))
    holders = []
    for step in steps(workflow):
        for value in (step.get("env") or {}).values():
            text = str(value)
            for secret in ("COSMONIC_LICENSE_KEY", "BUOYANT_LICENSE"):
                if f"secrets.{secret}" in text and f"secrets.{secret} != ''" not in text:
                    holders.append((step["name"], secret))
    assert sorted(holders) == [("Run the site-cluster scenario (keep the cluster on failure for the dump)", s)
                               for s in ("BUOYANT_LICENSE", "COSMONIC_LICENSE_KEY")]


def test_docker_hub_is_not_pulled_anonymously_where_it_can_be_avoided(workflow):
    env = workflow["jobs"]["site-cluster"]["env"]
    kind_defaults = yaml.safe_load((ROOT / "roles/kind/defaults/main.yml").read_text())
    assert env["KIND_NODE_IMAGE"] == kind_defaults["kind_node_image"]
    assert env["DOCKERHUB_MIRROR"] == "${{ vars.DOCKERHUB_MIRROR }}"
    names = [s["name"] for s in steps(workflow)]
    pull = next(i for i, n in enumerate(names) if n.startswith("Pull the kind node image"))
    run = names.index("Run the site-cluster scenario (keep the cluster on failure for the dump)")
    assert pull < run
    script = steps(workflow)[pull]["run"]
    assert 'docker pull --quiet "$KIND_NODE_IMAGE"' in script and "registry-mirrors" in script
    assert "petstore_backend_image=${DOCKERHUB_MIRROR}/" in steps(workflow)[run]["run"]


# ---------------------------------------------------------------- item 9: a cluster newer than the schemas


def test_a_kubernetes_version_newer_than_the_bundled_schemas_renders_with_a_warning(tmp_path):
    """A newer node image (1.38, say) sets mcpmesh_kubernetes_version past kubernetes-validate's
    newest schemas: the role still validates, against the newest ones, and says so."""
    res = render(tmp_path, "edge", mcpmesh_kubernetes_version="1.38")
    assert res.rc == 0, res
    text = flat(res.stdout + res.stderr)
    assert "Module failed" not in text, res
    assert "bundles schemas up to Kubernetes" in text and "1.38" in text, res
