"""The cluster command: cluster a finished run's codes again, with other settings.

It reads the run's saved codes (or re-encodes its data with the run's checkpoint when the
analysis never finished) and its own saved config, so nothing is recomposed by hand and
nothing is retrained; results go to a new folder under ``<run>/cluster/``. The run's data are
read again through its saved config: the label-free scores are measured on them and, for
images, the re-analysis draws each cluster's members and gives the Projector its thumbnails,
as training does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from genclust.analysis.stage import CodeSet, analyse_codes, format_metrics_table, plan_analysis
from genclust.commands.training import build_logger
from genclust.config.commands import ClusterConfig, TrainConfig
from genclust.config.load import validate
from genclust.data import build_datamodule
from genclust.data.datamodule import ArrayDataModule
from genclust.errors import UserError
from genclust.models import load_trained_model
from genclust.models.encode import encode_and_assign
from genclust.rundir.finished import DATAMODULE_STATE, Codes, FinishedRun
from genclust.rundir.lock import is_training
from genclust.rundir.names import CHECKPOINT_DIR, CHECKPOINT_FILE

log = logging.getLogger(__name__)


def run(config: ClusterConfig, out_dir: Path) -> dict[str, Any]:
    """Cluster, score and map the codes of the run ``config.run``; return the new metrics."""
    run = FinishedRun.open(config.run)
    trained = validate("train", run.config)
    seed = config.seed if config.seed is not None else trained.seed
    codes, datamodule = _saved_or_recomputed_codes(run, trained)
    inputs, shape = _inputs(trained, datamodule, len(codes.z))
    n_classes = None if codes.y is None else len(np.unique(codes.y))
    plan = plan_analysis(config.cluster, config.embed, n_classes, len(codes.z), seed)
    hparams = {
        **trained.model_dump(mode="json"),
        "cluster": config.cluster.model_dump(mode="json"),
        "embed": config.embed.model_dump(mode="json"),
        "seed": seed,
    }
    code_set = CodeSet(
        codes.z,
        codes.y,
        codes.label_names,
        codes.model_clusters,
        inputs,
        images=None if inputs is None or shape is None else inputs.reshape(-1, *shape),
    )
    metrics = analyse_codes(
        code_set,
        plan,
        out_dir,
        build_logger(config.logger, out_dir),
        hparams=hparams,
        extra={"run": str(run.path)},
    )
    log.info("cluster dir: %s\n%s", out_dir, format_metrics_table(metrics))  # and cluster.log
    return metrics


def _saved_or_recomputed_codes(
    run: FinishedRun, trained: TrainConfig
) -> tuple[Codes, ArrayDataModule | None]:
    """The run's codes, and its data when they had to be read to encode them again."""
    try:
        return run.codes(), None
    except UserError:
        if not (run.path / CHECKPOINT_DIR).is_dir():
            raise
    if is_training(run.path):
        raise UserError(f"{run.path} is still training; cluster it again once it has finished")
    checkpoint = run.checkpoint()  # the run died in its analysis stage: encode again
    scaling = checkpoint.get(DATAMODULE_STATE, {}).get("scaling")
    datamodule = build_datamodule(trained.data, trained.seed, scaling=scaling)
    model = load_trained_model(trained.model.name, checkpoint, run.path / CHECKPOINT_FILE)
    z, model_clusters = encode_and_assign(model, datamodule, trained.encode_batch_size)
    return Codes(z, datamodule.y, datamodule.label_names, model_clusters), datamodule


def _inputs(
    trained: TrainConfig, datamodule: ArrayDataModule | None, n_codes: int
) -> tuple[np.ndarray | None, tuple[int, ...] | None]:
    """The samples the codes encode, as read (not standardised), and their image shape (None
    when they are not images): the label-free scores are measured on them, and image data
    are drawn. (None, None) when they can no longer be read as they were: the analysis then goes
    on without those scores and pictures, and says so."""
    if datamodule is None:
        try:
            datamodule = build_datamodule(trained.data, trained.seed)
        except UserError as error:
            log.warning(
                "no label-free scores or pictures: the run's data cannot be read (%s)", error
            )
            return None, None
    if datamodule.n_samples != n_codes:
        log.warning(
            "no label-free scores or pictures: the run's data now hold %d samples, its codes %d",
            datamodule.n_samples,
            n_codes,
        )
        return None, None
    return datamodule.data.x, datamodule.image_shape
