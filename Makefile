# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The first interpreter that really runs and is Python 3.12 or newer. pyenv shims for versions
# that are installed but not selected exist on PATH yet fail, so each candidate is run, not just found.
find_python = for c in python3.13 python3.12 python3 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v "$$c"; exit 0; fi; done; exit 1

.PHONY: help run test lint install install-dev browser clean

help:
	@echo "make run   - set up .venv, migrate, load the course, create demo accounts, serve on :$(PORT) with a task worker"
	@echo "make test  - set up .venv with dev dependencies, run the linters and every test"

$(VENV)/.installed: pyproject.toml requirements.lock
	@py="$$( $(find_python) )" || { echo "error: Python 3.12 or newer is needed (Django 6.1); none was found. Install python3.12 or python3.13." >&2; exit 1; }; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Chromium from Debian's packages"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; fi

run: export DJANGO_DEBUG ?= 1
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_content
	$(PY) manage.py seed_demo
	@# A task worker beside the server (imports, fitting, exports run as tasks); one recipe line,
	@# so that the trap stops the worker when the server stops.
	$(PY) manage.py $(if $(REDIS_URL),rqworker default,db_worker) & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Two processes (pytest-xdist), each taking a whole test file at a time (module fixtures and
# the file's own order stay together).
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2
test: install-dev browser lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# Production on this machine: config.settings.production (HTTPS only, so behind a TLS proxy
# that sets X-Forwarded-Proto), DJANGO_SECRET_KEY, DATABASE_URL and DJANGO_ALLOWED_HOSTS from the
# environment, gunicorn as config/gunicorn.conf.py says (GUNICORN_WORKERS and the rest).
.PHONY: serve bench bench-scheduling
serve: export DJANGO_SETTINGS_MODULE ?= config.settings.production
serve: install
	@test -n "$$DJANGO_SECRET_KEY" || { echo "error: set DJANGO_SECRET_KEY; production settings refuse to start without one" >&2; exit 1; }
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py migrate --no-input
	PORT=$(PORT) $(VENV)/bin/gunicorn --config config/gunicorn.conf.py

# The load benchmark (docs/performance.md): drops and creates the database of BENCH_DATABASE_URL
# (its name must contain "bench"), fills it, serves it with gunicorn and prints the table.
# More options: make bench BENCH_ARGS="--students 100 --seconds 5" (python -m bench.run --help).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/learnhall_bench
BENCH_ARGS ?=
bench: install-dev
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run $(BENCH_ARGS)

# The scheduling simulation benchmark (docs/scheduling.md): no database; prints a Markdown table.
# More options: make bench-scheduling SIM_ARGS="--students 50 --seed 2" (python -m bench.scheduling --help).
SIM_ARGS ?=
bench-scheduling: install-dev
	$(PY) -m bench.scheduling $(SIM_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
