# The commands the README names. `make run` serves Camp locally; `make test`
# runs the whole suite against real PostgreSQL and Redis.

VENV := .venv
PYTHON := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/camp
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_CACHE_KEY_PREFIX ?= camp-test

.PHONY: install run test lint format bench serve

$(VENV)/.installed: requirements.txt requirements-dev.txt package.json
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	npm install --silent --no-audit --no-fund
	touch $@

install: $(VENV)/.installed

run: install
	@if [ -z "$$DATABASE_URL" ] && ! grep -qs '^DATABASE_URL=' .env; then \
		echo "No DATABASE_URL set: using the embedded SQLite database db.sqlite3 (quick start only)."; \
	fi
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py ensure_superuser
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py runserver 127.0.0.1:8000

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	CACHE_KEY_PREFIX=$(TEST_CACHE_KEY_PREFIX) SECRET_KEY=camp-test-only-secret-key DEBUG=false \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
