# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JLPM := $(BIN)/jlpm

.PHONY: setup demo test test-python test-ui lint format build bench clean

.stamps/setup: pyproject.toml labextension/package.json ui-tests/package.json .ci/setup
	bash .ci/setup

setup: .stamps/setup

## Start the local JupyterHub demo (named servers, the extension in every server).
demo: .stamps/setup
	$(PY) -m jupyter_binder_ext.demo

## Run every check: lint, Python tests (real hub, cgroups, sshd), UI tests (Chromium).
test: .stamps/setup lint test-python test-ui

test-python: .stamps/setup
	$(BIN)/pytest -q

test-ui: .stamps/setup build
	cd ui-tests && ../$(JLPM) playwright test

lint: .stamps/setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd labextension && ../$(JLPM) run lint:check

format: .stamps/setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd labextension && ../$(JLPM) run lint

build: .stamps/setup
	cd labextension && ../$(JLPM) run build

bench: .stamps/setup build
	$(PY) bench/run.py

clean:
	rm -rf .stamps jupyter_binder_ext/labextension labextension/lib labextension/node_modules \
		ui-tests/node_modules .demo
