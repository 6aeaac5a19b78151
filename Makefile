# The two commands: `make run` and `make test`. Everything else is set up from here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
# `make run` is development; links in mail follow the server's address unless given.
EVENTSAPP_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint format translations messages bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy --statistics -d translations 2>&1 | grep -v '^$$' || true

run: export EVENTSAPP_ENV ?= development
run: export EVENTSAPP_BASE_URL := $(EVENTSAPP_BASE_URL)
run: $(STAMP) translations
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo
	@# the outbox sender runs beside the server (without MAIL_SERVER, mail stays in /outbox)
	$(BIN)/flask --app app outbox worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint translations
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract the user-facing strings and merge them into the catalogues (then translate, commit).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs '.* .venv' --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(BIN)/python translations/fill_english.py

bench: $(STAMP) translations
	$(BIN)/python bench/run.py
	$(BIN)/python bench/sender.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
