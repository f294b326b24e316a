# make demo / make test create .venv from scratch when missing and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: test demo bench lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[demo]'
	touch $@

test: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m pytest -q -m "not slow and not gpu" --durations=15

demo: $(DEMO_STAMP)
	$(PY) examples/demo.py

bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
