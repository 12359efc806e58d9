# civiccc — the two set-up commands on a fresh machine are `make demo` and `make test`.
# Both create .venv if it is missing and install what they need into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PLUGIN := examples/plugins/civiccc-open-case-node
# pytest workers (2 cores on the project's machines); PYTEST_ARGS adds options, e.g. -k calendar
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck unit docs bench clean help

help:
	@echo "make demo   - simulate a week at the reference city (embedded SQLite, HTML report)"
	@echo "make test   - lint, type check and the whole test suite"
	@echo "make docs   - build the documentation site into site/"
	@echo "make bench  - run the benchmarks (ratios against baselines measured in the same run)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# runtime + report extra: what the demo needs
$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[report]'
	@touch $@

# everything the test suite needs (dev tools, PostgreSQL driver, notebook, Dask, the example plugin)
$(VENV)/.stamp-dev: pyproject.toml $(wildcard $(PLUGIN)/pyproject.toml) | $(BIN)/python
	$(PIP) install --quiet -e '.[dev,postgres,notebook,report,dask]'
	@if [ -f $(PLUGIN)/pyproject.toml ]; then $(PIP) install --quiet -e $(PLUGIN); fi
	@touch $@ $(VENV)/.stamp-run

$(VENV)/.stamp-docs: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[docs]'
	@touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(VENV)/.stamp-dev
	$(PIP) install --quiet -e '.[bench]'
	@touch $@

demo: $(VENV)/.stamp-run
	$(BIN)/civiccc demo

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

unit: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint typecheck unit

docs: $(VENV)/.stamp-docs
	$(BIN)/mkdocs build --strict

bench: $(VENV)/.stamp-bench
	@# -P: keep benchmarks/ off sys.path (benchmarks/calendar.py would shadow the stdlib module)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python -P $$b || exit 1; done

clean:
	rm -rf $(VENV) site build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis demo-output
