"""From the ``data`` config section to a ready DataModule, with every option checked first."""

from __future__ import annotations

from typing import Any

import numpy as np

from genclust.config.data import DataOptions
from genclust.data.datamodule import ArrayDataModule
from genclust.data.readers import SOURCES
from genclust.errors import UserError

# Keys every data section has, which are not reader options. ``epochs`` is the data's suggested
# training length, read by the trainer config (trainer.max_epochs: ${data.epochs}).
DATAMODULE_KEYS = tuple(DataOptions.model_fields)
# Beyond this magnitude a value's square overflows float32 (max 3.4e38): a reconstruction loss
# on such raw values is inf from the first step.
LARGEST_TRAINABLE = float(np.sqrt(np.finfo(np.float32).max))


def build_datamodule(
    options: DataOptions, seed: int, scaling: dict[str, Any] | None = None
) -> ArrayDataModule:
    """The data ``options`` describe, read by their source's reader, batched and scaled.

    ``scaling`` standardises with a training run's statistics instead of the data's own.
    """
    reader = SOURCES[options.name]
    datamodule = ArrayDataModule(
        reader(**reader_options(options)),
        batch_size=options.batch_size,
        seed=seed,
        standardize=options.standardize,
        scaling=scaling,
        min_batches=options.min_batches,
    )
    _check_trainable_scale(datamodule)
    return datamodule


def reader_options(options: DataOptions) -> dict[str, Any]:
    """The options of ``options.name``'s reader: the section without what every source has."""
    return options.model_dump(exclude=set(DATAMODULE_KEYS))


def _check_trainable_scale(datamodule: ArrayDataModule) -> None:
    """Refuse values the model cannot train on or encode, naming the feature that holds them.

    The largest magnitude per feature follows from the data's range and the scaling, without
    another pass over the data."""
    summary, scaling = datamodule.data.summary, datamodule.scaling
    lowest, highest = summary.minimum, summary.maximum
    if scaling is not None:
        mean, std = scaling["mean"].double().numpy(), scaling["std"].double().numpy()
        lowest, highest = (lowest - mean) / std, (highest - mean) / std
    largest = np.maximum(np.abs(lowest), np.abs(highest)).reshape(-1)
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
