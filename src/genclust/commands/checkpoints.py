"""The run's checkpoint after every epoch, written beside its destination and renamed over it;
the one before is kept.

Lightning's own writer (through fsspec) writes a temporary file in $TMPDIR and moves it over the
destination: when the run dir is on another filesystem, as on most clusters, that move is a
copy, and a full disk leaves a truncated last.ckpt, the run's only one. Here a checkpoint goes
to a temporary file in its own directory and is renamed over the old one only once complete
(rundir.files.write_atomic); the last.ckpt it replaces stays as previous.ckpt, which
``resume=`` falls back to if last.ckpt is ever found damaged.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
from functools import partial
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Checkpoint
from pytorch_lightning.plugins.io import TorchCheckpointIO

from genclust.rundir.files import cannot_write, write_atomic
from genclust.rundir.names import CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE


class LastCheckpoint(Checkpoint):
    """Writes ``path`` (the run's last.ckpt) at the end of every training epoch, nothing else.

    Lightning's ModelCheckpoint does the same here, but at every batch it checks whether a step
    or time interval is due, and builds its state key anew for each hook Lightning calls.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.save_checkpoint(self.path)  # on every process: saving is collective under DDP


# What checkpoints written before LastCheckpoint keep of Lightning's ModelCheckpoint; nothing
# reads it, and Lightning would ask for the callback again on resume.
_MODEL_CHECKPOINT_STATE = "ModelCheckpoint{"


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's CheckpointIO for genclust runs (used on the rank that writes, rank 0)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise cannot_write(path.parent, error) from None
        keep_previous = None
        if path.name == CHECKPOINT_FILE.name and path.is_file():
            keep_previous = partial(_also_name, path, path.with_name(PREVIOUS_CHECKPOINT_FILE.name))
        # Serialised in memory first: torch's writer turns a failed write of a full disk into a
        # RuntimeError about file positions; one plain write fails with ENOSPC, saying why.
        serialised = io.BytesIO()
        torch.save(checkpoint, serialised)
        write_atomic(
            path,
            lambda stream: stream.write(serialised.getbuffer()),
            binary=True,
            before_replacing=keep_previous,
        )

    def load_checkpoint(self, path: str | os.PathLike, *args: Any, **kwargs: Any) -> dict[str, Any]:
        checkpoint = super().load_checkpoint(path, *args, **kwargs)
        states = checkpoint.get("callbacks", {})
        for key in [key for key in states if str(key).startswith(_MODEL_CHECKPOINT_STATE)]:
            del states[key]
        return checkpoint


def _also_name(source: Path, target: Path) -> None:
    """Make ``target`` a second name of ``source`` (a hard link; a copy where the filesystem
    has none), replacing ``target`` atomically."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            os.link(source, temporary)
        except OSError:
            shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise cannot_write(target, error) from None
