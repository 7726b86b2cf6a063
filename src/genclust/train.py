"""The train command: data → model → Lightning fit → analysis stage, in one run dir."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger

from genclust.analysis.encode import encode_and_assign
from genclust.analysis.gallery import PER_ROW, SAMPLES_TAG, gallery_figure, row_label
from genclust.analysis.metrics import match_clusters
from genclust.analysis.plots import publish_figure
from genclust.analysis.run_logger import RunDirLogger
from genclust.analysis.stage import analyse_codes, format_metrics_table
from genclust.errors import UserError
from genclust.interruption import InterruptionReport
from genclust.layout import CHECKPOINT_DIR, CHECKPOINT_FILE, CLUSTER_SAMPLES_FIGURE, METRICS_FILE
from genclust.models.base import EPOCH_SUFFIX
from genclust.preflight import check_logger, check_train_config, resolve_config
from genclust.runs import FinishedRun
from genclust.validation import check_arguments

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run one experiment described by the composed config; return its metrics.

    With ``resume=<run dir>`` the run's own saved config is used instead, and training goes on
    from the run's last checkpoint, in that directory.
    """
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    options = resolve_config(cfg)
    checkpoint = None
    if options.get("resume"):
        run = FinishedRun.open(options["resume"])
        if (run.path / METRICS_FILE).is_file():
            raise UserError(f"{run.path} has finished; re-analyse it with genclust cluster")
        options, checkpoint = run.config, run.path / CHECKPOINT_FILE
        checkpoint = checkpoint if checkpoint.is_file() else None  # killed before epoch 1 ended
        log.info("resuming %s from %s", run.path, checkpoint or "the start")
    pl.seed_everything(options["seed"], workers=True, verbose=False)

    # Everything that can be wrong with the input is checked here, before training starts.
    checked = check_train_config(options)
    datamodule, model, plan = checked.datamodule, checked.model, checked.plan
    logger = build_logger(options["logger"]["name"], run_dir)
    trainer = build_trainer(
        options["trainer"], run_dir, logger, find_unused_parameters=model.leaves_parameters_unused
    )

    started = time.perf_counter()
    trainer.fit(model, datamodule=datamodule, ckpt_path=checkpoint)
    train_seconds = round(time.perf_counter() - started, 3)
    if not trainer.is_global_zero:
        return {}

    started = time.perf_counter()
    z, model_clusters = encode_and_assign(model, datamodule, options["encode_batch_size"])
    encode_seconds = round(time.perf_counter() - started, 3)
    images = _images(datamodule)
    if images is not None and hasattr(model, "sample_cluster"):  # before analysis closes the log
        _draw_each_cluster(model, datamodule, model_clusters, run_dir, logger, options)
    metrics = analyse_codes(
        z,
        datamodule.y,
        datamodule.label_names,
        plan,
        run_dir,
        logger,
        hparams=options,  # every choice that defines the run, for TensorBoard's HPARAMS tab
        extra={
            "train": _final_epoch_losses(trainer),
            "epochs": trainer.current_epoch,
            "steps": trainer.global_step,
            "seconds": {"train": train_seconds, "encode": encode_seconds},
        },
        model_clusters=model_clusters,
        images=images,
    )
    print(f"\nrun dir: {run_dir}\n{format_metrics_table(metrics)}")
    return metrics


def build_logger(name: str, run_dir: Path) -> TensorBoardLogger | None:
    check_logger(name)
    if name == "none":
        return None
    return RunDirLogger(run_dir)


def build_trainer(
    trainer_cfg: dict[str, Any],
    run_dir: Path,
    logger: TensorBoardLogger | None,
    find_unused_parameters: bool = False,
) -> pl.Trainer:
    check_arguments(pl.Trainer, trainer_cfg, "trainer")
    if find_unused_parameters and trainer_cfg.get("strategy") == "ddp":
        trainer_cfg = {**trainer_cfg, "strategy": "ddp_find_unused_parameters_true"}
    callbacks = [
        # After every epoch; Lightning writes checkpoints atomically (write, then rename).
        ModelCheckpoint(
            dirpath=run_dir / CHECKPOINT_DIR,
            filename=CHECKPOINT_FILE.stem,  # one file, replaced after each epoch
            enable_version_counter=False,
        ),
        InterruptionReport(),
    ]
    if trainer_cfg.get("enable_progress_bar", True):
        # Redrawing the bar every step costs as much as a small model's step; the losses it
        # shows change only every log_every_n_steps anyway.
        callbacks.append(TQDMProgressBar(refresh_rate=trainer_cfg.get("log_every_n_steps") or 1))
    try:
        return pl.Trainer(
            **trainer_cfg,
            logger=logger if logger is not None else False,
            callbacks=callbacks,
            default_root_dir=run_dir,
        )
    except Exception as error:  # Lightning rejects impossible settings (e.g. gpu without one)
        raise UserError(f"trainer: {error}") from None


def _images(datamodule) -> np.ndarray | None:
    """The samples as (n, C, H, W) images, as read (not standardised); None for other data."""
    shape = datamodule.image_shape
    return None if shape is None else datamodule.data.x.reshape(-1, *shape)


def _draw_each_cluster(model, datamodule, model_clusters, run_dir, logger, options) -> None:
    """A row of what the model generates from each of its own clusters (VaDE, ClusterGAN),
    labelled with the class each cluster matches; seeded, so every run draws the same noise."""
    generator = torch.Generator().manual_seed(options["seed"])
    model.eval()
    with torch.no_grad():
        rows = [
            model.sample_cluster(k, PER_ROW, generator).float().cpu().numpy()
            for k in range(model.n_clusters)
        ]
    shape = datamodule.image_shape
    matching = None if datamodule.y is None else match_clusters(datamodule.y, model_clusters)
    figure = gallery_figure(
        [row.reshape(-1, *shape) for row in rows],
        [row_label(k, matching, datamodule.label_names) for k in range(model.n_clusters)],
        title=f"{options['model']['name']} on {options['data']['name']}"
        " · generated from each of the model's own clusters",
    )
    writer = None if logger is None else logger.experiment
    publish_figure(figure, run_dir / CLUSTER_SAMPLES_FIGURE, SAMPLES_TAG, writer)


def _final_epoch_losses(trainer: pl.Trainer) -> dict[str, float]:
    """The last epoch's mean of every logged loss."""
    return {
        name.removesuffix(EPOCH_SUFFIX): round(float(value), 6)
        for name, value in trainer.callback_metrics.items()
        if name.endswith(EPOCH_SUFFIX)
    }
