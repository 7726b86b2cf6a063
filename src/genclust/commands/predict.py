"""The predict command: assign clusters to new data with a finished run's encoder and clusterer.

New data is standardised with the training data's statistics (kept in the checkpoint), encoded
by the trained model, then labelled by the run's clusterer (``LatentClusterer.predict``): by the
fitted clusterer's own ``predict`` where that is faithful, else by the majority of the
``neighbors`` nearest codes the clusterer was fitted on; under cluster=model, by the model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from genclust.analysis.latent_clusterer import LatentClusterer
from genclust.analysis.saved_clusterer import load_clusterer
from genclust.analysis.stage import format_metrics_table, score_clustering
from genclust.config.commands import PredictConfig
from genclust.config.load import validate
from genclust.data import build_datamodule
from genclust.errors import UserError
from genclust.models import load_trained_model
from genclust.models.encode import encode_and_assign
from genclust.rundir.files import write_atomic, write_json, write_npy
from genclust.rundir.finished import DATAMODULE_STATE, FinishedRun
from genclust.rundir.names import (
    CHECKPOINT_FILE,
    CLUSTER_DIR,
    CLUSTERER_FILE,
    LATENTS_FILE,
    METRICS_FILE,
)

log = logging.getLogger(__name__)

PREDICTIONS_CSV = "predictions.csv"
PREDICTIONS_NPY = "predictions.npy"


def run(config: PredictConfig, out_dir: Path) -> dict[str, Any]:
    """Write the cluster of every sample of ``config.data`` into a new folder of the run."""
    run = FinishedRun.open(config.run)
    trained = validate("train", run.config)
    clustering_dir = _clustering_dir(run, config.clustering)
    checkpoint = run.checkpoint()
    model = load_trained_model(trained.model.name, checkpoint, run.path / CHECKPOINT_FILE)

    data = config.data.model_copy(update={"standardize": trained.data.standardize})
    scaling = checkpoint.get(DATAMODULE_STATE, {}).get("scaling")
    datamodule = build_datamodule(data, trained.seed, scaling=scaling)
    if datamodule.input_shape != model.input_shape:
        raise UserError(
            f"the new data's samples have shape {datamodule.input_shape}, but the run's model "
            f"was trained on samples of shape {model.input_shape}"
        )
    clusterer = load_clusterer(clustering_dir)
    if isinstance(clusterer, LatentClusterer):
        clusterer.set_params(neighbors=config.neighbors)
    z, model_clusters = encode_and_assign(model, datamodule, data.batch_size)
    clusters = clusterer.predict(z, model_clusters)
    rule = clusterer.assigns_by

    write_npy(out_dir / PREDICTIONS_NPY, clusters)
    rows = "".join(f"{i},{c}\n" for i, c in enumerate(clusters))
    write_atomic(out_dir / PREDICTIONS_CSV, lambda stream: stream.write("row,cluster\n" + rows))
    summary = {"n_samples": int(len(z)), "assigned_by": rule, "clustering": str(clustering_dir)}
    # The predictions' scores: label-free always, against the labels when the new data have them.
    summary.update(score_clustering(z, clusters, datamodule.y, datamodule.data.x, trained.seed))
    write_json(out_dir / METRICS_FILE, summary)
    log.info("predictions: %s\n%s", out_dir / PREDICTIONS_CSV, format_metrics_table(summary))
    return summary


def _clustering_dir(run: FinishedRun, name: str | None) -> Path:
    directory = run.path if name is None else run.path / CLUSTER_DIR / name
    if not (directory / CLUSTERER_FILE).is_file() or not (directory / LATENTS_FILE).is_file():
        raise UserError(
            f"{directory} holds no finished clustering ({CLUSTERER_FILE}, {LATENTS_FILE}); "
            f"choose one with clustering=<folder under the run's {CLUSTER_DIR}/>"
        )
    return directory
