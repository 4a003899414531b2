# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JLPM := $(BIN)/jlpm
# jlpm scripts call `jupyter labextension` and `jupyter-builder`: the venv's, not a global one.
export PATH := $(abspath $(BIN)):$(PATH)
LAB_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f 2>/dev/null)
BUILT_LAB := jupyter_binder_ext/labextension/package.json

.PHONY: setup demo test test-python test-ui screenshots check-package lint format build bench clean

.stamps/setup: pyproject.toml labextension/package.json ui-tests/package.json .ci/setup
	bash .ci/setup

setup: .stamps/setup

## Start the local JupyterHub demo (named servers, the extension in every server).
demo: .stamps/setup
	$(PY) -m jupyter_binder_ext.demo $(DEMO_ARGS)

## Run every check: lint, Python tests (real hub, cgroups, sshd), UI tests (Chromium), and
## the packaging checks (sdist + wheel from a clean clone, installed into a fresh venv).
test: .stamps/setup lint test-python test-ui check-package

test-python: .stamps/setup
	$(BIN)/pytest -q

# The Galata tests run against a real demo hub, so the Projects section shows real servers.
test-ui: .stamps/setup $(BUILT_LAB)
	cd ui-tests && ../$(PY) with_demo_hub.py ../$(JLPM) playwright test

## Refresh the screenshots the docs show (ui-tests/screenshots/), from a UI-test run.
screenshots: .stamps/setup $(BUILT_LAB)
	cd ui-tests && BINDER_UPDATE_SCREENSHOTS=1 ../$(PY) with_demo_hub.py ../$(JLPM) playwright test

check-package: .stamps/setup
	bash .ci/check_package.sh

lint: .stamps/setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy bench
	cd labextension && ../$(JLPM) run lint:check

format: .stamps/setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd labextension && ../$(JLPM) run lint

build: $(BUILT_LAB)

$(BUILT_LAB): .stamps/setup labextension/package.json $(LAB_SOURCES)
	cd labextension && ../$(JLPM) run build
	touch $@

bench: .stamps/setup $(BUILT_LAB)
	$(PY) bench/run.py

clean:
	rm -rf .stamps jupyter_binder_ext/labextension labextension/lib labextension/node_modules \
		ui-tests/node_modules .demo
