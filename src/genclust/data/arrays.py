"""The in-memory dataset record every reader returns and every later stage reads.

Readers differ (IDX, CSV, NPY, scikit-learn); after them the data is one shape of thing, checked
once here, so models and analysis never meet NaNs, ragged labels or an empty table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from genclust.errors import UserError

VALUE_RANGES = ("unit", "real")
_SHOWN_ROWS = 5  # how many offending rows an error message names


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare
class ArrayData:
    """Samples ``x`` (float32, shape ``(n, *sample_shape)``) with optional labels ``y`` (0..k-1).

    ``value_range`` is ``"unit"`` when every value lies in [0, 1] (so a model may use a sigmoid
    output), else ``"real"``. ``image_shape`` is ``(C, H, W)`` when samples can be drawn as images,
    even if ``x`` stores them flat (digits). ``feature_names`` name the columns of tabular data,
    so messages about a feature can say which.
    """

    x: np.ndarray
    y: np.ndarray | None
    name: str
    value_range: str
    image_shape: tuple[int, int, int] | None
    label_names: list[str] | None = None
    feature_names: list[str] | None = None

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
        if not isinstance(x, np.ndarray) or x.dtype != np.float32:
            raise TypeError(
                f"ArrayData.x must be a float32 array (got {type(x).__name__} "
                f"{getattr(x, 'dtype', '')})"
            )
        if x.ndim < 2 or x.shape[0] == 0 or math.prod(x.shape[1:]) == 0:
            raise UserError(
                f"data '{self.name}' is empty (samples have shape {x.shape}); "
                "it needs at least one sample with at least one value"
            )
        if not np.isfinite(x).all():
            bad = ~np.isfinite(x.reshape(len(x), -1))
            rows = np.flatnonzero(bad.any(axis=1))
            shown = ", ".join(str(r) for r in rows[:_SHOWN_ROWS])
            more = ", ..." if len(rows) > _SHOWN_ROWS else ""
            raise UserError(
                f"data '{self.name}' has {int(bad.sum())} NaN or infinite values in "
                f"{len(rows)} samples (0-based rows {shown}{more}); remove or fill them first"
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
        if self.value_range not in VALUE_RANGES:
            raise ValueError(
                f"value_range must be one of {VALUE_RANGES} (got {self.value_range!r})"
            )
        if self.value_range == "unit" and (self.x.min() < 0 or self.x.max() > 1):
            raise ValueError(
                f"data '{self.name}' claims value_range 'unit' but has values "
                f"in [{self.x.min()}, {self.x.max()}]"
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
