# One venv, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The FHIR test server lives in its own venv so its pins never clash with ours.
FHIR_VENV  ?= .venv-fhir
FHIR_STAMP := $(FHIR_VENV)/.installed
FHIR_REQS  := tests/support/fhir-server-requirements.txt

.PHONY: run demo test lint bench fuzz clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(FHIR_STAMP): $(FHIR_REQS)
	$(PYTHON) -m venv $(FHIR_VENV)
	$(FHIR_VENV)/bin/pip install --quiet --upgrade pip
	$(FHIR_VENV)/bin/pip install --quiet -r $(FHIR_REQS)
	touch $(FHIR_STAMP)

# make run PORT=8081 HOST=0.0.0.0 (only the command line sets them: a shell HOST or PORT is ignored).
HOST = 127.0.0.1
PORT = 8080

run: $(STAMP)
	NALTREXONE_CDS_AUTH=none $(BIN)/naltrexone-cds serve --dev --host $(HOST) --port $(PORT)

# A local FHIR server seeded with the demo patients, the service in dev mode, and the URL of its demo
# EHR page (/demo). DEMO_PORT=0 picks any free port.
DEMO_PORT ?= 8080
demo: $(STAMP) $(FHIR_STAMP)
	$(BIN)/python scripts/demo.py --port $(DEMO_PORT)

# Debian packages the tests run for real (Redis, PostgreSQL, nginx, Chromium); installed when absent.
system-deps:
	bash scripts/install-system-deps.sh

test: system-deps $(STAMP) $(FHIR_STAMP)
	$(BIN)/python -m pytest

# >= 10,000 hypothesis examples over the hook, feedback and discovery endpoints, and every type mutation
# of the scenario corpus (~110,000); prints the counts.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -q -o timeout=3600

lint: $(STAMP)
	$(BIN)/ruff check plugin tests scripts
	$(BIN)/ruff format --check plugin tests scripts
	$(BIN)/mypy plugin

# Real servers on loopback: service vs bare-Flask ceiling, no-prefetch via the local FHIR server,
# scaling 10..10,000 resources. Prints a table, writes bench/results.json (README "Benchmark").
bench: $(STAMP) $(FHIR_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(FHIR_VENV) .pytest_cache
