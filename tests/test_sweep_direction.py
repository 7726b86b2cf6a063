"""hparams_search=optuna: the sweeper's direction follows ``objective`` in the composed config."""

from __future__ import annotations

import optuna
import pytest
from tests.conftest import compose_train


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ((), "maximize"),  # the search's default objective, silhouette
        (("objective=acc",), "maximize"),
        (("objective=noise_fraction",), "minimize"),
        (("objective=n_clusters",), "minimize"),
    ],
)
def test_optuna_direction_follows_the_objective(overrides, expected):
    cfg = compose_train("hparams_search=optuna", *overrides, with_hydra=True)
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    direction = cfg.hydra.sweeper.direction  # resolved through genclust_direction
    assert direction == expected
    assert optuna.study.StudyDirection[direction.upper()]  # a direction Optuna knows
