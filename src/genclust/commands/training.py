"""The Lightning Trainer and logger a run trains with, built from the checked config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger
from pytorch_lightning.plugins.environments import SLURMEnvironment
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.strategies.launchers.multiprocessing import _MultiProcessingLauncher
from pytorch_lightning.utilities import rank_zero_only

from genclust.commands.checkpoints import AtomicCheckpointIO, LastCheckpoint
from genclust.commands.image_grids import ImageGrids
from genclust.commands.interruption import Interruption
from genclust.config.analysis import LoggerOptions
from genclust.config.trainer import TrainerOptions
from genclust.errors import UserError
from genclust.rundir.names import CHECKPOINT_FILE


class RunDirLogger(TensorBoardLogger):
    """TensorBoard events straight in the run dir.

    TensorBoard names a run by the folder of its event files, relative to ``--logdir``; with the
    events in the run dir itself, a sweep member shows as ``<sweep>/3_model=gan,seed=0``, with
    no constant suffix. A `genclust cluster` result writes into its own folder.
    """

    def __init__(self, run_dir: Path) -> None:
        super().__init__(save_dir=run_dir, name="", version="", default_hp_metric=False)

    @rank_zero_only
    def save(self) -> None:
        # Lightning's would add an hparams.yaml; the run's .hydra/config.yaml already says it all.
        self.experiment.flush()


def build_logger(options: LoggerOptions, run_dir: Path) -> RunDirLogger | None:
    return None if options.name == "none" else RunDirLogger(run_dir)


class LossProgressBar(TQDMProgressBar):
    """Lightning's progress bar, showing the model's last logged step loss, which the model
    keeps as a number rather than hand to ``self.log`` (see GenerativeModel.log_losses)."""

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict:
        return {**super().get_metrics(trainer, pl_module), **pl_module.progress_losses}

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        # Lightning's draws the bar twice per update, once for the count, once for the losses.
        bar, done = self.train_progress_bar, batch_idx + 1
        if not self.is_enabled or bar.disable or (done % self.refresh_rate and done != bar.total):
            return
        bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        bar.n = done
        bar.refresh()


def build_trainer(
    options: TrainerOptions,
    run_dir: Path,
    logger: RunDirLogger | None,
    find_unused_parameters: bool = False,
    trains_parameters: bool = True,
) -> pl.Trainer:
    """The run's Trainer. ``find_unused_parameters``: the model leaves some parameters without
    gradient in a backward pass, which DDP must be told however several devices were asked for
    (``trainer=ddp``, ``trainer.devices=N`` with strategy auto, ``trainer.strategy=ddp_spawn``).
    A model that trains no parameters (raw) runs in one process: DDP has nothing to share."""
    if not trains_parameters:
        options = options.model_copy(update={"devices": 1, "num_nodes": 1, "strategy": "auto"})
    strategy = options.strategy
    if find_unused_parameters and strategy in _DDP_LAUNCHERS:
        strategy = f"{strategy}_find_unused_parameters_true"
    trainer = _trainer(options, strategy, run_dir, logger)
    if find_unused_parameters and strategy == "auto" and isinstance(trainer.strategy, DDPStrategy):
        # Several devices: "auto" chose DDP, as "ddp" would have (Lightning's choice outside
        # notebooks); build it again with the detection on.
        trainer = _trainer(options, "ddp_find_unused_parameters_true", run_dir, logger)
    return trainer


# Lightning's DDP strategies by launcher; each has a <name>_find_unused_parameters_true twin.
_DDP_LAUNCHERS = ("ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")


def _trainer(
    options: TrainerOptions, strategy: str, run_dir: Path, logger: RunDirLogger | None
) -> pl.Trainer:
    arguments = {**options.model_dump(), "strategy": strategy}
    callbacks = [
        # After every epoch, written by AtomicCheckpointIO (beside last.ckpt, then renamed).
        LastCheckpoint(run_dir / CHECKPOINT_FILE),
        Interruption(),
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
            plugins=_plugins(),
            default_root_dir=run_dir,
        )
    except Exception as error:  # Lightning rejects impossible settings (e.g. gpu without one)
        raise UserError(f"trainer: {error}") from None


def trained_progress(trainer: pl.Trainer) -> tuple[int, int]:
    """Epochs and steps (batches) trained, as the fit that just returned left them.

    A spawning launcher (``ddp_spawn``, ``ddp_fork``) trains in worker processes and hands this
    one the weights and metrics only, not the loops' counts; rank 0's last checkpoint has them.
    """
    checkpoint_path = getattr(trainer.checkpoint_callback, "path", None)
    spawned = isinstance(trainer.strategy.launcher, _MultiProcessingLauncher)
    if spawned and checkpoint_path is not None and checkpoint_path.is_file():
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        return checkpoint["epoch"] + 1, checkpoint["global_step"]
    return trainer.current_epoch, trainer.global_step


def _plugins() -> list:
    plugins: list = [AtomicCheckpointIO()]
    if SLURMEnvironment.detect():
        # Lightning's auto-requeue (a checkpoint and `scontrol requeue` on SIGUSR1) would start
        # the job's command again, and `genclust train` makes a new run dir, so it would train
        # from scratch. Off: SIGTERM stops the run with its resume command (termination.py).
        plugins.append(SLURMEnvironment(auto_requeue=False))
    return plugins
