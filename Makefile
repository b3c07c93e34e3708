# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-install test-interop venv clean bench fuzz gpu-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e ".[test]"
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m app

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# Installs LayerCraft as a user would (a built wheel in a fresh venv outside the checkout) and
# checks that the app runs and the bundled data loads there.
test-install: $(BIN)/python
	rm -rf build/wheel build/install-venv
	$(BIN)/python -m pip wheel --no-deps --quiet --wheel-dir build/wheel .
	$(PYTHON) -m venv build/install-venv
	build/install-venv/bin/python -m pip install --quiet build/wheel/*.whl
	cd / && QT_QPA_PLATFORM=offscreen $(CURDIR)/build/install-venv/bin/layercraft --smoke
	cd / && $(CURDIR)/build/install-venv/bin/python -c "from engine import datasets; \
	  (x, y), _ = datasets.load('digits'); print('bundled digits:', x.shape)"

# Export/import round trips against the real onnxruntime, Keras 3 (torch backend) and torchrun.
test-interop: $(VENV)/.installed-test
	$(BIN)/python -m pip install -e ".[test,interop-test]"
	QT_QPA_PLATFORM=offscreen KERAS_BACKEND=torch $(BIN)/python -m pytest -m interop

fuzz: $(VENV)/.installed-test
	$(BIN)/python bench/fuzz.py

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

# On a machine with an NVIDIA GPU (after `pip install -e ".[gpu,test]"`): the gpu-marked tests,
# then bench/run.py's cases on CuPy next to PyTorch CUDA (when installed), in one table.
# Without CuPy or a CUDA device it says so and succeeds. Extra bench options: GPU_BENCH="--quick".
gpu-check: $(VENV)/.installed-test
	$(BIN)/python bench/gpu_check.py $(GPU_BENCH)

clean:
	rm -rf $(VENV) build *.egg-info
