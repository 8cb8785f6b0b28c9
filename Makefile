# tinymatch: `make report` renders the study, `make test` runs every test.
# Both bootstrap .venv from the pinned requirements (again only when a pin changes).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= cpu
GPU ?=
# GPU=1: the GPU build of the same TensorFlow (requirements-gpu.txt in place of tensorflow-cpu), for the full profile
ifeq ($(GPU),1)
REQUIREMENTS := $(VENV)/requirements-gpu-all.txt
STAMP := $(VENV)/.tinymatch-installed-gpu
else
REQUIREMENTS := requirements-dev.txt
STAMP := $(VENV)/.tinymatch-installed
endif

.PHONY: report test install export clean-nbs readme help
help:
	@echo "make report [PROFILE=cpu|omniglot|smoke|full]   render the HTML report (report/tinymatch_report.html; omniglot: report/omniglot/)"
	@echo "make test                              lint the tree, run the sync checks, nbdev_test and pytest"
	@echo "                                       (the multi-machine HPT test starts its own PostgreSQL from the pgserver wheel)"
	@echo "make install GPU=1                     the GPU build of TensorFlow instead of tensorflow-cpu (in a fresh VENV)"

# every pin of requirements.txt and requirements-dev.txt, with requirements-gpu.txt in place of tensorflow-cpu
$(VENV)/requirements-gpu-all.txt: requirements.txt requirements-dev.txt requirements-gpu.txt
	@mkdir -p $(VENV)
	{ grep -v '^tensorflow-cpu==' requirements.txt; grep -v '^-r ' requirements-dev.txt; cat requirements-gpu.txt; } > $@

$(STAMP): $(REQUIREMENTS) requirements.txt requirements-dev.txt setup.py settings.ini .ci/find_python
	@PY=$$(bash .ci/find_python) || exit 1; \
	 if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$PY"; $$PY -m venv $(VENV) || exit 1; fi
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel packaging
	$(BIN)/python -m pip install -q -r $(REQUIREMENTS)
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

report: $(STAMP)
	$(BIN)/tinymatch report --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q tests/test_sync.py
	$(BIN)/nbdev_test --path nbs --n_workers 2
	$(BIN)/python -m pytest -q tests --ignore=tests/test_sync.py

export: $(STAMP)
	$(BIN)/nbdev_export

readme: $(STAMP)
	$(BIN)/python -m tinymatch.report readme
