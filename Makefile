# revision-pipeline: `make run` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARCHIVE := data/01_raw/archive
BENCHMARKS := data/01_raw/benchmarks
# Telemetry off for kedro and mlflow (they honour DO_NOT_TRACK).
export DO_NOT_TRACK := true
export KEDRO_DISABLE_TELEMETRY := true
export MLFLOW_ENABLE_TELEMETRY := false

.PHONY: help install run demo-archive test test-fast lint format viz mlflow-ui contact-sheet benchmarks clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m revision_pipeline.tracking init  # mlflow.db built whole, never half
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project (only when pyproject.toml changed)

demo-archive: install  ## generate the synthetic archive (and benchmark stand-ins) where data/01_raw is empty
	@if [ -z "$$(ls -A $(ARCHIVE) 2>/dev/null | grep -v '^.gitkeep$$')" ]; then \
		echo "data/01_raw/archive is empty: generating the synthetic demo archive and benchmarks"; \
		$(BIN)/kedro run --pipeline=demo_archive; \
	elif [ -z "$$(ls -A $(BENCHMARKS) 2>/dev/null | grep -v '^.gitkeep$$')" ]; then \
		echo "data/01_raw/archive has content: using it"; \
		echo "data/01_raw/benchmarks is empty: generating the synthetic benchmark stand-ins"; \
		$(BIN)/kedro run --pipeline=demo_benchmarks; \
	else echo "data/01_raw/archive and data/01_raw/benchmarks have content: using them"; fi

run: demo-archive  ## install, build the demo archive if needed, then `kedro run`
	$(BIN)/kedro run

test: install  ## install if needed and run the whole test suite
	$(BIN)/pytest

test-fast: install  ## the suite without the slow end-to-end tests
	$(BIN)/pytest -m "not slow"

lint: install  ## ruff (lint + import order + format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

viz: install  ## build the kedro-viz lineage site into build/
	$(BIN)/kedro viz build

mlflow-ui: install  ## open the MLflow UI on http://127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

contact-sheet: install  ## docs/contact_sheet.png: 24 demo photos with their findings
	$(BIN)/python -m revision_pipeline.synth.contact_sheet --out docs/contact_sheet.png

benchmarks: install  ## run the benchmark scripts (figures go to docs/benchmarks.md)
	$(BIN)/python benchmarks/demo_archive_generation.py

clean:  ## remove generated data, runs and builds (keeps .venv and conf/local)
	find data -mindepth 2 ! -name .gitkeep -delete 2>/dev/null || true
	rm -rf mlflow.db mlruns build .viz
