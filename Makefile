# Two commands do all the set-up: `make train` and `make test` create (or reuse) .venv,
# install genclust into it, then run. Pass Hydra overrides with ARGS="model=gan seed=1".
VENV ?= .venv
PYTHON ?= python3
INSTALLED := $(VENV)/.installed

.PHONY: train test test-slow lint

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

train: $(INSTALLED)
	$(VENV)/bin/genclust train $(ARGS)

test: $(INSTALLED)
	$(VENV)/bin/python -m pytest $(ARGS)

test-slow: $(INSTALLED)
	$(VENV)/bin/python -m pytest -m slow $(ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check src tests scripts
