# The two commands that work on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
# Every target here is development's: an unset DJANGO_DEBUG means production (which needs a real
# DJANGO_SECRET_KEY), so these say development explicitly unless the caller chose otherwise.
export DJANGO_DEBUG ?= 1
PORT ?= 8000

.PHONY: run demo test lint check messages bench

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## Set up a SQLite database with the demo data and serve it on http://127.0.0.1:8000/admin/,
## with a worker for the background jobs (exports, large imports, agreement) next to it
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@echo ""
	@echo "Admin: http://$(HOST):$(PORT)/admin/  (log in with one of the demo accounts above)"
	$(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo

## Run the whole test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)
test: $(VENV)/.test
	$(PY) -m pytest

## ruff, the import contract (pyproject.toml: [tool.importlinter]) and migrations
lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

messages: $(VENV)/.test
	cd annotator && ../$(PY) ../manage.py makemessages -l de --no-obsolete && ../$(PY) ../manage.py compilemessages -l de
