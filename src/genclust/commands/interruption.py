"""Ctrl-C or SIGTERM during training: stop cleanly, keep the weights, say how to go on."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities.exceptions import SIGTERMException

from genclust.rundir.names import CHECKPOINT_DIR

INTERRUPTED_CHECKPOINT = "interrupted.ckpt"


class Interruption(Callback):
    """SIGTERM or Ctrl-C while training: stop cleanly, save the weights as they are, say how to
    go on. One callback rather than two: Lightning calls every hook of every callback, some 8
    times a batch, even the hooks a callback leaves empty.

    SIGTERM: every process stops after the same batch (SIGTERMException). Lightning's own
    handler broadcasts inside the signal handler and forwards the signal to the DDP workers,
    whose handlers broadcast again: collectives that need not pair up (with two gloo processes a
    worker was left waiting in a broadcast nobody joined). This handler only takes note; after
    each batch (and once training ends) the processes agree whether any of them was signalled,
    and all stop at that same point.

    ``genclust train resume=<dir>`` goes on from ``last.ckpt``, the end of the last full epoch,
    so that the resumed run ends exactly where an uninterrupted one would; the mid-epoch
    ``interrupted.ckpt`` keeps the newest weights for inspection. After Ctrl-C the resume
    command is printed here and Lightning exits with 1; after SIGTERM the command line prints
    it, writes failed.json and exits with 143.
    """

    def __init__(self) -> None:
        self._signalled = False

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Lightning installed its handler just before; it puts back the previous one at the end.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._take_note)

    def _take_note(self, signum: int, frame: FrameType | None) -> None:
        self._signalled = True

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        self._stop_if_signalled(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stop_if_signalled(trainer)  # signalled after the last batch: before the analysis

    def _stop_if_signalled(self, trainer: pl.Trainer) -> None:
        if trainer.strategy.reduce_boolean_decision(self._signalled, all=False):
            raise SIGTERMException

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        run_dir = trainer.default_root_dir
        path = f"{run_dir}/{CHECKPOINT_DIR}/{INTERRUPTED_CHECKPOINT}"
        # Saving is a collective step: after SIGTERM every process stops at the same point;
        # Ctrl-C reaches the DDP processes at different points, so only a single process saves
        # then.
        if isinstance(exception, SIGTERMException) or (
            isinstance(exception, KeyboardInterrupt) and trainer.world_size == 1
        ):
            trainer.save_checkpoint(path)
        if isinstance(exception, KeyboardInterrupt) and trainer.is_global_zero:
            saved = f"; weights saved in {path}" if trainer.world_size == 1 else ""
            print(
                f"\ngenclust: interrupted in epoch {trainer.current_epoch}{saved}.\n"
                f"Continue with: genclust train resume={run_dir}",
                file=sys.stderr,
            )
