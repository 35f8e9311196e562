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

.PHONY: install serve test browser bench schema clean

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

bench: install
	@command -v wrk >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi; }
	$(BIN)/python bench/run_all.py

schema: install
	$(BIN)/kb schema --out schema

clean:
	rm -rf .kb site tests/artifacts
