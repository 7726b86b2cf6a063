"""Data: readers for each source, the ArrayData record, and the Lightning DataModule."""

from genclust.data.arrays import ArrayData
from genclust.data.build import DATAMODULE_KEYS, build_datamodule
from genclust.data.datamodule import ArrayDataModule
from genclust.data.loader import IndexBatchLoader
from genclust.data.readers import SOURCES

__all__ = [
    "DATAMODULE_KEYS",
    "SOURCES",
    "ArrayData",
    "ArrayDataModule",
    "IndexBatchLoader",
    "build_datamodule",
]
