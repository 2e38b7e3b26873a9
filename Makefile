# Two commands a newcomer needs: `make demo` and `make test`. Both build .venv by themselves,
# from requirements.lock: the exact versions (with hashes) CI tested.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
STAMP := $(VENV)/.installed
# Compile the lock for every platform and every Python the project supports, with hashes.
UV_COMPILE := pip compile pyproject.toml --extra test --extra dev --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock"

.PHONY: install test fuzz typecheck bench demo lint certs lock test-latest test-oldest clean \
	conformance

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies ($(LOCK)) into $(VENV) ..."
	@$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(PY) -m pip check
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

# The long run of the structure-aware fuzzers (tests/*/test_fuzz_*.py): 20 times the examples
# `make test` draws, a few minutes. A failure prints the shrunk input and a reproduce blob.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest --durations=5 \
		tests/common/test_fuzz_roundtrip.py tests/common/test_fuzz_decoder.py \
		tests/common/test_fuzz_regressions.py tests/vtn/test_fuzz_requests.py

typecheck: $(STAMP)
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m tests.benchmarks

demo: $(STAMP)
	$(PY) -m examples.demo

# The conformance kit against our own VTN and VEN, simpleHttp pull and push (two minutes or
# so): a summary per side on the console, the reports under var/conformance/.
conformance: $(STAMP)
	$(PY) -m tests.conformance_runs --out var/conformance

certs: $(STAMP)
	$(PY) -m certs

lint: $(STAMP)
	$(PY) -m ruff check .

# Regenerate the lock after a change to pyproject.toml's dependencies, or to take newer
# releases (`make lock UPGRADE=1`); then run `make test` and commit both files.
lock: $(STAMP)
	$(VENV)/bin/uv $(UV_COMPILE) $(if $(UPGRADE),--upgrade) -o $(LOCK)
	@touch $(LOCK)

# Early warning: the newest releases pyproject.toml allows, in a second environment, through
# the whole suite. Not part of CI (its result depends on the day); run it before `make lock`.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-latest/bin/python .ci/lock_drift.py $(LOCK)
	.venv-latest/bin/python -m pytest -p no:cacheprovider

# The lower bounds in pyproject.toml, checked: the oldest allowed release of every direct
# dependency, through the whole suite.
test-oldest: $(STAMP)
	rm -rf .venv-oldest
	$(PYTHON) -m venv .venv-oldest
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --python-version 3.11 \
		--resolution lowest-direct --quiet -o .venv-oldest/requirements.txt
	.venv-oldest/bin/python -m pip install --quiet -r .venv-oldest/requirements.txt
	.venv-oldest/bin/python -m pip install --quiet --no-deps -e .
	.venv-oldest/bin/python .ci/lock_drift.py $(LOCK)
	.venv-oldest/bin/python -m pytest -p no:cacheprovider

clean:
	rm -rf $(VENV) .venv-latest .venv-oldest var .pytest_cache .mypy_cache
