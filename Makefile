# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The JavaScript fragment of docs/webhooks.md runs against the npm standardwebhooks library
# (tests/docs/test_guides.py); without npm its test skips, except in CI.
JS_STAMP := tests/docs/js/node_modules/.installed
export SANDBOX_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test lint typecheck importcheck pytest pytest-sqlite pytest-postgres bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

$(JS_STAMP): tests/docs/js/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/docs/js --no-audit --no-fund --loglevel=error && touch $(JS_STAMP); \
	else echo "npm not found: the JavaScript guide check will skip (apt-get install npm)"; fi

run: $(STAMP)
	$(BIN)/sandbox migrate
	$(BIN)/sandbox serve --demo-partner

test: $(STAMP) lint typecheck importcheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy sandbox identity consent payments console loadtests tests

importcheck: $(STAMP)
	$(BIN)/lint-imports

pytest: pytest-sqlite pytest-postgres

pytest-sqlite: $(STAMP) $(JS_STAMP)
	$(BIN)/pytest --engine=sqlite

pytest-postgres: $(STAMP) $(JS_STAMP)
	$(BIN)/pytest --engine=postgresql

bench: $(STAMP)
	$(BIN)/sandbox bench

clean:
	rm -rf $(VENV) data tests/docs/js/node_modules .pytest_cache .mypy_cache .ruff_cache
