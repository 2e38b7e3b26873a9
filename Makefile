# Two commands a newcomer needs: `make demo` and `make test`. Both build .venv by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test bench demo lint certs clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its test extras into $(VENV) ..."
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m tests.benchmarks

demo: $(STAMP)
	$(PY) -m examples.demo

certs: $(STAMP)
	$(PY) -m certs

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache
