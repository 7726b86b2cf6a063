"""The dataset record every reader returns and every later stage reads.

Readers differ (IDX, CSV, NPY, image folders, scikit-learn); after them the data is one shape of
thing, checked once here, so models and analysis never meet NaNs, ragged labels or an empty table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from genclust.data.mapped import MappedSamples
from genclust.data.scan import SampleSummary, summarise
from genclust.errors import UserError

VALUE_RANGES = ("unit", "real")


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare
class ArrayData:
    """Samples ``x`` (float32, shape ``(n, *sample_shape)``) with optional labels ``y`` (0..k-1).

    ``x`` is an in-memory array, or a ``MappedSamples`` that reads rows from a file on demand
    (data larger than memory); either way it is checked here once, block by block, and the
    ``summary`` of that pass (per-feature mean, variance, range) is kept for the scaling.

    ``value_range`` is ``"unit"`` when every value lies in [0, 1] (so a model may use a sigmoid
    output), else ``"real"``; ``None`` derives it from the values. ``image_shape`` is
    ``(C, H, W)`` when samples can be drawn as images, even if ``x`` stores them flat (digits).
    ``feature_names`` name the columns of tabular data, so messages about a feature can say which.
    """

    x: np.ndarray | MappedSamples
    y: np.ndarray | None
    name: str
    value_range: str | None
    image_shape: tuple[int, int, int] | None
    label_names: list[str] | None = None
    feature_names: list[str] | None = None
    summary: SampleSummary = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._check_samples()
        if self.y is not None:
            self._check_labels()
        self._check_metadata()

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.x.shape[1:])

    @property
    def n_classes(self) -> int | None:
        if self.y is None:
            return None
        if self.label_names is not None:
            return len(self.label_names)
        return int(self.y.max()) + 1

    def _check_samples(self) -> None:
        x = self.x
        in_memory = isinstance(x, np.ndarray) and x.dtype == np.float32
        if not (in_memory or isinstance(x, MappedSamples)):
            raise TypeError(
                f"ArrayData.x must be a float32 array or MappedSamples (got {type(x).__name__} "
                f"{getattr(x, 'dtype', '')})"
            )
        if x.ndim < 2 or x.shape[0] == 0 or math.prod(x.shape[1:]) == 0:
            raise UserError(
                f"data '{self.name}' is empty (samples have shape {x.shape}); "
                "it needs at least one sample with at least one value"
            )
        summary = summarise(x)
        object.__setattr__(self, "summary", summary)  # frozen: set once, here
        if summary.nonfinite_values:
            rows = summary.first_nonfinite_rows
            shown = ", ".join(str(r) for r in rows)
            more = ", ..." if summary.nonfinite_rows > len(rows) else ""
            raise UserError(
                f"data '{self.name}' has {summary.nonfinite_values} NaN or infinite values in "
                f"{summary.nonfinite_rows} samples (0-based rows {shown}{more}); "
                "remove or fill them first"
            )

    def _check_labels(self) -> None:
        y = self.y
        if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1:
            raise TypeError("ArrayData.y must be a 1-D int64 array of class indices")
        if len(y) != len(self.x):
            raise UserError(
                f"data '{self.name}' has {len(y)} labels for {len(self.x)} samples; "
                "give exactly one label per sample"
            )
        if len(y) and y.min() < 0:
            raise ValueError("ArrayData.y must hold class indices 0..k-1")
        if self.label_names is not None and len(y) and y.max() >= len(self.label_names):
            raise UserError(
                f"data '{self.name}' has label {int(y.max())} but only "
                f"{len(self.label_names)} classes ({', '.join(self.label_names)})"
            )

    def _check_metadata(self) -> None:
        lowest, highest = self.summary.lowest, self.summary.highest
        if self.value_range is None:
            unit = lowest >= 0 and highest <= 1
            object.__setattr__(self, "value_range", "unit" if unit else "real")
        if self.value_range not in VALUE_RANGES:
            raise ValueError(
                f"value_range must be one of {VALUE_RANGES} (got {self.value_range!r})"
            )
        if self.value_range == "unit" and (lowest < 0 or highest > 1):
            raise ValueError(
                f"data '{self.name}' claims value_range 'unit' but has values "
                f"in [{lowest}, {highest}]"
            )
        if self.image_shape is not None and math.prod(self.image_shape) != math.prod(
            self.sample_shape
        ):
            raise ValueError(
                f"image_shape {self.image_shape} does not match sample shape {self.sample_shape}"
            )


def encode_labels(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Map arbitrary labels (ints or strings) to 0..k-1 in sorted order; also return the names.

    >>> encode_labels(np.array(["b", "a", "b"]))
    (array([1, 0, 1]), ['a', 'b'])
    """
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64).reshape(-1), [str(u) for u in uniques]
