# Two commands do all the set-up: `make train` and `make test` create (or reuse) .venv,
# install genclust into it, then run. Pass Hydra overrides with ARGS="model=gan seed=1".
VENV ?= .venv
PYTHON ?= python3
INSTALLED := $(VENV)/.installed
# The torch release the tests run with. On Linux, PyPI's default torch wheels are CUDA builds;
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu gets the CPU-only one. TORCH= (empty)
# lets pip choose any release pyproject.toml allows: make test TORCH=
TORCH ?= torch==2.13.0

.PHONY: train test test-slow lint

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet $(TORCH) -e '.[test]'
	touch $@

train: $(INSTALLED)
	$(VENV)/bin/genclust train $(ARGS)

# Prints how long the suite took, whatever its outcome.
test: $(INSTALLED)
	@start=$$(date +%s); $(VENV)/bin/python -m pytest $(ARGS); status=$$?; \
	echo "test suite: $$(( $$(date +%s) - start )) s"; exit $$status

test-slow: $(INSTALLED)
	@start=$$(date +%s); $(VENV)/bin/python -m pytest -m slow $(ARGS); status=$$?; \
	echo "slow tests: $$(( $$(date +%s) - start )) s"; exit $$status

lint: $(INSTALLED)
	$(VENV)/bin/ruff check src tests scripts
