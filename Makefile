# Two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test install install-dev lint format bench clean worker

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_apps catalog/*.yaml
	$(PY) manage.py ensure_admin
	$(PY) manage.py runserver 127.0.0.1:8000

# A Celery worker with its beat schedule: refreshes expiring tokens in the
# background (Redis at CELERY_BROKER_URL, redis://127.0.0.1:6379/0 by default).
worker: install
	$(VENV)/bin/celery -A integry worker --beat --loglevel=info

# pytest-xdist: one worker per core (two in CI); TEST_WORKERS=0 runs the tests
# in one process (for --pdb).
TEST_WORKERS ?= auto

test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
