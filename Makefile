# Ferry. `make run` serves the API with embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: run test services openapi lint format bench bench-quick bench-faults bench-ledger lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(DEV): $(RUNTIME) requirements-dev.lock
	$(BIN)/pip install -q -r requirements-dev.lock
	touch $@

run: $(RUNTIME)
	$(BIN)/ferry db upgrade
	$(BIN)/ferry serve

services:
	@bash scripts/ensure-services.sh
	@bash scripts/ensure-browser.sh

test: $(DEV) services
	$(BIN)/pytest -q -n 2 --dist loadfile

openapi: $(RUNTIME)
	$(BIN)/python -m app.openapi openapi/openapi.json

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The throughput table of issue 12 (about 20 minutes); parts: BENCH_ARGS="--only window,tokens".
bench: $(DEV) services
	$(BIN)/python -m bench.migration $(BENCH_ARGS)

# The same table at smaller sizes (a few minutes).
bench-quick: $(DEV) services
	$(BIN)/python -m bench.migration --quick $(BENCH_ARGS)

# Three sessions at 1,500 persons through read and write faults while workers are SIGKILLed.
bench-faults: $(DEV) services
	$(BIN)/python -m bench.faults

# Preview, sample, full, delta, full again and undo between two sandbox companies, with tokens.
bench-ledger: $(DEV) services
	$(BIN)/python -m bench.ledger

# Re-pin the lock files from pyproject.toml (needs the package index).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install -q -e . && .lockenv/bin/pip freeze --exclude-editable > requirements.lock
	.lockenv/bin/pip install -q -e '.[dev]' && .lockenv/bin/pip freeze --exclude-editable > requirements-dev.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
