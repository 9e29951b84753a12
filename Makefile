# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test fuzz bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The spark extra too: tests/test_store_spark.py runs whenever Java is found.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/workbench-gui --sample

# loadgroup: tests marked xdist_group (the Spark store's, which share one session) stay in
# one worker; every other test is spread as with the default.
test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto --dist loadgroup

# The hostile-input property tests with 10,000 generated inputs each (make test runs 50), and
# every CDR format reader fuzzed with 10,000 damaged files each (make test runs 6 per format).
fuzz: $(VENV)/.installed-test
	HOSTILE_PROFILE=fuzz QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/test_hostile_input.py tests/test_fuzz_readers.py -k "loads_or or reads_or or reads_with"

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) build *.egg-info
