# Candour: `make run` serves the app with demo data and runs the worker beside it
# (Ctrl-C stops both); `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
DEMO_PASSWORD ?= candour-demo
# Generated incidents for the demo (the same ones every time; 0 for none).
DEMO_INCIDENTS ?= 60
export FLASK_APP := app

.PHONY: setup run test bench bench-requests load lint format clean

# Install only what is missing or changed (scripts/setup.sh compares content hashes).
setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

run: setup
	CANDOUR_ENV=$${CANDOUR_ENV:-development} $(BIN)/flask seed-demo --password "$(DEMO_PASSWORD)" --incidents "$(DEMO_INCIDENTS)"
	@echo "Candour on http://127.0.0.1:$(PORT) - demo password: $(DEMO_PASSWORD)"
	CANDOUR_ENV=$${CANDOUR_ENV:-development} PORT=$(PORT) bash scripts/run.sh

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and
# CI=true turns "cannot reach it" into a failure rather than a skip).
test: setup
	bash scripts/run-tests.sh

# Each page against hand-written SQL for the same figures, at a small and a large
# database (docs/scale.md): BENCH_DB=sqlite (2,000 and 20,000 incidents) or a
# PostgreSQL URL (2,000 and 200,000; the database is emptied), BENCH_SIZES=a,b,
# BENCH_REPEAT=n. Exits 1 when a page is over 3x its SQL or grows more than 3x.
bench: setup
	CANDOUR_ENV=testing $(BIN)/python -m bench.scale

# Requests, imports and exports against GET /healthz in the same run; see bench/.
bench-requests: setup
	CANDOUR_ENV=testing $(BIN)/python -m bench

# Simulated devices against real gunicorn servers: PostgreSQL (LOAD_DATABASE_URL,
# emptied first; 4 workers) then SQLite (2 workers). Exits non-zero on any error
# or "database is locked". LOAD_DEVICES and LOAD_SECONDS change the size.
load: setup
	$(BIN)/python -m bench.load

# JavaScript: Biome (biome.jsonc), pinned in package.json, lints and checks the format.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	npx --no-install biome ci static/js service-worker.js tests/js

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	npx --no-install biome check --write static/js service-worker.js tests/js

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache
