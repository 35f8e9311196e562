# Two commands on a fresh machine with only Python 3.11:
#   make serve   install into .venv, build index and site, serve them on 127.0.0.1:8000
#   make test    install into .venv (and Debian chromium for browser tests), run the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1

.PHONY: install serve test test-fast lint browser bench schema audit clean

install: $(STAMP)

# torch first and pinned: the CPU wheel lies on this machine's disk; a plain `torch`
# would pull a CUDA build of several GB. Re-runs reuse .venv until pyproject changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[build,test]'
	touch $(STAMP)

serve: install
	$(BIN)/kb serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# Debian's chromium for the browser tests (no browser download works here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

test: install browser
	$(BIN)/python -m pytest

# The quick loop while changing code: no real servers, index builds or browser.
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: install
	$(BIN)/ruff check kb tests bench
	$(BIN)/ruff format --check kb tests bench
	$(BIN)/mypy

bench: install
	@command -v wrk >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi; }
	$(BIN)/python bench/run_all.py

schema: install
	$(BIN)/kb schema --out schema

# Known vulnerabilities (pip-audit, PyPI's advisory data) in every package installed in
# .venv: kb's runtime, build and test dependencies, at the versions installed (local
# labels such as torch's +cpu dropped: the same release). --strict fails rather than
# pass a package it could not check. It needs PyPI's per-release JSON API; see
# SECURITY.md, "Dependencies", for why CI does not run it. A finding that cannot be fixed
# yet goes in SECURITY.md and here, as --ignore-vuln ID, each with its reason (none now).
AUDIT_IGNORE :=
audit: install
	$(BIN)/python -m pip freeze --all --exclude-editable | sed 's/+[^ ]*$$//' > $(VENV)/audit-requirements.txt
	$(BIN)/pip-audit --strict --progress-spinner off --disable-pip --no-deps -r $(VENV)/audit-requirements.txt $(AUDIT_IGNORE)

clean:
	rm -rf .kb site tests/artifacts
