"""The train command: data → model → Lightning fit → analysis stage, in one run dir."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from genclust.analysis.stage import analyse_codes, format_metrics_table
from genclust.commands.prepare import prepare_run
from genclust.commands.training import build_logger, build_trainer
from genclust.config.commands import TrainConfig
from genclust.config.load import validate
from genclust.models.base import EPOCH_SUFFIX
from genclust.models.encode import encode_and_assign
from genclust.rundir.finished import FinishedRun
from genclust.rundir.names import CHECKPOINT_FILE

log = logging.getLogger(__name__)


def run(config: TrainConfig, run_dir: Path) -> dict[str, Any]:
    """Run one experiment; return its metrics.

    With ``resume=<run dir>`` the run's own saved config is used instead, and training goes on
    from the run's last checkpoint, in that directory.
    """
    config, checkpoint = _resumed(config) if config.resume else (config, None)
    pl.seed_everything(config.seed, workers=True, verbose=False)
    prepared = prepare_run(config)  # reads the data: the checks that need it come first
    datamodule, model = prepared.datamodule, prepared.model
    logger = build_logger(config.logger, run_dir)
    trainer = build_trainer(
        config.trainer, run_dir, logger, find_unused_parameters=model.leaves_parameters_unused
    )

    started = time.perf_counter()
    trainer.fit(model, datamodule=datamodule, ckpt_path=checkpoint)
    train_seconds = round(time.perf_counter() - started, 3)
    if not trainer.is_global_zero:
        return {}

    started = time.perf_counter()
    z, model_clusters = encode_and_assign(model, datamodule, config.encode_batch_size)
    encode_seconds = round(time.perf_counter() - started, 3)
    metrics = analyse_codes(
        z,
        datamodule.y,
        datamodule.label_names,
        prepared.plan,
        run_dir,
        logger,
        hparams=config.model_dump(mode="json"),  # the run's choices, for TensorBoard's HPARAMS
        extra={
            "train": _final_epoch_losses(trainer),
            "epochs": trainer.current_epoch,
            "steps": trainer.global_step,
            "seconds": {"train": train_seconds, "encode": encode_seconds},
        },
        model_clusters=model_clusters,
        step=trainer.global_step,
    )
    print(f"\nrun dir: {run_dir}\n{format_metrics_table(metrics)}")
    return metrics


def _resumed(config: TrainConfig) -> tuple[TrainConfig, Path | None]:
    """The config of the run ``config.resume`` names, and its last checkpoint (if any)."""
    run = FinishedRun.open(config.resume)  # unfinished: the config check made sure
    checkpoint = run.path / CHECKPOINT_FILE
    checkpoint = checkpoint if checkpoint.is_file() else None  # killed before epoch 1 ended
    log.info("resuming %s from %s", run.path, checkpoint or "the start")
    return validate("train", run.config), checkpoint


def _final_epoch_losses(trainer: pl.Trainer) -> dict[str, float]:
    """The last epoch's mean of every logged loss."""
    return {
        name.removesuffix(EPOCH_SUFFIX): round(float(value), 6)
        for name, value in trainer.callback_metrics.items()
        if name.endswith(EPOCH_SUFFIX)
    }
