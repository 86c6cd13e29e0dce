# Every target sets up .venv on first use, so `make test` alone works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test sim demo train train-transformer bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# One worker per core, a test file per worker (module fixtures build once); `pytest FILE` alone runs serially.
# pytest exits 5 when it collects nothing: that is a broken suite, not a pass.
test: $(STAMP)
	@PYTHONWARNINGS=error $(PY) -m pytest -q -n auto --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# Cycle-by-cycle verification of the default configs against golden/ (exits 1 on a mismatch).
sim: $(STAMP)
	PYTHONWARNINGS=error $(PY) -m sim $(SIM_ARGS)

# The tiny BitNet model generates text on golden/ and on the Verilated array (exits 1 on a mismatch).
demo: $(STAMP)
	PYTHONWARNINGS=error $(PY) -m lm $(DEMO_ARGS)

# Retrain the shipped model (lm/tiny_bitnet.npz) and its float twin, NumPy only.
train: $(STAMP)
	PYTHONWARNINGS=error $(PY) -m lm.train

# Retrain the shipped BitNet transformer (lm/tiny_transformer/); needs PyTorch, which the project
# does not install (pip install torch into .venv first; ~4 min on 2 cores).
train-transformer: $(STAMP)
	$(PY) -m lm.bitnet.train

# Real builds and simulations: ternary vs int8 baseline, largest array, throughput vs bounds (long:
# builds are cached in build/bench/synth/; BENCH_ARGS=--quick is the CI smoke).
bench: $(STAMP)
	PYTHONWARNINGS=error $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf build .pytest_cache
