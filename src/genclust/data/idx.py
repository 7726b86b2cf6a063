"""Read IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.

Header: two zero bytes, a type code, the number of dimensions, then each dimension as a
big-endian uint32; the values follow, big-endian. Parsed with one ``np.frombuffer``, no loops.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from genclust.errors import UserError

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Return the array stored in the IDX file ``path`` (native byte order).

    A missing, truncated or foreign file raises UserError naming the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read IDX file {path}: {error.strerror}") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise UserError(
                f"{path} is a damaged or truncated gzip file ({error}); download it again"
            ) from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        raise UserError(
            f"{path} is not an IDX file (its first bytes {raw[:4].hex()} are not an "
            "IDX magic number)"
        )
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path} is truncated inside its IDX header; download it again")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise UserError(
            f"{path} holds {len(raw) - header} data bytes, but its header announces "
            f"shape {shape} of {dtype.name} ({expected} bytes): the file is "
            "truncated or corrupt; download it again"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)
