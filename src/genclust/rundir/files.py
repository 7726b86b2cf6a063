"""Atomic file writes: a reader (or a crash) never sees a half-written result file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def write_atomic(path: Path, write: Callable[[IO], Any], binary: bool = False) -> None:
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb" if binary else "w") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, lambda stream: json.dump(data, stream, indent=2, sort_keys=True))


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    import numpy as np  # only here: the command line writes JSON before numpy is loaded

    write_atomic(path, lambda stream: np.savez_compressed(stream, **arrays), binary=True)
