"""From the ``data`` config section to a ready DataModule, with every option checked first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genclust.data.datamodule import ArrayDataModule
from genclust.data.readers import SOURCES
from genclust.errors import UserError
from genclust.validation import check_arguments

# Keys of the data section that are not reader options. ``epochs`` is the data's suggested
# training length, read by the trainer config (trainer.max_epochs: ${data.epochs}).
DATAMODULE_KEYS = ("name", "batch_size", "standardize", "epochs")


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
    options.pop("epochs", None)
    standardize = options.pop("standardize", False)
    if not isinstance(standardize, bool):
        raise UserError(f"data.standardize must be true or false (got {standardize!r})")
    reader = SOURCES[name]
    check_arguments(reader, options, "data")
    return ArrayDataModule(
        reader(**options),
        batch_size=batch_size,
        seed=seed,
        standardize=standardize,
        scaling=scaling,
    )
