# The two entry points of the README: `make run` and `make test`.
# Each creates .venv when missing and reinstalls only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast test-scale lint demo serve worker doctor bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.stamp-runtime

run: $(VENV)/.stamp-runtime
	$(BIN)/commit-radar run

serve: $(VENV)/.stamp-runtime
	$(BIN)/commit-radar serve

worker: $(VENV)/.stamp-runtime
	$(BIN)/commit-radar worker

doctor: $(VENV)/.stamp-runtime
	$(BIN)/commit-radar doctor

# The layer rules, style and complexity, and types; then the suite, spread over every core (pytest-xdist).
test: lint
	$(BIN)/python -m pytest -n auto -m "not scale" $(PYTEST_ARGS)

# One serve and several workers on PostgreSQL (TEST_DATABASE_URL), kill -9 and restarts included: minutes.
test-scale: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -m scale -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/lint-imports
	$(BIN)/ruff check bot tests bench demo
	$(BIN)/mypy

# The quick loop: everything but the tests that start the real process.
test-fast: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -n auto -m "not e2e and not scale" $(PYTEST_ARGS)

# The bot against a local fake GitHub, with this terminal as its chat: no network, no accounts.
demo: $(VENV)/.stamp-dev
	$(BIN)/python demo/offline.py

bench: $(VENV)/.stamp-dev
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
