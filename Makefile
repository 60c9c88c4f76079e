# The playbook's one obvious way to run everything. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25
ARGS ?=
#: notebooks `make report` runs at once (the demo on 2 cores: 156 s, against 304 s before the speed-ups one at a time; benchmarks/RESULTS.md)
REPORT_JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help env report test test-fast lab demo-data strip lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { py=$$(scripts/find-python.sh) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (playbook)" >/dev/null
	@touch $(STAMP)

env: $(STAMP)  ## create .venv (Python 3.12+) with the package, its dependencies and the python3 kernel

report: $(STAMP)  ## run every notebook on the bundled demo data, REPORT_JOBS (2) at a time; prints the index page (ARGS="..." passes options)
	$(BIN)/playbook run --jobs $(REPORT_JOBS) $(ARGS)

test: $(STAMP)  ## run the whole test suite, slow recovery tests included
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(STAMP)  ## run the tests without the slow, sampling-heavy recovery checks
	$(BIN)/pytest $(PYTEST_ARGS) -m "not slow"

lab: $(STAMP)  ## open the notebooks in JupyterLab (kernels get one BLAS thread, as under the runner)
	OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} $(BIN)/jupyter lab notebooks/

demo-data: $(STAMP)  ## regenerate the bundled demo data in data/demo (seed 7)
	$(BIN)/playbook demo-data data/demo --seed 7

strip: $(STAMP)  ## strip outputs from the notebooks before committing (cell tags are kept)
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

lint: $(STAMP)  ## ruff over the package, tests and notebooks
	$(BIN)/ruff check playbook tests benchmarks notebooks

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)  ## install the bench extra (lifetimes, ChannelAttribution) and run every benchmark (see benchmarks/README.md)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:  ## remove the virtual environment and caches (reports are kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
