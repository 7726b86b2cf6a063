"""Ctrl-C or SIGTERM during training: keep the weights and tell the user how to go on."""

from __future__ import annotations

import sys

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities.exceptions import SIGTERMException

from genclust.rundir.names import CHECKPOINT_DIR

INTERRUPTED_CHECKPOINT = "interrupted.ckpt"


class InterruptionReport(Callback):
    """On KeyboardInterrupt or SIGTERM save the weights as they are; on Ctrl-C also print the
    resume command (after SIGTERM the command line prints it, and writes failed.json).

    ``genclust train resume=<dir>`` goes on from ``last.ckpt``, the end of the last full epoch,
    so that the resumed run ends exactly where an uninterrupted one would; the mid-epoch
    ``interrupted.ckpt`` keeps the newest weights for inspection. Lightning then exits with 1
    after Ctrl-C; after SIGTERM genclust exits with 143.
    """

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, KeyboardInterrupt | SIGTERMException):
            return
        run_dir = trainer.default_root_dir
        # Every DDP process stops on the same batch and takes part (rank 0 writes the file).
        trainer.save_checkpoint(f"{run_dir}/{CHECKPOINT_DIR}/{INTERRUPTED_CHECKPOINT}")
        if isinstance(exception, KeyboardInterrupt) and trainer.is_global_zero:
            print(
                f"\ngenclust: interrupted in epoch {trainer.current_epoch}; weights saved in "
                f"{run_dir}/{CHECKPOINT_DIR}/{INTERRUPTED_CHECKPOINT}.\n"
                f"Continue with: genclust train resume={run_dir}",
                file=sys.stderr,
            )
