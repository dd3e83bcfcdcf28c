# Candour: `make run` serves the app with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
DEMO_PASSWORD ?= candour-demo
export FLASK_APP := app

.PHONY: setup run test test-sqlite test-postgres lint format clean

# Install only what is missing: each step re-runs when its lock file changes.
setup: $(VENV)/.installed node_modules/.installed static/vendor/.built

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages come from npm (package-lock.json) and are copied into
# static/vendor, which git ignores; the stylesheet is compiled from SCSS.
static/vendor/.built: node_modules/.installed $(wildcard static/scss/*.scss)
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/idb/build/umd.js static/vendor/idb.umd.js
	npx --no-install sass --load-path=node_modules --style=compressed --no-source-map \
		static/scss/candour.scss static/vendor/candour.css
	touch $@

run: setup
	CANDOUR_ENV=$${CANDOUR_ENV:-development} $(BIN)/flask seed-demo --password "$(DEMO_PASSWORD)"
	@echo "Candour on http://127.0.0.1:$(PORT) - demo password: $(DEMO_PASSWORD)"
	CANDOUR_ENV=$${CANDOUR_ENV:-development} $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and
# CI=true turns "cannot reach it" into a failure rather than a skip).
test: setup
	bash scripts/run-tests.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache
