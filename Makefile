# `make demo` and `make test` each set up .venv when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := .demo/repo

.PHONY: demo test lint bench package clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf .demo
	$(BIN)/python fixtures/build_demo.py $(DEMO)
	cd $(DEMO) && ../../$(BIN)/phasediff phases
	cd $(DEMO) && ../../$(BIN)/phasediff 2 3
	cd $(DEMO) && ../../$(BIN)/phasediff log 3
	cd $(DEMO) && ../../$(BIN)/phasediff check
	cd $(DEMO) && ../../$(BIN)/phasediff trace Loki
	cd $(DEMO) && ../../$(BIN)/phasediff report --html $(CURDIR)/.demo/report

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The wheel and the sdist, checked (twine) and run from clean virtual environments.
package: $(STAMP)
	.ci/check-package

bench: $(STAMP)
	$(BIN)/python benchmarks/parse.py
	$(BIN)/python benchmarks/history.py

clean:
	rm -rf .demo $(VENV) .pytest_cache .mypy_cache .ruff_cache dist
