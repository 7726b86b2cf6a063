"""The Lightning DataModule: all samples as one tensor, training batches by index slices.

It also tells the model what it needs (input shape, value range, image shape, number of
classes), so users never copy those numbers between config files.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytorch_lightning as pl
import torch

from genclust.data.arrays import ArrayData
from genclust.data.loader import IndexBatchLoader
from genclust.errors import UserError

_ROW_BLOCK = 4096  # rows standardised at a time


class ArrayDataModule(pl.LightningDataModule):
    """Holds ``data`` in memory; ``standardize`` gives every feature zero mean and unit std."""

    def __init__(
        self,
        data: ArrayData,
        batch_size: int,
        seed: int,
        standardize: bool = False,
        scaling: dict[str, torch.Tensor] | None = None,
    ) -> None:
        """``scaling``: the training data's feature mean and std, given when new data must be
        standardised exactly like the data a model was trained on (genclust predict)."""
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        self.standardize = standardize
        x = torch.from_numpy(np.require(data.x, np.float32, ["C", "W"]))
        if standardize and scaling is not None and scaling["mean"].shape != x.shape[1:]:
            raise UserError(
                f"the data's samples have shape {tuple(x.shape[1:])}, but the model was "
                f"trained on samples of shape {tuple(scaling['mean'].shape)}"
            )
        self.scaling = (scaling or _feature_scaling(x)) if standardize else None
        self.x = _standardised(x, self.scaling) if self.scaling is not None else x
        self.y = data.y
        self.value_range = "real" if standardize else data.value_range

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    @property
    def n_classes(self) -> int | None:
        return self.data.n_classes

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        return self.data.image_shape

    @property
    def label_names(self) -> list[str] | None:
        return self.data.label_names

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        """Saved in every checkpoint, so predictions standardise new data the same way."""
        return {"scaling": self.scaling} if self.scaling is not None else {}

    def train_dataloader(self) -> IndexBatchLoader:
        """Shuffled batches of equal size (the last partial one is dropped), sharded per rank.

        On a GPU the whole tensor moves to the device once, here, not batch by batch.
        """
        x, rank, world_size = self.x, 0, 1
        if self.trainer is not None:
            x = self.x.to(self.trainer.strategy.root_device)
            rank, world_size = self.trainer.global_rank, self.trainer.world_size
        return IndexBatchLoader(
            x,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            drop_last=True,
            rank=rank,
            world_size=world_size,
        )

    def ordered_batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        """All samples in their original order, e.g. to encode the whole set after training."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive (got {batch_size})")
        yield from self.x.split(batch_size)


def _standardised(x: torch.Tensor, scaling: dict[str, torch.Tensor]) -> torch.Tensor:
    """(x - mean) / std in float64, row block by row block: no overflow midway for values near
    float32's limit, and no full float64 copy of a large data set."""
    mean, std = scaling["mean"].double(), scaling["std"].double()
    return torch.cat([((rows.double() - mean) / std).float() for rows in x.split(_ROW_BLOCK)])


def _feature_scaling(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-feature mean and std (in float64 for accuracy); a constant feature keeps std 1."""
    mean, std = x.double().mean(0), x.double().std(0, unbiased=False)
    std[std == 0] = 1.0
    return {"mean": mean.float(), "std": std.float()}
