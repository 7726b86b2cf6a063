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


class ArrayDataModule(pl.LightningDataModule):
    """Holds ``data`` in memory; ``standardize`` gives every feature zero mean and unit std."""

    def __init__(
        self, data: ArrayData, batch_size: int, seed: int, standardize: bool = False
    ) -> None:
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        self.standardize = standardize
        x = _standardized(data.x) if standardize else data.x
        self.x = torch.from_numpy(np.require(x, np.float32, ["C", "W"]))
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

    def train_dataloader(self) -> IndexBatchLoader:
        """Shuffled batches of equal size (the last partial one is dropped), sharded per rank."""
        rank, world_size = 0, 1
        if self.trainer is not None:
            rank, world_size = self.trainer.global_rank, self.trainer.world_size
        return IndexBatchLoader(
            self.x,
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


def _standardized(x: np.ndarray) -> np.ndarray:
    """Per-feature z-scores; a constant feature keeps std 1 so it becomes all zeros."""
    mean = x.mean(axis=0, dtype=np.float64)
    std = x.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    return ((x - mean) / std).astype(np.float32)
