# make demo / make test create .venv from scratch when missing and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo
# NVRTC is installed with the test extra on Linux x86_64/aarch64: there its kernel check must run
NVRTC := $(if $(filter Linux-x86_64 Linux-aarch64,$(shell uname -s)-$(shell uname -m)),1,)

.PHONY: test test-gpu demo bench lint clean

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
	# the GPU tests once more on a CPU stand-in for CuPy (tests/cupy_emulator.py): deepgrad's CUDA
	# kernels compiled for the CPU, and each also by NVIDIA's NVRTC for the H100 (tests/nvrtc.py),
	# then the plain CuPy array code (kernels off)
	DEEPGRAD_TEST_NVRTC=$(NVRTC) DEEPGRAD_TEST_CUPY_EMULATOR=1 $(PY) -m pytest -q -m "gpu and not slow" -p no:cacheprovider
	DEEPGRAD_TEST_CUPY_EMULATOR=1 DEEPGRAD_KERNELS=0 $(PY) -m pytest -q -m "gpu and not slow" -p no:cacheprovider \
		--ignore=tests/gpu
	# and the Keras suite with deepgrad.set_default_device('cuda') on that stand-in
	DEEPGRAD_TEST_CUPY_EMULATOR=1 DEEPGRAD_KERNELS=0 DEEPGRAD_TEST_DEFAULT_DEVICE=cuda $(PY) -m pytest -q \
		-m "not slow and not gpu" -p no:cacheprovider tests/keras

# on a machine with an NVIDIA GPU and CuPy (pip install -e '.[gpu,test]'): every GPU test, kernels included
test-gpu: $(STAMP)
	$(PY) -m pytest -q -m gpu

demo: $(DEMO_STAMP)
	$(PY) examples/demo.py

bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
