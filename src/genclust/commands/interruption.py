"""Ctrl-C during training: keep the weights and tell the user how to go on."""

from __future__ import annotations

import sys

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from genclust.rundir.names import CHECKPOINT_DIR

INTERRUPTED_CHECKPOINT = "interrupted.ckpt"


class InterruptionReport(Callback):
    """On KeyboardInterrupt save the weights as they are and print the resume command.

    ``genclust train resume=<dir>`` goes on from ``last.ckpt``, the end of the last full epoch,
    so that the resumed run ends exactly where an uninterrupted one would; the mid-epoch
    ``interrupted.ckpt`` keeps the newest weights for inspection. Lightning then exits with 1.
    """

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, KeyboardInterrupt) or not trainer.is_global_zero:
            return
        run_dir = trainer.default_root_dir
        trainer.save_checkpoint(f"{run_dir}/{CHECKPOINT_DIR}/{INTERRUPTED_CHECKPOINT}")
        print(
            f"\ngenclust: interrupted in epoch {trainer.current_epoch}; weights saved in "
            f"{run_dir}/{CHECKPOINT_DIR}/{INTERRUPTED_CHECKPOINT}.\n"
            f"Continue with: genclust train resume={run_dir}",
            file=sys.stderr,
        )
