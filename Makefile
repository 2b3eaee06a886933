# Veille: `make run` and `make test` work from a fresh clone with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

.PHONY: help install run test test-slow test-all check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the `veille` command (pinned dependencies)

run: install ## ingest seeds/ into data/veille.duckdb and show a sample
	$(BIN)/veille ingest seeds
	$(BIN)/veille query "SELECT left(coalesce(title, left(body, 40) || '…'), 40) AS article, \
		source, published_date AS published, date_precision AS prec, word_count AS words \
		FROM articles ORDER BY url"

test: install ## run the test suite
	$(BIN)/pytest -q -m "not slow"

test-slow: install ## the slow tests: real Prefect server, veille serve, Ctrl-C in a terminal
	$(BIN)/pytest -q -m slow

test-all: install ## run every test, slow ones included
	$(BIN)/pytest -q

check: install ## lint, formatting and the import contracts (see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install ## benchmark (see benchmarks/)
	$(BIN)/python -m benchmarks.run

.PHONY: golden
golden: install ## diff golden pages against current output; writes on y (or WRITE=1); NAMES="seed-*"
	set -f; $(BIN)/python -m tests.golden.regenerate $(if $(WRITE),--write) $(NAMES)

clean: ## remove the venv and local data
	rm -rf $(VENV) data .pytest_cache
