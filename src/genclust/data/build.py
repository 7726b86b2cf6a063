"""From the ``data`` config section to a ready DataModule, with every option checked first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from genclust.data.datamodule import ArrayDataModule
from genclust.data.readers import SOURCES
from genclust.errors import UserError
from genclust.validation import check_arguments

# Keys of the data section that are not reader options. ``epochs`` is the data's suggested
# training length, read by the trainer config (trainer.max_epochs: ${data.epochs}).
DATAMODULE_KEYS = ("name", "batch_size", "standardize", "epochs")
# Beyond this magnitude a value's square overflows float32 (max 3.4e38): a reconstruction loss
# on such raw values is inf from the first step.
LARGEST_TRAINABLE = float(np.sqrt(np.finfo(np.float32).max))


def build_datamodule(
    data_cfg: Mapping[str, Any], seed: int, scaling: dict[str, Any] | None = None
) -> ArrayDataModule:
    """``data_cfg``: ``name`` (a SOURCES key), ``batch_size``, ``standardize``, reader options.

    The reader options are checked against the reader's signature before any file is opened.
    ``scaling`` standardises with a training run's statistics instead of the data's own.
    """
    options = dict(data_cfg)
    name = options.pop("name", None)
    if name not in SOURCES:
        raise UserError(
            f"data.name must be one of {', '.join(SOURCES)} (got {name!r}); "
            "pick one with data=<name>"
        )
    batch_size = options.pop("batch_size", None)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"data.batch_size must be a positive integer (got {batch_size!r})")
    epochs = options.pop("epochs", 1)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise UserError(f"data.epochs must be a positive integer (got {epochs!r})")
    standardize = options.pop("standardize", False)
    if not isinstance(standardize, bool):
        raise UserError(f"data.standardize must be true or false (got {standardize!r})")
    reader = SOURCES[name]
    datamodule = ArrayDataModule(
        reader(**check_arguments(reader, options, "data")),
        batch_size=batch_size,
        seed=seed,
        standardize=standardize,
        scaling=scaling,
    )
    _check_trainable_scale(datamodule)
    return datamodule


def _check_trainable_scale(datamodule: ArrayDataModule) -> None:
    """Refuse values the model cannot train on or encode, naming the feature that holds them."""
    x = datamodule.x.reshape(len(datamodule.x), -1)
    largest = x.abs().amax(dim=0)
    if bool((largest <= LARGEST_TRAINABLE).all()):
        return
    feature = int(largest.argmax())
    names = datamodule.data.feature_names
    where = f"column {names[feature]!r}" if names else f"feature {feature} (0-based, flattened)"
    if datamodule.standardize:  # only with a training run's scaling (genclust predict)
        problem = "after standardising with the training data's mean and std"
        fix = "this data lies far outside the range of the data the model was trained on"
    else:
        problem, fix = "unstandardised", "set data.standardize=true or rescale it"
    raise UserError(
        f"data '{datamodule.data.name}': {where} reaches {float(largest[feature]):.3g} "
        f"{problem}; values beyond {LARGEST_TRAINABLE:.2g} overflow float32 in the model: {fix}"
    )
