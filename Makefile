# Two commands for a newcomer (README): `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run mail test lint openapi bench clean

TOOLS  := .venv-tools
PORT   ?= 8000
HOST   ?= 127.0.0.1
# Development: the periodic jobs run in-process, so the outbox sends its mails to the
# catcher of `make mail` (SMTP_HOST:SMTP_PORT default to 127.0.0.1:1025).
RUN_SCHEDULER ?= true

# .venv/: the runtime lock plus the test and lint tools (requirements-dev.lock includes
# requirements.lock); .venv-tools/: the client generator of the generated-client test
# (its own venv: it pins a typer older than the runtime's). Debian needs python3-venv.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock requirements-tools.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.lock
	touch $(STAMP)

install: $(STAMP)

## Serve the API on $(HOST):$(PORT) (make run PORT=8080) with the embedded SQLite database
## (migrated, seeded).
run: $(STAMP)
	mkdir -p var
	$(BIN)/convention-api db upgrade
	$(BIN)/convention-api db seed
	RUN_SCHEDULER=$(RUN_SCHEDULER) $(BIN)/uvicorn --factory app.main:create_app \
		--host $(HOST) --port $(PORT)

## Development mail catcher on 127.0.0.1:1025: prints every mail sent, stores it in var/mail/.
mail: $(STAMP)
	$(BIN)/convention-api mail catch

## The whole test suite (SQLite; set TEST_DATABASE_URL to run it on PostgreSQL).
test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

openapi: $(STAMP)
	$(BIN)/convention-api openapi

## Benchmarks against bare baselines on PostgreSQL (docs/PERFORMANCE.md); BENCH_ARGS for
## options (e.g. --keep). Needs wrk (Debian package, installed here when missing).
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk || \
		(apt-get update && apt-get install -y wrk)
	$(BIN)/python scripts/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache
