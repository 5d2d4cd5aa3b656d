# Support Center: `make run` starts the product, `make test` runs the tests.
# Both create their own virtualenv; only Python 3.11 and make are needed.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/var
export SUPPORTCENTER_DATA_DIR ?= $(DATA_DIR)
export SUPPORTCENTER_DEMO ?= 1
# Without an SMTP server configured, `make run` prints notification emails in the worker's log.
export SUPPORTCENTER_EMAIL_BACKEND ?= console

.PHONY: run test setup setup-test lint clean bench messages screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

# A secret key kept in the data directory, so sessions and encrypted secrets survive restarts.
$(SUPPORTCENTER_DATA_DIR)/secret_key:
	mkdir -p $(SUPPORTCENTER_DATA_DIR)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: setup $(SUPPORTCENTER_DATA_DIR)/secret_key
	SUPPORTCENTER_SECRET_KEY_FILE=$(SUPPORTCENTER_DATA_DIR)/secret_key $(BIN)/python manage.py bootstrap
	SUPPORTCENTER_SECRET_KEY_FILE=$(SUPPORTCENTER_DATA_DIR)/secret_key exec $(BIN)/python manage.py runstack

test: setup-test
	$(BIN)/python -m pytest

# mypy checks the packages listed in pyproject.toml's [tool.mypy] `files`; lint-imports checks
# the apps' layers (.importlinter).
lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup-test
	$(BIN)/python -m bench api --profile
	$(BIN)/python -m bench scale
	$(BIN)/python -m bench pages
	$(BIN)/python -m bench lists
	$(BIN)/python -m bench jobs
	$(BIN)/python -m bench history
	$(BIN)/python -m bench notifications
	$(BIN)/python -m bench search
	$(BIN)/python -m bench fuzz
	$(BIN)/python -m bench drain
	$(BIN)/python -m bench writers

clean:
	rm -rf $(VENV) var staticfiles

# Refresh the Japanese catalogue after changing interface strings (needs GNU gettext), then
# translate the new entries in locale/ja/LC_MESSAGES/django.po.
# The test settings need no secret key or data directory.
messages: setup-test
	DJANGO_SETTINGS_MODULE=supportcenter.settings_test $(BIN)/python manage.py makemessages -l ja --ignore=.venv --ignore=tests --ignore=bench --ignore=var
	DJANGO_SETTINGS_MODULE=supportcenter.settings_test $(BIN)/python manage.py compilemessages -l ja --ignore=.venv

# The README's screenshots (docs/screenshots/): the main pages at 375 px and 1,280 px, taken by
# Playwright with Debian's chromium against a test server with sample data.
screenshots: setup-test
	SUPPORTCENTER_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_screenshots.py
