# Two entry points that work on a fresh clone: `make serve` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-dev index serve chroma test test-fast eval bench clean chromium axe

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned: any other version pulls GBs of CUDA wheels.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev chromium axe

# axe-core for the accessibility checks of the browser tests (test-only: the page needs no npm package).
# npm ci installs exactly the versions of package-lock.json.
axe: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the browser tests (never `playwright install`).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# Incremental: does nothing when the corpus and the embedder did not change.
index: install
	$(BIN)/pacte index

serve: index
	$(BIN)/pacte serve

# A local Chroma server (data in index/chroma-server): then `PACTE_CHROMA_URL=http://127.0.0.1:8001 make serve`.
chroma: install
	$(BIN)/pacte chroma serve

test: install-dev
	$(BIN)/pacte index
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/pacte eval gate

eval: install
	$(BIN)/pacte index
	$(BIN)/pacte eval gate

bench: install-dev
	$(BIN)/pacte index
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf index .pytest_cache
