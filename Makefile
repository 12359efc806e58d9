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
# the compiled build (mypyc; docs/performance.md#compiled): `make test` also runs the queue and
# simulation suites against it. COMPILED=no skips that part for a quick local loop (CI never does).
COMPILED ?= yes
CBUILD   := build/compiled

.PHONY: demo test lint typecheck unit compiled compiled-test docs bench clean help

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

# The compiled build: the wheel built with the mypyc hook (pyproject.toml), from a copy of the
# tree so that no extension module lands in src/ (it would shadow the sources being edited), and
# unpacked into build/compiled/src (examples/ linked beside it, as in a clone). Rebuilt when
# anything under src/ or pyproject.toml changes. Needs a C compiler and the Python headers.
HAVE_CC = $(BIN)/python -c 'import sysconfig, os, shutil, sys; sys.exit(not (shutil.which("cc") and os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))))'

$(CBUILD)/.stamp: pyproject.toml README.md $(shell find src -name '*.py' 2>/dev/null) | $(VENV)/.stamp-dev
	@if ! $(HAVE_CC); then \
		echo "== the compiled build needs a C compiler (cc) and the Python headers (Debian: gcc python3-dev)"; exit 1; fi
	rm -rf $(CBUILD) build/compiled-tree && mkdir -p build/compiled-tree $(CBUILD)/src
	cp -r pyproject.toml README.md src build/compiled-tree/
	HATCH_BUILD_HOOK_ENABLE_MYPYC=true $(PIP) wheel --quiet --no-deps -w build/compiled-tree/dist build/compiled-tree
	$(BIN)/python -m zipfile -e build/compiled-tree/dist/civiccc-*.whl $(CBUILD)/src
	rm -rf $(CBUILD)/src/civiccc-*.dist-info build/compiled-tree
	ln -s ../../examples $(CBUILD)/examples
	@touch $@

compiled: $(CBUILD)/.stamp

# the queue and simulation suites again, importing the compiled build first (PYTHONPATH). Without
# a C compiler it is skipped with a visible reason, except in CI (CI=true), where it must run.
compiled-test: | $(VENV)/.stamp-dev
	@if $(HAVE_CC) || [ "$${CI:-}" = "true" ]; then \
		$(MAKE) --no-print-directory $(CBUILD)/.stamp && \
		CIVICCC_EXPECT_COMPILED=1 PYTHONPATH=$(CURDIR)/$(CBUILD)/src $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS) tests/queues tests/sim tests/test_build.py; \
	else \
		echo "== SKIPPED the compiled build's tests: no C compiler or Python headers (Debian: gcc python3-dev)"; \
	fi

ifeq ($(COMPILED),no)
test: lint typecheck unit
	@echo "== COMPILED=no: the compiled build was not tested"
else
test: lint typecheck unit compiled-test
endif

docs: $(VENV)/.stamp-docs
	$(BIN)/mkdocs build --strict

bench: $(VENV)/.stamp-bench $(CBUILD)/.stamp
	@# -P: keep benchmarks/ off sys.path (benchmarks/calendar.py would shadow the stdlib module)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python -P $$b || exit 1; done
	@# the queue engine and the simulator again, compiled
	@for b in benchmarks/queues.py benchmarks/sim.py; do echo "== $$b (compiled build)"; \
		PYTHONPATH=$(CURDIR)/$(CBUILD)/src $(BIN)/python -P $$b || exit 1; done

clean:
	rm -rf $(VENV) site build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis demo-output
