"""The train command: data → model → Lightning fit → analysis stage, in one run dir."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities.exceptions import SIGTERMException

from genclust.analysis.gallery import PER_ROW, SAMPLES_TAG, gallery_figure, row_label
from genclust.analysis.metrics import match_clusters
from genclust.analysis.plots import publish_figure
from genclust.analysis.stage import CodeSet, analyse_codes, format_metrics_table
from genclust.commands.prepare import prepare_run
from genclust.commands.termination import Terminated
from genclust.commands.training import build_logger, build_trainer, trained_progress
from genclust.config.commands import TrainConfig
from genclust.config.load import validate
from genclust.data import ArrayDataModule
from genclust.errors import UserError
from genclust.models.base import EPOCH_SUFFIX
from genclust.models.encode import encode_and_assign
from genclust.models.loss_record import NonFiniteLossError
from genclust.rundir.finished import FinishedRun
from genclust.rundir.lock import training_lock
from genclust.rundir.names import CLUSTER_SAMPLES_FIGURE, METRICS_FILE

log = logging.getLogger(__name__)

# Unstandardised inputs beyond this magnitude can overflow a network's first step: a VAE on
# two columns of std 300 had an infinite loss at step 0, of std 100 it trained.
LARGEST_RAW_SCALE = 100.0


def run(config: TrainConfig, run_dir: Path) -> dict[str, Any]:
    """Run one experiment; return its metrics.

    With ``resume=<run dir>`` the run's own saved config is used instead, and training goes on
    from the run's last checkpoint, in that directory. The run dir is locked meanwhile: a
    second ``resume=`` of it is refused while this process lives.
    """
    with training_lock(run_dir):
        config, checkpoint = _resumed(config) if config.resume else (config, None)
        return _train(config, run_dir, checkpoint)


def _train(config: TrainConfig, run_dir: Path, checkpoint: Path | None) -> dict[str, Any]:
    pl.seed_everything(config.seed, workers=True, verbose=False)
    prepared = prepare_run(config)  # reads the data: the checks that need it come first
    datamodule, model = prepared.datamodule, prepared.model
    logger = build_logger(config.logger, run_dir)
    trainer = build_trainer(
        config.trainer,
        run_dir,
        logger,
        find_unused_parameters=model.leaves_parameters_unused,
        trains_parameters=any(parameter.requires_grad for parameter in model.parameters()),
    )

    started = time.perf_counter()
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=checkpoint)
    except SIGTERMException:  # Lightning stopped after the batch it was training
        raise Terminated(f"in epoch {trainer.current_epoch}") from None
    except NonFiniteLossError as error:
        raise _with_likely_cause(error, datamodule) from None
    train_seconds = round(time.perf_counter() - started, 3)
    if not trainer.is_global_zero:
        return {}
    epochs, steps = trained_progress(trainer)

    started = time.perf_counter()
    z, model_clusters = encode_and_assign(model, datamodule, config.encode_batch_size)
    encode_seconds = round(time.perf_counter() - started, 3)
    images = _images(datamodule)
    if images is not None and hasattr(model, "sample_cluster"):  # before analysis closes the log
        _draw_each_cluster(model, datamodule, model_clusters, run_dir, logger, config)
    metrics = analyse_codes(
        CodeSet(z, datamodule.y, datamodule.label_names, model_clusters, datamodule.data.x, images),
        prepared.plan,
        run_dir,
        logger,
        hparams=config.model_dump(mode="json"),  # the run's choices, for TensorBoard's HPARAMS
        extra={
            "train": _final_epoch_losses(trainer),
            "epochs": epochs,
            "steps": steps,
            "seconds": {"train": train_seconds, "encode": encode_seconds},
        },
        step=steps,
    )
    log.info("run dir: %s\n%s", run_dir, format_metrics_table(metrics))  # the console and train.log
    return metrics


def _resumed(config: TrainConfig) -> tuple[TrainConfig, Path | None]:
    """The config of the run ``config.resume`` names, and the checkpoint to go on from."""
    run = FinishedRun.open(config.resume)
    if (run.path / METRICS_FILE).is_file():  # it finished since the config was checked
        raise UserError(f"resume: {run.path} has finished; cluster it again with genclust cluster")
    checkpoint = run.resume_checkpoint()  # None: killed before its first epoch ended
    log.info("resuming %s from %s", run.path, checkpoint or "the start")
    return validate("train", run.config), checkpoint


def _images(datamodule) -> np.ndarray | None:
    """The samples as (n, C, H, W) images, as read (not standardised); None for other data
    and for data read through a memory map (a gallery would read it all)."""
    shape, x = datamodule.image_shape, datamodule.data.x
    return None if shape is None or not isinstance(x, np.ndarray) else x.reshape(-1, *shape)


def _draw_each_cluster(model, datamodule, model_clusters, run_dir, logger, config) -> None:
    """A row of what the model generates from each of its own clusters (VaDE, ClusterGAN),
    labelled with the class each cluster matches; seeded, so every run draws the same noise."""
    generator = torch.Generator().manual_seed(config.seed)
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
        title=f"{config.model.name} on {config.data.name}"
        " · generated from each of the model's own clusters",
    )
    writer = None if logger is None else logger.experiment
    publish_figure(figure, run_dir / CLUSTER_SAMPLES_FIGURE, SAMPLES_TAG, writer)


def _with_likely_cause(error: NonFiniteLossError, datamodule: ArrayDataModule) -> UserError:
    """The non-finite-loss error, naming the data's scale when that is the likely cause."""
    if datamodule.standardize:
        return error
    summary = datamodule.data.summary  # per-feature range, from the one pass over the data
    largest = np.maximum(np.abs(summary.minimum), np.abs(summary.maximum)).reshape(-1)
    feature = int(largest.argmax())
    if float(largest[feature]) <= LARGEST_RAW_SCALE:
        return error
    names = datamodule.data.feature_names
    where = f"column {names[feature]!r}" if names else f"feature {feature} (0-based, flattened)"
    what = str(error).split(";")[0]  # the loss, its value, step and epoch
    return UserError(
        f"{what}: the data is not standardised (data.standardize=false) and {where} reaches "
        f"{float(largest[feature]):.3g}, far from the unit scale a network starts from; set "
        "data.standardize=true (a lower model.lr does not help with this)"
    )


def _final_epoch_losses(trainer: pl.Trainer) -> dict[str, float]:
    """The last epoch's mean of every logged loss."""
    return {
        name.removesuffix(EPOCH_SUFFIX): round(float(value), 6)
        for name, value in trainer.callback_metrics.items()
        if name.endswith(EPOCH_SUFFIX)
    }
