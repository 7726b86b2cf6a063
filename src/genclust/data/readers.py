"""Every data source by its config name: ``data.name`` picks a reader, the rest are its options.

Each reader's signature is the schema of its ``conf/data/<name>.yaml``: ``build_datamodule``
checks the user's options against it before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import PositiveFloat, PositiveInt
from sklearn import datasets

from genclust.config.types import Seed
from genclust.data.arrays import ArrayData
from genclust.data.idx import read_idx
from genclust.data.images import load_images
from genclust.data.mnist import load_fashion_mnist, load_mnist
from genclust.data.tables import load_csv, load_npy

__all__ = [
    "SOURCES",
    "load_blobs",
    "load_csv",
    "load_digits",
    "load_fashion_mnist",
    "load_images",
    "load_mnist",
    "load_npy",
    "read_idx",
]


def load_digits() -> ArrayData:
    """scikit-learn's 1797 handwritten digits, 8x8 pixels stored flat (64,), scaled to [0, 1]."""
    digits = datasets.load_digits()
    return ArrayData(
        x=(digits.data / 16.0).astype(np.float32),
        y=digits.target.astype(np.int64),
        name="digits",
        value_range="unit",
        image_shape=(1, 8, 8),
        label_names=[str(d) for d in range(10)],
    )


def load_blobs(
    n_samples: PositiveInt = 1000,
    n_features: PositiveInt = 10,
    centers: PositiveInt = 5,
    cluster_std: PositiveFloat = 1.0,
    seed: Seed = 0,
) -> ArrayData:
    """Isotropic Gaussian clusters: a quick check that a pipeline finds known clusters.

    ``seed`` is the data's own seed, apart from the run's, so runs with different seeds see the
    same points.
    """
    x, y = datasets.make_blobs(
        n_samples=n_samples,
        n_features=n_features,
        centers=centers,
        cluster_std=cluster_std,
        random_state=seed,
    )
    return ArrayData(
        x=x.astype(np.float32),
        y=y.astype(np.int64),
        name="blobs",
        value_range="real",
        image_shape=None,
        label_names=[str(c) for c in range(centers)],
    )


SOURCES: dict[str, Callable[..., ArrayData]] = {
    "digits": load_digits,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "blobs": load_blobs,
    "csv": load_csv,
    "npy": load_npy,
    "images": load_images,
}
