"""A full or read-only disk, simulated without root at the seam every result file and checkpoint
goes through (genclust.rundir.files._open_temporary), so tests run as any user."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from genclust.rundir import files


class _FailingFile:
    """A file whose first write stores a few bytes, then fails with ``error_number``, as a
    write to a disk that has just filled up does."""

    def __init__(self, stream: IO, error_number: int) -> None:
        self._stream, self._error_number = stream, error_number

    def write(self, data) -> int:
        self._stream.write(data[:64])
        self._stream.flush()
        raise OSError(self._error_number, os.strerror(self._error_number))

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def fail_writes(
    monkeypatch: pytest.MonkeyPatch, error_number: int, when: Callable[[Path], bool]
) -> list[Path]:
    """From the first file ``when`` picks on, every file written through rundir.files fails
    with ``error_number``: ENOSPC midway, like a full disk; EROFS and EACCES at creation, like
    a read-only location. Returns the files that failed."""
    real = files._open_temporary
    failed: list[Path] = []

    def open_temporary(path: Path, binary: bool):
        if not failed and not when(path):
            return real(path, binary)
        failed.append(path)
        if error_number != errno.ENOSPC:
            raise OSError(error_number, os.strerror(error_number), str(path.parent))
        temporary, stream = real(path, binary)
        return temporary, _FailingFile(stream, error_number)

    monkeypatch.setattr(files, "_open_temporary", open_temporary)
    return failed


def temporary_files(folder: Path) -> list[Path]:
    """write_atomic's temporary files left anywhere below ``folder``."""
    return sorted(folder.rglob(".*.tmp"))
