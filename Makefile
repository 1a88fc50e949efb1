# make run   : first look, no services needed (SQLite, in-process tasks, console email)
# make test  : whole suite against real PostgreSQL and Redis, with a real Celery worker and chromium,
#              and schemathesis checking every API operation against the app's own /api/schema/
# make test-container : the production image (podman build) run as web, worker and beat containers, end to end
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/portal
REDIS ?= redis://127.0.0.1:6379/0

.PHONY: run test venv install lint format bench bench-deps browser-deps check-deploy clean security test-faults test-container container-deps

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || PY=python3; $${PY:-python3} -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Development installs both pin files (requirements-dev.txt includes requirements.txt); the image only the runtime one.
$(VENV)/.installed: requirements.txt requirements-dev.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:8000  (Ctrl-C to stop)"
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@test -f tests/browser/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser --no-audit --no-fund --silent

test: install browser-deps
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/pytest -m "not faults" $(PYTEST_ARGS)

# Reliability suite: killed workers, Redis stopped, an SMTP server refusing deliveries (figures printed).
test-faults: install
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/pytest -m faults -s $(PYTEST_ARGS)

# Production image: podman build, then the migrate, web, worker and beat containers against this machine's
# PostgreSQL (own database portal_container) and Redis (db 10); a change notice goes out through the worker.
test-container: install container-deps
	PG_URL=$(PG_URL) $(BIN)/python tests/container/smoke.py

# podman and the debian:bookworm-slim base image, built locally (no registry is reachable from these machines) by the
# shared container-setup script (idempotent) when either is missing.
CONTAINER_SETUP ?= $(firstword $(wildcard ../shared/tools/container-setup /work/shared/tools/container-setup))
container-deps:
	@if ! command -v podman >/dev/null 2>&1 || ! podman image exists docker.io/library/debian:bookworm-slim; then \
	  if [ -z "$(CONTAINER_SETUP)" ]; then echo "podman is missing: install it (or set CONTAINER_SETUP)"; exit 1; fi; \
	  echo "Installing podman and building the base image ($(CONTAINER_SETUP))"; bash $(CONTAINER_SETUP); fi

# Static checks, also run by CI before the tests and by the pre-commit hooks (.pre-commit-config.yaml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (docs: README "Benchmarks"): production settings, gunicorn, a Celery worker and wrk, on a scratch
# database they create and drop (BENCH_DATABASE_URL; refused if it starts with test_ or lacks "bench") and their own
# Redis databases (12 for the web, 13 for the broker). Never DATABASE_URL / PG_URL: those belong to the tests.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/12
BENCH_CELERY_REDIS_URL ?= redis://127.0.0.1:6379/13
BENCH_SCRIPTS ?= $(filter-out bench/_%,$(wildcard bench/*.py))

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing wrk for the benchmarks"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

bench: install bench-deps
	@for b in $(BENCH_SCRIPTS); do echo "== $$b"; \
	  BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
	  BENCH_CELERY_REDIS_URL=$(BENCH_CELERY_REDIS_URL) $(BIN)/python $$b || exit 1; done

# Static analysis of our code (bandit) and known vulnerabilities in pinned dependencies (pip-audit).
security: install
	$(BIN)/pip install --quiet -r requirements-security.txt
	$(BIN)/bandit -q -c pyproject.toml -r portal dpa subprocessors
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off --strict
	$(BIN)/pip-audit -r requirements-dev.txt --progress-spinner off --strict

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles tests/artifacts
