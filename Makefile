# Safe Passage. `make run` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
# `make test` runs the suite in one process by default: on the 2-core CI machine two pytest-xdist
# workers competed with PostgreSQL, Chromium and the identity providers for the same cores and
# the PostgreSQL pass got slower, not faster. PYTEST_WORKERS=2 (or auto) runs it in that many
# processes (each with its own database and Redis numbers) on a machine with cores to spare.
PYTEST_WORKERS ?= 1
XDIST_ARGS = $(if $(filter 0 1,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS))

.PHONY: run test test-fast lint format install install-test install-bench lock translations clean-instance bench

$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "$(PYTHON) cannot create a virtual environment: install its venv module (Debian: apt-get install python3-venv)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# Dependencies come from the hashed lock files; the project itself is installed editable on top.
$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-test: requirements-test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements-bench.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-bench.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations
install-bench: $(VENV)/.installed-bench translations

translations: $(VENV)/.installed
	@if [ -d travel_app/translations ]; then $(BIN)/pybabel compile -d travel_app/translations; fi

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(BIN)/python -m travel_app.devserver

# SKIP_LINT=1: the tests alone (.ci/run's second pass; the first has linted the same files).
test: install-test $(if $(SKIP_LINT),,lint)
	$(BIN)/pytest $(XDIST_ARGS) $(PYTEST_ARGS)

# A quick local loop: everything but the browser, the real worker processes and the fault
# drills (CI and `make test` run those too).
test-fast: install-test
	$(BIN)/pytest $(XDIST_ARGS) -m "not e2e and not celery_worker" --ignore=tests/drills $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit --quiet --recursive --severity-level medium travel_app workflows config.py wsgi.py

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the lock files after changing dependencies in pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "pip-tools>=7.4"
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links --no-emit-index-url -o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links --no-emit-index-url --extra test -o requirements-test.txt pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links --no-emit-index-url --extra test --extra bench -o requirements-bench.txt pyproject.toml

clean-instance:
	rm -rf instance

# Every hot path against a bare Flask baseline in the same run: writes bench/results.md and
# bench/ratios.png (see bench/run.py). `make bench BENCH_ARGS=--quick` for a short check.
BENCH_ARGS ?=
bench: install-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)
