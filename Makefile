# mcpmesh.platform: the two commands users need, plus the pieces they are made of.
#
#   make site    set up, then run site.yml: the whole stack on a local kind cluster
#   make test    set up, then run every test (what .ci/run calls)
#
# Extra arguments for ansible-playbook go in ARGS, for example
#   make site ARGS='-e mcpmesh_apply=false'

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=
# site.yml installs the CLIs a run needs that are missing or too old (the tools role, pinned versions
# and SHA-256) into .mcpmesh/bin, and every playbook puts that folder first on PATH. ARGS can turn it
# off: ARGS='-e mcpmesh_install_tools=false'.
TOOLS  ?= -e mcpmesh_install_tools=true
# pytest workers for `make test` (pytest-xdist); each test file runs on one worker, so its
# module-scoped fixtures (one render shared by many checks) run once.
JOBS   ?= auto

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup setup-test site verify teardown test test-unit lint sanity molecule benchmark clean

help:
	@sed -n '1,9p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.site-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.site-installed

.collections/.installed: galaxy.yml tools/fetch_collections.py | $(VENV)/.site-installed
	$(BIN)/python tools/fetch_collections.py .collections
	touch $@

tests/peers/ts/node_modules/.package-lock.json: tests/peers/ts/package.json tests/peers/ts/package-lock.json
	npm ci --prefix tests/peers/ts --no-audit --no-fund --loglevel=error

setup: $(VENV)/.site-installed .collections/.installed

setup-test: $(VENV)/.test-installed .collections/.installed tests/peers/ts/node_modules/.package-lock.json

site: setup
	$(BIN)/ansible-playbook site.yml $(TOOLS) $(ARGS)

verify: setup
	$(BIN)/ansible-playbook playbooks/verify.yml $(TOOLS) $(ARGS)

teardown: setup
	$(BIN)/ansible-playbook playbooks/teardown.yml $(TOOLS) $(ARGS)

# Every test: pytest runs the units, the modules against real MCP peers, the
# render-only playbooks, ansible-lint, ansible-test sanity and the molecule
# scenarios (see tests/README.md). pytest's exit code 5 ("no tests collected")
# is turned into a failure on purpose.
test: setup-test
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder --durations=25 $(ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; exit 1; fi; \
	exit $$rc

test-unit: setup-test
	$(BIN)/python -m pytest tests/unit $(ARGS)

lint: setup-test
	$(BIN)/python -m pytest tests/integration/test_lint.py $(ARGS)

sanity: setup-test
	$(BIN)/python -m pytest tests/integration/test_sanity.py $(ARGS)

molecule: setup-test
	$(BIN)/python -m pytest tests/integration/test_molecule.py $(ARGS)

benchmark: setup-test
	$(BIN)/python benchmarks/render_site.py
	$(BIN)/python benchmarks/mcp_verify.py

clean:
	rm -rf $(VENV) .collections tests/output .pytest_cache tests/peers/ts/node_modules .mcpmesh
