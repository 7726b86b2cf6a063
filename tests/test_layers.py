"""Imports run one way (pyproject.toml's import-linter contract): data knows no model, models
know nothing of the analysis, the analysis works on arrays, and nothing imports a command."""

from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_imports_follow_the_layers():
    configuration.configure()
    assert lint_imports(config_filename=str(PYPROJECT), no_logo=True, cache_dir=None)
