"""Samples read through a read-only memory map of a ``.npy`` file: data larger than memory.

Rows are copied out of the map when asked for (a training batch, a block of a scan, a batch to
encode) and converted to float32 samples on the way. After each read the mapped pages are handed
back to the kernel (``madvise(MADV_DONTNEED)``): they stay in the page cache, shared and
reclaimable, but leave this process's resident memory, which so stays the size of a batch rather
than growing to the size of the file as the reads go on.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from pathlib import Path

import numpy as np

# data.mmap=auto maps a file larger than this. A fixed size, not a share of the free memory: the
# same config takes the same path on every machine and on every DDP rank, and both paths give
# the same samples, so the choice changes memory and speed, never results.
MAP_ABOVE_BYTES = 2**30


class MappedSamples:
    """The rows of the array ``header`` describes in ``file``, through ``convert`` (a function of
    a block of raw rows giving float32 samples) and never all at once.

    ``header`` is ``np.load(file, mmap_mode="r")``: numpy parses and checks the file's header;
    the map itself is this object's own, so that its pages can be released.
    """

    dtype = np.dtype(np.float32)

    def __init__(
        self, file: Path, header: np.memmap, convert: Callable[[np.ndarray], np.ndarray]
    ) -> None:
        self.file = file
        with file.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._raw = np.ndarray(header.shape, header.dtype, buffer=self._map, offset=header.offset)
        self._convert = convert
        self.shape = (len(self._raw), *convert(self._raw[:1]).shape[1:])
        self.release()

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        """Rows ``index`` (a slice or an array of row numbers) as float32 samples, a copy."""
        rows = self._convert(np.array(self._raw[index]))
        self.release()
        return rows

    def release(self) -> None:
        """Hand the mapped pages back: reads fault them in again from the page cache."""
        self._map.madvise(mmap.MADV_DONTNEED)
