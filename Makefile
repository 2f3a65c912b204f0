# One venv, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	NALTREXONE_CDS_AUTH=none $(BIN)/naltrexone-cds serve --dev

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check plugin tests scripts
	$(BIN)/ruff format --check plugin tests scripts

bench: $(STAMP)
	@echo "benchmark: not yet (see the benchmark issue)"

clean:
	rm -rf $(VENV) .pytest_cache
