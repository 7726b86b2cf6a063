"""The Lightning Trainer and logger a run trains with, built from the checked config."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger

from genclust.commands.image_grids import ImageGrids
from genclust.commands.interruption import InterruptionReport
from genclust.config.analysis import LoggerOptions
from genclust.config.trainer import TrainerOptions
from genclust.errors import UserError
from genclust.rundir.names import CHECKPOINT_DIR, CHECKPOINT_FILE, TENSORBOARD_DIR


def build_logger(options: LoggerOptions, run_dir: Path) -> TensorBoardLogger | None:
    if options.name == "none":
        return None
    return TensorBoardLogger(
        save_dir=run_dir, name=TENSORBOARD_DIR, version="", default_hp_metric=False
    )


class LossProgressBar(TQDMProgressBar):
    """Lightning's progress bar, showing the model's last logged step loss, which the model
    keeps as a number rather than hand to ``self.log`` (about 2 ms a call)."""

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict:
        return {**super().get_metrics(trainer, pl_module), **pl_module.progress_losses}


def build_trainer(
    options: TrainerOptions,
    run_dir: Path,
    logger: TensorBoardLogger | None,
    find_unused_parameters: bool = False,
) -> pl.Trainer:
    arguments = options.model_dump()
    if find_unused_parameters and options.strategy == "ddp":
        arguments["strategy"] = "ddp_find_unused_parameters_true"
    callbacks = [
        # After every epoch; Lightning writes checkpoints atomically (write, then rename).
        ModelCheckpoint(
            dirpath=run_dir / CHECKPOINT_DIR,
            filename=CHECKPOINT_FILE.stem,  # one file, replaced after each epoch
            enable_version_counter=False,
        ),
        InterruptionReport(),
    ]
    if logger is not None:
        callbacks.append(ImageGrids())
    if options.enable_progress_bar:
        # Redrawing the bar every step costs as much as a small model's step; the losses it
        # shows change only every log_every_n_steps anyway.
        callbacks.append(LossProgressBar(refresh_rate=options.log_every_n_steps))
    try:
        return pl.Trainer(
            **arguments,
            logger=logger if logger is not None else False,
            callbacks=callbacks,
            default_root_dir=run_dir,
        )
    except Exception as error:  # Lightning rejects impossible settings (e.g. gpu without one)
        raise UserError(f"trainer: {error}") from None
