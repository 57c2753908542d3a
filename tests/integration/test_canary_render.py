# SPDX-License-Identifier: GPL-3.0-or-later
"""The petstore role's canary release, render-only: the canary backend, the split route and its
promote and rollback renderings, and the canary's policy, validated against the real Gateway API
HTTPRoute CRD (v1.2.1, the bundle both Linkerd lines support, and v1.5.1) and the Linkerd CRDs of
both lines, and against the collection's own schemas. One playbook (the role's canary and policy
tasks with the canary on, as present.yml includes them, then promote, then rollback, then a canary
image that is not pinned) runs twice: the second run must change nothing.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from ansible_collections.mcpmesh.platform.plugins.module_utils import _schemas
from conftest import ROOT, run_playbook
from test_mesh_policy_render import check_against_ours, check_against_upstream, unknown_fields

pytestmark = pytest.mark.slow

UPSTREAM = Path(os.environ.get("MCPMESH_UPSTREAM_DIR") or ROOT.parent / "shared" / "upstream")
GATEWAY_BUNDLES = ("gateway-api-v1.2.1", "gateway-api-v1.5.1")
UNPINNED = "swaggerapi/petstore3:1.0.28"


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("canary")
    art = tmp / "art"
    role = "mcpmesh.platform.petstore"
    tasks = [
        {"name": "Render the canary.", "ansible.builtin.include_role": {"name": role, "tasks_from": "canary"}},
        {"name": "Render the policy with the canary.", "ansible.builtin.include_role": {"name": role, "tasks_from": "policy"}},
        {"name": "Render promote.", "ansible.builtin.include_role": {"name": role, "tasks_from": "promote"}},
        {"name": "Render rollback.", "ansible.builtin.include_role": {"name": role, "tasks_from": "rollback"}},
        {"name": "An unpinned canary image.", "block": [
            {"name": "Render rollback with an unpinned canary image.",
             "ansible.builtin.include_role": {"name": role, "tasks_from": "rollback"},
             "vars": {"petstore_canary_backend_image": UNPINNED, "petstore_artifacts_dir": str(tmp / "unpinned")}}],
         "rescue": [{"name": "Keep the message.", "ansible.builtin.copy": {
             "content": "{{ ansible_failed_result.msg }}", "dest": str(tmp / "unpinned.txt"), "mode": "0600"}}]},
    ]
    playbook = tmp / "pb.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    extra = {"mcpmesh_apply": False, "mcpmesh_artifacts_dir": str(art), "petstore_canary_enabled": True}
    first = run_playbook(playbook, extra_vars=extra)
    assert first.rc == 0, first
    unpinned_first = (tmp / "unpinned.txt").read_text()
    second = run_playbook(playbook, extra_vars=extra)
    assert second.rc == 0, second
    return {"dir": art / "petstore", "first": first, "second": second, "unpinned": unpinned_first,
            "unpinned_dir": tmp / "unpinned"}


def route_schema(bundle: str) -> dict:
    crd = yaml.safe_load((UPSTREAM / bundle / "gateway.networking.k8s.io_httproutes.yaml").read_text())
    for entry in crd["spec"]["versions"]:
        if entry["name"] == "v1":
            assert entry["served"] and entry["storage"], f"{bundle} does not serve and store HTTPRoute v1"
            return entry["schema"]["openAPIV3Schema"]
    raise AssertionError(f"{bundle} has no HTTPRoute v1")


def routes(rendered) -> dict[str, dict]:
    out = {}
    for name in ("canary-route.yml", "canary-route-promote.yml", "canary-route-rollback.yml"):
        (route,) = docs(rendered["dir"] / name)
        out[name] = route
    return out


def test_the_second_run_changes_nothing(rendered):
    assert rendered["first"].localhost["changed"] > 0
    assert rendered["second"].localhost["changed"] == 0, rendered["second"]


def test_the_routes_split_by_the_weights(rendered):
    weights = {name: [(b["name"], b["weight"]) for b in r["spec"]["rules"][0]["backendRefs"]]
               for name, r in routes(rendered).items()}
    assert weights == {
        "canary-route.yml": [("petstore", 90), ("petstore-canary", 10)],
        "canary-route-promote.yml": [("petstore", 0), ("petstore-canary", 100)],
        "canary-route-rollback.yml": [("petstore", 100), ("petstore-canary", 0)],
    }


def test_the_parent_is_written_as_a_core_service(rendered):
    for route in routes(rendered).values():
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        assert route["spec"]["parentRefs"] == [{"group": "core", "kind": "Service", "name": "petstore", "port": 8080}]
        # No matches: the rule takes every path (the Service loses Linkerd's default route to it).
        assert "matches" not in route["spec"]["rules"][0]


def test_the_routes_validate_against_the_real_gateway_api_crds(rendered):
    if not all((UPSTREAM / b).is_dir() for b in GATEWAY_BUNDLES):
        pytest.skip(f"the upstream Gateway API CRDs are not in {UPSTREAM}; set MCPMESH_UPSTREAM_DIR to the folder "
                    f"holding {' and '.join(GATEWAY_BUNDLES)}")
    for bundle in GATEWAY_BUNDLES:
        schema = route_schema(bundle)
        for name, route in routes(rendered).items():
            errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft7Validator(schema).iter_errors(route)]
            assert not errors, (bundle, name, errors)
            assert not unknown_fields(schema["properties"]["spec"], route["spec"], "spec"), (bundle, name)
            # The CRD's CEL rule (not checked by JSON Schema): a Service backend in the core group needs a port.
            backend_schema = schema["properties"]["spec"]["properties"]["rules"]["items"]["properties"]["backendRefs"]["items"]
            assert any("Must have port for Service reference" == r["message"]
                       for r in backend_schema.get("x-kubernetes-validations", [])), bundle
            for backend in route["spec"]["rules"][0]["backendRefs"]:
                assert backend.get("group", "") == "" and backend["kind"] == "Service" and "port" in backend


def test_the_routes_validate_against_our_schema_and_it_refuses_what_linkerd_ignores(rendered):
    schema = _schemas.CUSTOM_RESOURCES[("gateway.networking.k8s.io/v1", "HTTPRoute")]
    for name, route in routes(rendered).items():
        assert not list(Draft7Validator(schema).iter_errors(route)), name
    route = routes(rendered)["canary-route.yml"]
    bad_parent = json.loads(json.dumps(route))
    del bad_parent["spec"]["parentRefs"][0]["group"]  # the CRD would default it to a Gateway
    no_port = json.loads(json.dumps(route))
    del no_port["spec"]["rules"][0]["backendRefs"][1]["port"]
    all_zero = json.loads(json.dumps(route))
    for backend in all_zero["spec"]["rules"][0]["backendRefs"]:
        backend["weight"] = 0
    for broken in (bad_parent, no_port, all_zero):
        assert list(Draft7Validator(schema).iter_errors(broken))


def test_the_canary_is_the_stable_backend_with_its_own_name_and_image(rendered):
    # promoted-backend.yml is the stable Deployment (backend.yml.j2) but for its image.
    (stable_deploy,) = docs(rendered["dir"] / "promoted-backend.yml")
    canary = {d["kind"]: d for d in docs(rendered["dir"] / "canary.yml")}
    assert set(canary) == {"Deployment", "Service"}
    deploy = canary["Deployment"]
    assert deploy["metadata"]["name"] == "petstore-canary"
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("swaggerapi/petstore3:") and "@sha256:" in container["image"]
    stable_container = stable_deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"] == stable_container["readinessProbe"]
    assert container["resources"] == stable_container["resources"]
    pod_labels = deploy["spec"]["template"]["metadata"]["labels"]
    # The stable Service must not select the canary's pods (else the split would leak), its own must.
    # The stable Service selects what the stable Deployment selects (backend.yml.j2: app=<name>).
    stable_selector = stable_deploy["spec"]["selector"]["matchLabels"]
    assert not all(pod_labels.get(k) == v for k, v in stable_selector.items())
    assert all(pod_labels.get(k) == v for k, v in canary["Service"]["spec"]["selector"].items())
    assert canary["Service"]["spec"]["ports"][0]["port"] == 8080


def test_promote_runs_the_canary_image_in_the_stable_deployment(rendered):
    (deploy,) = docs(rendered["dir"] / "promoted-backend.yml")
    (canary,) = [d for d in docs(rendered["dir"] / "canary.yml") if d["kind"] == "Deployment"]
    assert deploy["metadata"]["name"] == "petstore"
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "petstore"}}
    assert (deploy["spec"]["template"]["spec"]["containers"][0]["image"]
            == canary["spec"]["template"]["spec"]["containers"][0]["image"])


def test_the_canary_gets_the_same_allows_as_the_stable_backend(rendered):
    policy = docs(rendered["dir"] / "policy" / "policy.yml")
    by_key = {(d["kind"], d["metadata"]["name"]): d for d in policy}
    server = by_key[("Server", "petstore-canary")]
    assert server["spec"]["podSelector"] == {"matchLabels": {"app": "petstore-canary"}}
    assert server["spec"]["port"] == by_key[("Server", "petstore")]["spec"]["port"]
    assert (by_key[("MeshTLSAuthentication", "petstore-canary-identities")]["spec"]
            == by_key[("MeshTLSAuthentication", "petstore-identities")]["spec"])
    authz = by_key[("AuthorizationPolicy", "petstore-canary-identities")]
    assert authz["spec"]["targetRef"] == {"group": "policy.linkerd.io", "kind": "Server", "name": "petstore-canary"}
    services = {d["metadata"]["name"]: d for d in docs(rendered["dir"] / "policy" / "services.yml")}
    assert services["petstore-canary"]["metadata"]["annotations"] == services["petstore"]["metadata"]["annotations"]
    check_against_ours(policy)
    assert check_against_upstream([d for d in policy if "petstore-canary" in d["metadata"]["name"]]) >= 6


def test_a_canary_image_not_pinned_by_digest_is_refused(rendered):
    assert "petstore_canary_backend_image must be pinned by digest" in rendered["unpinned"]
    assert UNPINNED in rendered["unpinned"]
    assert not rendered["unpinned_dir"].exists()
