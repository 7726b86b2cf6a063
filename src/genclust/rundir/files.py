"""Atomic file writes: a reader (or a crash, a full disk) never sees a half-written result file.

Every file is written to a temporary name beside its destination, flushed to the disk, then
renamed over it: a rename within one directory is atomic on every filesystem, so the file as it
was before stays whole until the new one is complete. Files are created with the usual
permissions (0666 less the umask), as ``open`` would, so others can read results on a shared
machine when the umask allows it.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from genclust.errors import UserError

if TYPE_CHECKING:
    import numpy as np

# What to do about the errors an output location gives most often.
_ADVICE = {
    errno.ENOSPC: "free some space, or write elsewhere (hydra.run.dir=...)",
    errno.EDQUOT: "free some of your quota, or write elsewhere (hydra.run.dir=...)",
    errno.EROFS: "choose a writable location (hydra.run.dir=...)",
    errno.EACCES: "choose a location you may write to (hydra.run.dir=...)",
    errno.EPERM: "choose a location you may write to (hydra.run.dir=...)",
}


class CannotWrite(UserError):
    """An output file could not be written (full disk, read-only location, ...)."""


def cannot_write(path: str | os.PathLike, error: OSError) -> CannotWrite:
    """The one-line error for ``error`` met while writing ``path``."""
    reason = error.strerror or str(error)
    advice = _ADVICE.get(error.errno)
    return CannotWrite(f"cannot write {path}: {reason}" + (f"; {advice}" if advice else ""))


def write_atomic(
    path: Path,
    write: Callable[[IO], Any],
    binary: bool = False,
    before_replacing: Callable[[], None] | None = None,
) -> None:
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it into place.

    ``before_replacing`` runs once the new file is complete, just before it replaces the old.
    Raises CannotWrite when the file system refuses (the file at ``path``, if any, is untouched
    and no temporary file is left behind).
    """
    path = Path(path)
    try:
        temporary, stream = _open_temporary(path, binary)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        with stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())  # the data is on the disk before the name points at it
        if before_replacing is not None:
            before_replacing()
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise cannot_write(path, error) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _open_temporary(path: Path, binary: bool) -> tuple[Path, IO]:
    """A new file beside ``path`` (a hidden name of its own), open for writing.

    ``os.open`` with mode 0o666 lets the kernel apply the umask (mkstemp would make it 0600).
    """
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        return temporary, os.fdopen(handle, "wb" if binary else "w")


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, lambda stream: json.dump(data, stream, indent=2, sort_keys=True))


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    import numpy as np  # only here: the command line writes JSON before numpy is loaded

    write_atomic(path, lambda stream: np.savez_compressed(stream, **arrays), binary=True)


def write_npy(path: Path, array: np.ndarray) -> None:
    import numpy as np

    write_atomic(path, lambda stream: np.save(stream, array), binary=True)
