# Scrapbook: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Browser tests: axe-core from npm (committed lock file, git-ignored node_modules) and Debian's
# Chromium. Playwright's own browser download is never used.
AXE := tests/frontend/node_modules/axe-core/axe.min.js
CHROMIUM := $(shell command -v chromium 2>/dev/null)

.PHONY: run test test-browser browser-deps test-postgres lint bench bench-deps fuzz api-check install migrate clean deploy-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/scrapbook migrate

run: $(STAMP)
	$(BIN)/scrapbook serve --host 127.0.0.1 --port 8000

$(AXE): tests/frontend/package.json tests/frontend/package-lock.json
	npm ci --prefix tests/frontend --no-audit --no-fund
	touch $(AXE)

# Everything the browser tests need on a fresh machine (apt-get needs root, as in CI).
browser-deps: $(AXE)
	command -v chromium >/dev/null 2>&1 || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# Without Chromium the browser tests skip themselves, so axe is only fetched when they can run.
test: $(STAMP) $(if $(CHROMIUM),$(AXE))
	$(BIN)/python -m pytest

test-browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest tests/frontend

lint: $(STAMP)
	$(BIN)/ruff check scrapbook tests alembic bench
	$(BIN)/mypy scrapbook

# What bench/throughput.py needs: wrk (the load generator) and nginx (the proxy for the spike).
bench-deps:
	command -v wrk >/dev/null 2>&1 && command -v nginx >/dev/null 2>&1 || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx-light; }

# The libvips anchor (pyvips's binary wheel carries libvips) is installed for the bench only.
bench: $(STAMP) bench-deps
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

# The image fuzz test at length (the suite runs 300 cases): FUZZ_CASES=... FUZZ_SEED=... make fuzz
FUZZ_CASES ?= 5000
FUZZ_SEED ?= 8
fuzz: $(STAMP)
	FUZZ_CASES=$(FUZZ_CASES) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest -q tests/media/test_fuzz.py

# Schemathesis over the API description at length (the suite runs 25 examples per operation,
# on SQLite): SCHEMATHESIS_EXAMPLES=... make api-check; PostgreSQL too when
# SCRAPBOOK_TEST_DATABASE_URL is set.
SCHEMATHESIS_EXAMPLES ?= 200
api-check: $(STAMP)
	SCHEMATHESIS_EXAMPLES=$(SCHEMATHESIS_EXAMPLES) $(BIN)/python -m pytest -q tests/api

# The scale-out deployment (docker-compose.yml, deploy/nginx.conf), checked without a Docker
# engine: Compose's own validation with throwaway values for the required secrets, and
# nginx's configuration test. Needs docker-compose and nginx (Debian packages).
DEPLOY_CHECK_ENV := SCRAPBOOK_SECRET_KEY=check-only-not-a-secret-check-only \
  POSTGRES_PASSWORD=check-only MINIO_ROOT_USER=check-only MINIO_ROOT_PASSWORD=check-only
deploy-check:
	env $(DEPLOY_CHECK_ENV) docker-compose -f docker-compose.yml config -q
	nginx -t -q -e stderr -g 'pid /tmp/scrapbook-deploy-check.pid;' -c $(CURDIR)/deploy/nginx.conf
	@echo "deploy-check: docker-compose.yml and deploy/nginx.conf are valid."

clean:
	rm -rf $(VENV) var .pytest_cache
