# tinymatch: `make report` renders the study, `make test` runs every test.
# Both bootstrap .venv from the pinned requirements (again only when a pin changes).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= cpu
STAMP := $(VENV)/.tinymatch-installed

.PHONY: report test install export clean-nbs readme help
help:
	@echo "make report [PROFILE=cpu|omniglot|smoke|full]   render the HTML report (report/tinymatch_report.html; omniglot: report/omniglot/)"
	@echo "make test                              run the sync checks, nbdev_test and pytest"
	@echo "                                       (the multi-machine HPT test needs TINYMATCH_TEST_PG: bash .ci/run starts PostgreSQL)"

$(STAMP): requirements.txt requirements-dev.txt setup.py settings.ini .ci/find_python
	@PY=$$(bash .ci/find_python) || exit 1; \
	 if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$PY"; $$PY -m venv $(VENV) || exit 1; fi
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel packaging
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

report: $(STAMP)
	$(BIN)/tinymatch report --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/ruff check tinymatch benchmarks tests report
	$(BIN)/python -m pytest -q tests/test_sync.py
	$(BIN)/nbdev_test --path nbs --n_workers 2
	$(BIN)/python -m pytest -q tests --ignore=tests/test_sync.py

export: $(STAMP)
	$(BIN)/nbdev_export

readme: $(STAMP)
	$(BIN)/python -m tinymatch.report readme
