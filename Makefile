# Kata Context: every target creates the virtualenv and installs the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,embedded]'
	# tests/packaging installs the wheel beside the real entrypoints 0.4, offline.
	$(PY) -m pip download --quiet --no-deps --dest $(VENV)/wheelhouse entrypoints==0.4
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kata-context serve

lint: $(STAMP)
	$(VENV)/bin/ruff check domain ports adapters entrypoints migrations kata_context build_backend tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict domain ports
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
