"""Training batches cut from the samples by shuffled index slices.

Indexing a tensor (or memory-mapped rows) with a slice of a permutation is one gather per
batch, far cheaper than a torch DataLoader that fetches samples one by one and collates them.
The permutation depends only on (seed, epoch), so a run is reproducible and a resumed run
continues the same sequence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

import numpy as np
import torch


class Samples(Protocol):
    """A tensor, or anything indexed like one by a tensor of row numbers (mapped rows)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor: ...


class IndexBatchLoader:
    """Iterable of ``x[idx]`` batches; with ``world_size > 1`` each rank gets its own shard, and
    reads only the rows of that shard.

    Shards are padded by wrapping around so every rank yields the same number of batches (DDP
    needs that). A shard smaller than ``min_batches`` batches is cut into ``min_batches`` equal
    batches instead (the remainder dropped with ``drop_last``).
    """

    def __init__(
        self,
        x: Samples,
        batch_size: int,
        shuffle: bool,
        seed: int,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
        min_batches: int = 1,
    ) -> None:
        if batch_size < 1 or min_batches < 1:
            raise ValueError(
                f"batch_size and min_batches must be positive (got {batch_size}, {min_batches})"
            )
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size) (got {rank}, {world_size})")
        if len(x) == 0:
            raise ValueError("cannot batch an empty tensor")
        self.x = x
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.rank = rank
        self.world_size = world_size
        self.min_batches = min_batches
        self._epoch = 0

    @property
    def sampler(self) -> IndexBatchLoader:
        """Lightning calls ``loader.sampler.set_epoch(e)`` at each epoch start, also on resume."""
        return self

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch ``epoch``'s permutation."""
        self._epoch = epoch

    def __len__(self) -> int:
        per_rank, batch = self._per_rank(), self.served_batch_size
        return per_rank // batch if self.drop_last else math.ceil(per_rank / batch)

    def __iter__(self) -> Iterator[torch.Tensor]:
        # On the samples' device (a GPU's, for an in-memory tensor moved there): one copy of the
        # epoch's order instead of one small copy per batch.
        indices = self._shard().to(getattr(self.x, "device", "cpu"))
        batch = self.served_batch_size
        if self.drop_last:
            indices = indices[: len(indices) // batch * batch]
        for idx in indices.split(batch):
            yield self.x[idx]
        self._epoch += 1

    def _per_rank(self) -> int:
        return math.ceil(len(self.x) / self.world_size)

    @property
    def served_batch_size(self) -> int:
        """The size of the batches served: ``batch_size``, or less on a small shard."""
        return min(self.batch_size, max(1, self._per_rank() // self.min_batches))

    def _shard(self) -> torch.Tensor:
        n = len(self.x)
        if self.shuffle:
            generator = torch.Generator().manual_seed(_epoch_seed(self.seed, self._epoch))
            order = torch.randperm(n, generator=generator)
        else:
            order = torch.arange(n)
        if self.world_size == 1:
            return order
        total = self._per_rank() * self.world_size
        order = order.repeat(math.ceil(total / n))[:total]
        return order[self.rank :: self.world_size]


def _epoch_seed(seed: int, epoch: int) -> int:
    """Mix (seed, epoch) into one 64-bit seed, so nearby pairs give unrelated permutations."""
    state = np.random.SeedSequence([seed % 2**64, epoch]).generate_state(1, np.uint64)
    return int(state[0])
