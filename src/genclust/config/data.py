"""The ``data`` section: one schema per data source, chosen by ``data.name`` (conf/data/)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from genclust.config.base import Options
from genclust.config.types import PositiveInt, PositiveNumber, Seed

# Options that name a file or folder. Relative ones are made absolute on the command line, before
# Hydra saves the run's config (config.overrides), so that `genclust cluster`, `predict` and
# `resume=` read the same files from any working directory.
PATH_OPTIONS = ("path", "labels_path", "root")


class DataOptions(Options):
    """What every source has: how it is batched and scaled, and how long to train on it."""

    name: str
    batch_size: PositiveInt  # samples per training step per device
    # Steps an epoch takes at least. 1 for runs saved before it existed: they served data
    # smaller than a batch as one batch.
    min_batches: PositiveInt = 1
    standardize: bool  # zero mean and unit std per feature
    epochs: PositiveInt  # the data's default training length (trainer.max_epochs refers to it)


class DigitsOptions(DataOptions):
    name: Literal["digits"]


class IDXOptions(DataOptions):
    """MNIST-like data: four IDX files in a folder."""

    root: str | None
    split: Literal["train", "test", "all"]


class MNISTOptions(IDXOptions):
    name: Literal["mnist"]


class FashionMNISTOptions(IDXOptions):
    name: Literal["fashion_mnist"]


class BlobsOptions(DataOptions):
    name: Literal["blobs"]
    n_samples: PositiveInt
    n_features: PositiveInt
    centers: PositiveInt
    cluster_std: PositiveNumber
    seed: Seed  # the data's own seed, apart from the run's


class CSVOptions(DataOptions):
    name: Literal["csv"]
    path: str | None
    label_column: str | None
    delimiter: str
    # Columns that are neither features nor labels (ids, notes); one name alone is a list of one.
    drop_columns: Annotated[list[str], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]


class NpyOptions(DataOptions):
    name: Literal["npy"]
    path: str | None
    labels_path: str | None
    mmap: Literal[True, False, "auto"]  # read rows from the file on demand; auto: above 1 GiB


# An image side in pixels; beyond 4096 a data set of even a few images outgrows memory.
ImageSide = Annotated[int, Field(ge=1, le=4096)]
# [height, width]; one number is a square.
ImageSize = Annotated[
    list[ImageSide],
    BeforeValidator(lambda v: [v, v] if isinstance(v, int) and not isinstance(v, bool) else v),
    Field(min_length=2, max_length=2),
]


class ImagesOptions(DataOptions):
    """A folder of image files: class subfolders give labels, a flat folder is unlabelled."""

    name: Literal["images"]
    path: str | None
    size: ImageSize
    channels: Literal[1, 3]  # greyscale or RGB


AnyDataOptions = Annotated[
    DigitsOptions
    | MNISTOptions
    | FashionMNISTOptions
    | BlobsOptions
    | CSVOptions
    | NpyOptions
    | ImagesOptions,
    Field(discriminator="name"),
]
