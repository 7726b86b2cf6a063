"""The predict command: assign clusters to new data with a finished run's encoder and clusterer.

New data is standardised with the training data's statistics (kept in the checkpoint), encoded
by the trained model, then labelled as analysis.assign describes: by the fitted clusterer's own
``predict`` where that is faithful, else by the majority of the ``neighbors`` nearest codes the
clusterer was fitted on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator

from genclust.analysis.assign import assign_clusters
from genclust.analysis.clustering import ModelClusters
from genclust.analysis.encode import assign_all, encode_all
from genclust.analysis.metrics import clustering_scores
from genclust.analysis.stage import CLUSTERED, CODES, format_metrics_table
from genclust.data import build_datamodule
from genclust.errors import UserError
from genclust.files import write_atomic, write_json
from genclust.layout import ANALYSIS_DIR, CLUSTERER_FILE, LATENTS_FILE, METRICS_FILE
from genclust.runs import DATAMODULE_STATE, FinishedRun

PREDICTIONS_CSV = "predictions.csv"
PREDICTIONS_NPY = "predictions.npy"


def predict(cfg: DictConfig) -> dict[str, Any]:
    """Write the cluster of every sample of ``cfg.data`` into a new folder of the run."""
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    options = OmegaConf.to_container(cfg, resolve=True)
    run = FinishedRun.open(options["run"])
    analysis_dir = _analysis_dir(run, options["analysis"])
    checkpoint = run.checkpoint()
    model = run.model(checkpoint)

    data_cfg = {**options["data"], "standardize": run.config["data"]["standardize"]}
    scaling = checkpoint.get(DATAMODULE_STATE, {}).get("scaling")
    datamodule = build_datamodule(data_cfg, run.config["seed"], scaling=scaling)
    if datamodule.input_shape != model.input_shape:
        raise UserError(
            f"the new data's samples have shape {datamodule.input_shape}, but the run's model "
            f"was trained on samples of shape {model.input_shape}"
        )
    z = encode_all(model, datamodule.ordered_batches(options["batch_size"]))
    clusterer = joblib.load(analysis_dir / CLUSTERER_FILE)
    if isinstance(clusterer, ModelClusters):
        clusters = assign_all(model, datamodule.ordered_batches(options["batch_size"]))
        rule = "the model's own assignment"
    else:
        clusters, rule = _assign(clusterer, z, analysis_dir, options["neighbors"])

    np.save(out_dir / PREDICTIONS_NPY, clusters)
    rows = "".join(f"{i},{c}\n" for i, c in enumerate(clusters))
    write_atomic(out_dir / PREDICTIONS_CSV, lambda stream: stream.write("row,cluster\n" + rows))
    summary = {"n_samples": int(len(z)), "assigned_by": rule, "analysis": str(analysis_dir)}
    if datamodule.y is not None:  # labelled new data: score the predictions too
        summary.update(clustering_scores(z, clusters, datamodule.y, seed=run.config["seed"]))
    write_json(out_dir / METRICS_FILE, summary)
    print(f"\npredictions: {out_dir / PREDICTIONS_CSV}\n{format_metrics_table(summary)}")
    return summary


def _analysis_dir(run: FinishedRun, name: str | None) -> Path:
    directory = run.path if name is None else run.path / ANALYSIS_DIR / name
    if not (directory / CLUSTERER_FILE).is_file() or not (directory / LATENTS_FILE).is_file():
        raise UserError(
            f"{directory} holds no finished analysis ({CLUSTERER_FILE}, {LATENTS_FILE}); "
            "choose one with analysis=<folder under the run's analysis/>"
        )
    return directory


def _assign(
    clusterer: BaseEstimator, z: np.ndarray, analysis_dir: Path, neighbors: int
) -> tuple[np.ndarray, str]:
    """Clusters of the codes z by a fitted clusterer, and the rule that gave them."""
    metrics = json.loads((analysis_dir / METRICS_FILE).read_text())
    with np.load(analysis_dir / LATENTS_FILE) as saved:
        train_z, train_clusters = saved["z"], saved["cluster"]
    if neighbors < 1 or neighbors > len(train_z):
        raise UserError(f"neighbors must be between 1 and {len(train_z)} (got {neighbors})")
    clustered_codes = metrics.get(CLUSTERED) == CODES
    return assign_clusters(clusterer, clustered_codes, train_z, train_clusters, z, neighbors)
