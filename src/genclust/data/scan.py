"""One pass over a data set's samples, block by block: what the checks and the scaling need.

The pass never holds more than one block of rows (plus its float64 copy), so it works the same on
an in-memory array and on a memory-mapped file larger than memory. Per-feature mean and variance
are merged across blocks with Chan et al.'s pairwise update, which stays accurate where the
one-pass sum of squares cancels (large means, small spreads).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BLOCK_BYTES = 32 * 2**20  # float32 bytes of one block of rows
SHOWN_ROWS = 5  # how many offending rows a message names


class Rows(Protocol):
    """What the pass reads: float32 samples, ``rows[start:stop]`` giving a block of them."""

    shape: tuple[int, ...]

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice) -> np.ndarray: ...


@dataclass(frozen=True)
class SampleSummary:
    """Per-feature statistics of ``n`` samples (arrays of the sample shape, float64), and where
    non-finite values are: their count, the number of rows holding them, the first such rows."""

    n: int
    mean: np.ndarray
    variance: np.ndarray  # population variance (divided by n)
    minimum: np.ndarray
    maximum: np.ndarray
    nonfinite_values: int
    nonfinite_rows: int
    first_nonfinite_rows: list[int]

    @property
    def lowest(self) -> float:
        return float(self.minimum.min())

    @property
    def highest(self) -> float:
        return float(self.maximum.max())


def rows_per_block(sample_shape: tuple[int, ...]) -> int:
    """Rows of float32 samples in about ``BLOCK_BYTES``."""
    return max(1, BLOCK_BYTES // (4 * max(1, math.prod(sample_shape))))


def blocks(rows: Rows) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, block) over every row, in order."""
    step = rows_per_block(tuple(rows.shape[1:]))
    for start in range(0, len(rows), step):
        yield start, rows[start : start + step]


def summarise(rows: Rows) -> SampleSummary:
    """Statistics of every sample of ``rows`` (at least one row), read block by block."""
    shape = tuple(rows.shape[1:])
    n, mean, m2 = 0, np.zeros(shape), np.zeros(shape)
    minimum, maximum = np.full(shape, np.inf), np.full(shape, -np.inf)
    bad_values, bad_rows, first_bad = 0, 0, []
    for start, block in blocks(rows):
        finite = np.isfinite(block)
        if not finite.all():
            bad = ~finite.reshape(len(block), -1)
            rows_here = np.flatnonzero(bad.any(axis=1))
            bad_values += int(bad.sum())
            bad_rows += len(rows_here)
            first_bad += (rows_here[: SHOWN_ROWS - len(first_bad)] + start).tolist()
            continue  # the data is refused anyway; statistics of the rest would mislead
        np.minimum(minimum, block.min(axis=0), out=minimum)
        np.maximum(maximum, block.max(axis=0), out=maximum)
        deviations = block.reshape(len(block), -1).astype(np.float64)
        block_mean = deviations.mean(axis=0)
        deviations -= block_mean
        block_m2 = np.einsum("ij,ij->j", deviations, deviations)  # no temporary of the block
        delta, total = block_mean.reshape(shape) - mean, n + len(block)
        mean += delta * (len(block) / total)
        m2 += block_m2.reshape(shape) + delta**2 * (n * len(block) / total)
        n = total
    return SampleSummary(
        n=len(rows),
        mean=mean,
        variance=m2 / max(n, 1),
        minimum=minimum,
        maximum=maximum,
        nonfinite_values=bad_values,
        nonfinite_rows=bad_rows,
        first_nonfinite_rows=first_bad,
    )
