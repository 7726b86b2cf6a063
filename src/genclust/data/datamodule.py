"""The Lightning DataModule: the samples as one tensor (or rows read from a memory map on
demand), training batches by index.

It also tells the model what it needs (input shape, value range, image shape, number of
classes), so users never copy those numbers between config files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pytorch_lightning as pl
import torch

from genclust.data.arrays import ArrayData
from genclust.data.loader import IndexBatchLoader
from genclust.data.mapped import MappedSamples
from genclust.data.scan import SampleSummary, rows_per_block
from genclust.errors import UserError

log = logging.getLogger(__name__)

Scaling = dict[str, torch.Tensor]  # "mean" and "std" per feature, float32, of the sample shape


class ArrayDataModule(pl.LightningDataModule):
    """Serves ``data``; ``standardize`` gives every feature zero mean and unit std.

    In-memory data is standardised once, as a whole; memory-mapped data batch by batch as it is
    read, with the same arithmetic, so both give the same samples.
    """

    def __init__(
        self,
        data: ArrayData,
        batch_size: int,
        seed: int,
        standardize: bool = False,
        scaling: Scaling | None = None,
        min_batches: int = 1,
    ) -> None:
        """``scaling``: the training data's feature mean and std, given when new data must be
        standardised exactly like the data a model was trained on (genclust predict).
        ``min_batches``: the fewest training steps an epoch takes; on data smaller than that
        many batches, the batches shrink."""
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.min_batches = min_batches
        self.seed = seed
        self.standardize = standardize
        if standardize and scaling is not None and scaling["mean"].shape != data.sample_shape:
            raise UserError(
                f"the data's samples have shape {data.sample_shape}, but the model was "
                f"trained on samples of shape {tuple(scaling['mean'].shape)}"
            )
        self.scaling = (scaling or feature_scaling(data.summary)) if standardize else None
        scale = Standardiser(self.scaling) if self.scaling is not None else None
        self.x: torch.Tensor | MappedRows
        if isinstance(data.x, MappedSamples):
            self.x = MappedRows(data.x, scale)
        else:
            x = np.require(data.x, np.float32, ["C", "W"])
            self.x = torch.from_numpy(scale(x) if scale is not None else x)
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

    def state_dict(self) -> dict[str, Scaling]:
        """Saved in every checkpoint, so predictions standardise new data the same way."""
        return {"scaling": self.scaling} if self.scaling is not None else {}

    def train_dataloader(self) -> IndexBatchLoader:
        """Shuffled batches of equal size (the last partial one is dropped), sharded per rank.

        On a GPU an in-memory tensor moves to the device once, here, not batch by batch; mapped
        rows stay in their file, and each rank reads only the rows of its own batches.
        """
        x, rank, world_size = self.x, 0, 1
        if self.trainer is not None:
            if isinstance(x, torch.Tensor):
                x = x.to(self.trainer.strategy.root_device)
            rank, world_size = self.trainer.global_rank, self.trainer.world_size
        loader = IndexBatchLoader(
            x,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            drop_last=True,
            rank=rank,
            world_size=world_size,
            min_batches=self.min_batches,
        )
        if loader.served_batch_size < self.batch_size and rank == 0:
            log.info(
                "data: batches of %d samples, not data.batch_size=%d: each epoch takes at "
                "least data.min_batches=%d steps",
                loader.served_batch_size,
                self.batch_size,
                self.min_batches,
            )
        return loader

    def ordered_batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        """All samples in their original order, e.g. to encode the whole set after training."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive (got {batch_size})")
        yield from self.x.split(batch_size)


class Standardiser:
    """(x - mean) / std in float64, rounded to float32 once: no overflow midway for values near
    float32's limit, and the same result whether rows come all at once or batch by batch."""

    def __init__(self, scaling: Scaling) -> None:
        self.mean = scaling["mean"].double().numpy()
        self.std = scaling["std"].double().numpy()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Standardised ``x``, row block by row block: no float64 copy of more than a block."""
        out = np.empty(x.shape, np.float32)
        step = rows_per_block(x.shape[1:])
        for start in range(0, len(x), step):
            out[start : start + step] = (x[start : start + step] - self.mean) / self.std
        return out


class MappedRows:
    """Rows of memory-mapped samples as float32 tensors, standardised as they are read.

    Indexed like a tensor by a slice or by a tensor of row numbers (what the batch loader, the
    models and the encoder ask for); the file is never read as a whole.
    """

    def __init__(self, samples: MappedSamples, scale: Standardiser | None) -> None:
        self.samples = samples
        self.scale = scale

    @property
    def shape(self) -> tuple[int, ...]:
        return self.samples.shape

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: slice | torch.Tensor) -> torch.Tensor:
        if isinstance(index, torch.Tensor):
            index = index.numpy()
        rows = self.samples[index]
        return torch.from_numpy(self.scale(rows) if self.scale is not None else rows)

    def split(self, batch_size: int) -> Iterator[torch.Tensor]:
        """Consecutive batches of ``batch_size`` rows, like ``torch.Tensor.split``."""
        for start in range(0, len(self), batch_size):
            yield self[start : start + batch_size]


def feature_scaling(summary: SampleSummary) -> Scaling:
    """Per-feature mean and std of the data; a constant feature keeps std 1.

    A spread below float32's resolution at the feature's value is rounding in the sums, or a
    rare value one float32 step away: standardising would blow it up, so it counts as constant.
    """
    std = np.sqrt(summary.variance)
    std[std <= np.finfo(np.float32).eps * np.abs(summary.mean)] = 1.0
    return {
        "mean": torch.from_numpy(summary.mean).float(),
        "std": torch.from_numpy(std).float(),
    }
