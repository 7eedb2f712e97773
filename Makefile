# The commands the README names. `make run` serves Camp locally; `make test`
# runs the whole suite against real PostgreSQL and Redis (private ones when
# none answers).

VENV := .venv
PYTHON := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/camp
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_CACHE_KEY_PREFIX ?= camp-test
TEST_SERVERS ?= auto
SKIP_BROWSER ?=

.PHONY: install install-dev setup run demo worker test lint format bench serve

# Runtime packages for `make run`; test and lint tools (and axe-core, which the
# browser tests inject into pages) only for the targets that need them.
$(VENV)/.runtime: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json
	npm install --silent --no-audit --no-fund
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev node_modules/.installed

# The quick start's set-up, which `make run` and `make demo` do before serving:
# write a local .env when there is none (DEBUG on, a generated SECRET_KEY, the
# embedded SQLite database and memory cache), so that `manage.py` works in this
# checkout too; say which database and cache Camp uses; migrate; make sure
# someone can log in. An existing .env is never touched.
setup: install
	@DEBUG=$${DEBUG:-true} $(PYTHON) -m camp.quickstart
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py ensure_superuser

# Background jobs run in a worker started beside the development server, and
# stopped with it.
run: setup
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py worker & trap 'kill $$!' EXIT; \
		DEBUG=$${DEBUG:-true} $(PYTHON) manage.py runserver 127.0.0.1:8000

# `make run` with something to look at: demo users and posts (replacing the
# previous demo data, so the chart always reaches today), then the server.
DEMO_USERS ?= 3000
DEMO_POSTS ?= 30000

demo: setup
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py seed_demo --users $(DEMO_USERS) --posts $(DEMO_POSTS) --reset
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py worker & trap 'kill $$!' EXIT; \
		DEBUG=$${DEBUG:-true} $(PYTHON) manage.py runserver 127.0.0.1:8000

# Runs background jobs until SIGTERM/SIGINT; start as many as you like, on any
# machine that reaches the database.
worker: install
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py worker

# Camp the production way: DEBUG off, collected static files, gunicorn with
# gunicorn.conf.py. Needs SECRET_KEY (and DATABASE_URL/REDIS_URL) in the
# environment or .env.
serve: install
	DEBUG=false $(PYTHON) manage.py collectstatic --no-input -v0
	DEBUG=false $(PYTHON) manage.py migrate --no-input
	DEBUG=false GUNICORN_BIND=$${GUNICORN_BIND:-127.0.0.1:8000} $(VENV)/bin/gunicorn camp.wsgi -c gunicorn.conf.py

# Page benchmarks under gunicorn + wrk on a seeded PostgreSQL database
# (camp_bench); see bench/README.md. Needs PostgreSQL and Redis running; wrk
# comes from Debian's package, installed here if it is missing and apt can.
bench: install
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PYTHON) bench/run.py

# Uses PostgreSQL and Redis at the TEST_*_URLs above when they answer; otherwise
# conftest.py starts private ones from the wheels (tests/services.py).
# TEST_SERVERS=system|private insists on one or the other; SKIP_BROWSER=1
# leaves out the browser tests (for a machine without Chromium; never in CI).
# CAMP_REQUIRE_MFA=false: most tests log staff in with a password alone; the
# tests of the second factor turn it on themselves.
test: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	CACHE_KEY_PREFIX=$(TEST_CACHE_KEY_PREFIX) SECRET_KEY=camp-test-only-secret-key DEBUG=false \
	CAMP_REQUIRE_MFA=false TEST_SERVERS=$(TEST_SERVERS) SKIP_BROWSER=$(SKIP_BROWSER) \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
