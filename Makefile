# Two entry points for people: `make demo` and `make test`. Both bootstrap .venv from this
# repository's own files and can be run again at no cost.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
EXAMPLE := examples/orders-service

.PHONY: demo test venv dev lint fuzz bench vscode clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEVSTAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

venv: $(STAMP)

dev: $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/backend-audit check $(EXAMPLE) --fail-on none
	$(BIN)/backend-audit report $(EXAMPLE) --output $(EXAMPLE)/backend-audit-report.md
	@sed -n '/^## Executive Summary/,/^---/p' $(EXAMPLE)/backend-audit-report.md

lint: $(DEVSTAMP)
	$(BIN)/ruff check server tests bench

test: $(DEVSTAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/backend-audit rules validate
	$(BIN)/python -m pytest -q -p no:cacheprovider

fuzz: $(DEVSTAMP)
	BACKEND_AUDIT_FUZZ=long $(BIN)/python -m pytest -q -p no:cacheprovider -m fuzz tests

bench: $(DEVSTAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info server/*.egg-info .backend-audit-cache

# The VS Code extension: lint, unit tests, esbuild bundle and the .vsix
# (vscode-client/dist/backend-audit.vsix). The code-server end-to-end test runs in `make test`.
vscode:
	sh vscode-client/scripts/npm-ci-cached.sh
	cd vscode-client && npm run --silent lint && npm test --silent && npm run --silent package
