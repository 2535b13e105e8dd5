# Audio Mastering Tool — `make run` serves the API and page; `make test` runs every check.
# Needs only Python 3.11+ (python3 on PATH, or PYTHON=/path/to/python3.11).

# The first interpreter that actually runs and is 3.11+ (version managers put shims on PATH that may not run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# make run HOST=… PORT=… overrides API_HOST / API_PORT (environment or backend/.env; default 127.0.0.1:8000).
HOST   ?=
PORT   ?=

.PHONY: setup run references test lint bench clean

# make run installs the distribution with its runtime dependencies only; make test adds the dev extra.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

setup: $(STAMP)

references: setup
	cd backend && $(BIN)/amt references populate

run: references
	cd backend && $(BIN)/amt serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

lint: $(DEV_STAMP)
	$(BIN)/ruff format --check backend bench
	$(BIN)/ruff check backend bench
	cd backend && $(BIN)/mypy --config-file ../pyproject.toml amt api cli scripts

test: $(DEV_STAMP) lint
	$(BIN)/python -m pytest -v

bench: $(DEV_STAMP)
	$(BIN)/python bench/analysis_speed.py
	$(BIN)/python bench/similarity_speed.py
	$(BIN)/python bench/calibration.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
