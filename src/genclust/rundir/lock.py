"""One process trains a run dir at a time.

The process that trains a run holds an OS lock (``flock``) on ``<run>/train.lock`` until it
ends. The kernel drops the lock when the process dies, however it dies, so a killed run can be
resumed at once, while a second ``resume=`` of a run that is still training is refused. Only a
run's first process takes the lock: Lightning's DDP workers, and the further tasks SLURM starts
for one run, train the same run beside it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genclust.errors import UserError
from genclust.rundir.files import cannot_write
from genclust.rundir.names import LOCK_FILE

log = logging.getLogger(__name__)

# Launchers set these in every process of one run (torchrun, Lightning's DDP, srun); only the
# first process has them all unset or 0.
_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID")


class RunInUse(UserError):
    """Another live process trains this run dir; nothing of the run may be touched."""


def is_first_process() -> bool:
    """Whether this is the first (or only) process of a run."""
    return all(os.environ.get(name, "0") == "0" for name in _RANK_VARIABLES)


@contextmanager
def training_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock while the block runs; RunInUse if another process holds it.

    A no-op in a run's further processes (DDP workers), whose first process holds it.
    """
    if not is_first_process():
        yield
        return
    path = Path(run_dir) / LOCK_FILE
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        _lock(handle, path)
        yield
    finally:
        os.close(handle)  # releases the lock


def is_training(run_dir: Path) -> bool:
    """Whether a live process holds ``run_dir``'s lock (is training it now)."""
    try:
        handle = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False  # never locked: made before locks, or never trained
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False  # a filesystem without locks
    finally:
        os.close(handle)


def _lock(handle: int, path: Path) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(handle, 200, 0).decode(errors="replace").strip() or "another process"
        raise RunInUse(
            f"{path.parent} is being trained by {holder}; wait for it to end, or stop it and "
            "resume then"
        ) from None
    except OSError as error:  # some network filesystems offer no locks
        log.warning(
            "cannot lock %s (%s): a second resume= of this run would not be refused",
            path,
            error.strerror,
        )
        return
    os.ftruncate(handle, 0)  # who holds it, for the message above
    os.pwrite(handle, f"process {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
