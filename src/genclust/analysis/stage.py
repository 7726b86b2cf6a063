"""The analysis stage: codes → (manifold) → clusters → scores → 2-D map → files, TensorBoard.

``plan_analysis`` checks the clusterer and embedding options before any training, so a bad
option costs seconds, not a training run; ``analyse_codes`` does the work after training.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from pytorch_lightning.loggers import TensorBoardLogger
from sklearn.base import BaseEstimator

from genclust.analysis.assign import assign_clusters
from genclust.analysis.clustering import ModelClusters, build_clusterer, fit_predict
from genclust.analysis.embedding import check_embed_options, embed_2d, sample_indices
from genclust.analysis.gallery import (
    MEMBERS_TAG,
    gallery_figure,
    members_nearest_centre,
    row_label,
)
from genclust.analysis.hparams import write_session
from genclust.analysis.label_free import label_free_scores
from genclust.analysis.manifold import check_manifold_options, learn_manifold
from genclust.analysis.metrics import clustering_scores, match_clusters
from genclust.analysis.plots import embedding_figure, publish_figure
from genclust.analysis.projector import write_projector
from genclust.config.analysis import ClustererOptions, EmbedOptions
from genclust.config.metrics import ACC, LABEL_FREE_METRICS, NMI
from genclust.errors import UserError
from genclust.rundir.files import write_atomic, write_json, write_npz
from genclust.rundir.names import (
    CLUSTER_MEMBERS_FIGURE,
    CLUSTERER_FILE,
    EMBEDDING_FIGURE,
    LATENTS_FILE,
    METRICS_FILE,
    MODEL_CLUSTERS_KEY,
)

log = logging.getLogger(__name__)

CLUSTERED = "clustered"  # metrics.json: what the clusterer saw, the codes or a manifold of them
CODES = "latent codes"
MODEL = "the model's own assignment"  # metrics.json "clustered" under cluster=model
FITTED_ON = "fitted_on"  # metrics.json, large code sets: size of the sample the clusterer saw
ASSIGNED_BY = "assigned_by"  # ... and how the other codes got their cluster
EMBEDDING_TAG = "embedding"  # TensorBoard image tag of the 2-D map


@dataclass(frozen=True)
class AnalysisPlan:
    clusterer: BaseEstimator
    manifold_method: str
    manifold_dim: int
    manifold_params: Mapping[str, Any]
    embed_method: str
    embed_max_points: int | None
    embed_params: Mapping[str, Any]
    seed: int
    fit_max_points: int | None = None  # None: fit on every code

    @property
    def uses_model_clusters(self) -> bool:
        return isinstance(self.clusterer, ModelClusters)

    @property
    def reuses_manifold_as_embedding(self) -> bool:
        """A 2-D t-SNE manifold already is the t-SNE map the figure needs: don't compute twice."""
        return self.manifold_method == self.embed_method == "tsne" and self.manifold_dim == 2


def plan_analysis(
    cluster: ClustererOptions,
    embed: EmbedOptions,
    n_classes: int | None,
    n_samples: int,
    seed: int,
) -> AnalysisPlan:
    """Build the (unfitted) clusterer and check the embedding options; raise UserError if bad."""
    n_clusters = getattr(cluster, "n_clusters", None)
    n_clusters = n_classes if n_clusters is None else n_clusters
    clusterer = build_clusterer(
        cluster.name, getattr(cluster, "params", {}), n_clusters, seed, n_samples
    )
    manifold = cluster.manifold
    check_manifold_options(manifold.method, manifold.n_components, manifold.params)
    check_embed_options(embed.method, embed.max_points, embed.params)
    return AnalysisPlan(
        clusterer=clusterer,
        manifold_method=manifold.method,
        manifold_dim=manifold.n_components,
        manifold_params=manifold.params,
        embed_method=embed.method,
        embed_max_points=embed.max_points,
        embed_params=embed.params,
        seed=seed,
        fit_max_points=getattr(cluster, "fit_max_points", None),
    )


def analyse_codes(
    z: np.ndarray,
    y: np.ndarray | None,
    label_names: Sequence[str] | None,
    plan: AnalysisPlan,
    out_dir: Path,
    logger: TensorBoardLogger | None = None,
    hparams: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    model_clusters: np.ndarray | None = None,
    inputs: np.ndarray | None = None,
    images: np.ndarray | None = None,
    step: int = 0,
) -> dict[str, Any]:
    """Cluster, score and map the codes z; write latents, clusterer, figures, metrics to out_dir
    and, with a logger, to TensorBoard (figures, Projector, the run's HPARAMS session).

    ``hparams``: the run's settings (its config). ``model_clusters``: a cluster-aware model's
    own assignment of each sample; saved with the codes, and the clusters themselves under
    cluster=model. ``inputs``: the samples z encodes, as read (any per-feature scale), on which
    the label-free scores are measured; without them those scores are null. ``images``: the
    samples as (n, C, H, W) images, for image data: each cluster's members are then drawn, and
    they are the Projector's thumbnails. ``step``: where the cluster metrics go on
    TensorBoard's step axis (train: the model's final global step).
    """
    if plan.uses_model_clusters and model_clusters is None:
        raise UserError(
            "cluster=model needs a model with its own clusters (model=vade|dec|clustergan)"
        )
    seconds: dict[str, float] = {}
    # Large code sets: manifold and clusterer are fitted on a seeded sample, the rest assigned.
    fitted = sample_indices(len(z), plan.fit_max_points, plan.seed)
    with _timed(seconds, "manifold"):
        features = learn_manifold(
            z[fitted], plan.manifold_method, plan.manifold_dim, plan.seed, plan.manifold_params
        )
    with _timed(seconds, "cluster"):
        sampling: dict[str, Any] = {}
        if plan.uses_model_clusters:
            clusters = model_clusters
        else:
            codes = None if plan.manifold_method == "none" else z[fitted]
            clusters = fit_predict(plan.clusterer, features, manifold_of=codes)
        if len(fitted) < len(z):
            clusters, sampling = _assign_the_rest(z, fitted, clusters, plan)
    with _timed(seconds, "metrics"):
        matching = None if y is None else match_clusters(y, clusters)  # ACC's, and the figures'
        scores = score_clustering(z, clusters, y, inputs, plan.seed, matching)
    with _timed(seconds, "embed"):
        if plan.reuses_manifold_as_embedding:
            shown = sample_indices(len(features), plan.embed_max_points, plan.seed)
            embedding = fitted[shown], features[shown]
        else:
            embedding = embed_2d(
                z, plan.embed_method, plan.embed_max_points, plan.seed, plan.embed_params
            )

    arrays = {"z": z, "cluster": clusters}
    if y is not None:
        arrays["y"] = y
    if model_clusters is not None:
        arrays[MODEL_CLUSTERS_KEY] = model_clusters
    if label_names is not None:
        arrays["label_names"] = np.asarray(label_names, dtype=str)
    if embedding is not None:
        arrays["embedding_index"], arrays["embedding"] = embedding
    write_npz(out_dir / LATENTS_FILE, **arrays)

    what = _describe(hparams or {}, plan)
    writer = None if logger is None else logger.experiment
    if embedding is not None:
        index, coords = embedding
        figure = embedding_figure(
            coords,
            clusters[index],
            None if y is None else y[index],
            label_names,
            title=f"{what}{_label_scores(scores)}\n{plan.embed_method} of {len(z)} latent codes"
            + (f" ({len(index)} shown)" if len(index) < len(z) else ""),
            matching=matching,
        )
        publish_figure(figure, out_dir / EMBEDDING_FIGURE, EMBEDDING_TAG, writer)
    if images is not None:
        nearest = members_nearest_centre(features, clusters[fitted])
        figure = gallery_figure(
            [images[fitted[rows]] for rows in nearest.values()],
            [row_label(cluster, matching, label_names) for cluster in nearest],
            title=f"{what}{_label_scores(scores)}\n"
            f"members nearest each cluster's centre in {_space(plan)}",
        )
        publish_figure(figure, out_dir / CLUSTER_MEMBERS_FIGURE, MEMBERS_TAG, writer)
    if logger is not None:  # the Projector shows the figure's points, or as many
        shown = (
            embedding[0]
            if embedding is not None
            else sample_indices(len(z), plan.embed_max_points, plan.seed)
        )
        write_projector(
            Path(logger.log_dir),
            shown,
            z[shown],
            clusters[shown],
            None if y is None else y[shown],
            label_names,
            None if images is None else images[shown],
        )

    metrics = {
        **scores,
        "n_samples": int(len(z)),
        CLUSTERED: _what_was_clustered(plan),
        **sampling,
        **(extra or {}),
    }
    metrics["seconds"] = {**metrics.get("seconds", {}), **seconds}
    write_atomic(out_dir / CLUSTERER_FILE, lambda stream: joblib.dump(plan.clusterer, stream), True)
    write_json(out_dir / METRICS_FILE, metrics)
    if logger is not None:
        write_session(logger.experiment, hparams or {}, scores, step)
        logger.finalize("success")
    return metrics


def score_clustering(
    z: np.ndarray,
    clusters: np.ndarray,
    y: np.ndarray | None,
    inputs: np.ndarray | None,
    seed: int,
    matching: dict[int, int] | None = None,
) -> dict[str, Any]:
    """Every score of one clustering of the codes z: those of ``clustering_scores`` and the
    label-free scores measured on ``inputs`` (null without them), which rank runs of different
    models alike because every run on the same data is measured in the same space."""
    scores = clustering_scores(z, clusters, y, seed=seed, matching=matching)
    if inputs is None:
        return {**scores, **dict.fromkeys(LABEL_FREE_METRICS)}
    return {**scores, **label_free_scores(inputs, clusters, seed)}


def _assign_the_rest(
    z: np.ndarray, fitted: np.ndarray, fitted_clusters: np.ndarray, plan: AnalysisPlan
) -> tuple[np.ndarray, dict[str, Any]]:
    """Clusters of all codes, given those of the fitted sample; and what was done, for metrics."""
    rest = np.ones(len(z), dtype=bool)
    rest[fitted] = False
    clusters = np.empty(len(z), dtype=np.int64)
    clusters[fitted] = fitted_clusters
    clusters[rest], rule = assign_clusters(
        plan.clusterer, plan.manifold_method == "none", z[fitted], fitted_clusters, z[rest]
    )
    return clusters, {FITTED_ON: int(len(fitted)), ASSIGNED_BY: rule}


def _describe(hparams: Mapping[str, Any], plan: AnalysisPlan) -> str:
    """``vae on digits · kmeans on a tsne map of the codes``: model, data, clusterer, space."""
    names = {key: (hparams.get(key) or {}).get("name") for key in ("model", "data", "cluster")}
    run = f"{names['model']} on {names['data']} · " if names["model"] and names["data"] else ""
    if plan.uses_model_clusters:
        return f"{run}the model's own clusters"
    return f"{run}{names['cluster'] or type(plan.clusterer).__name__} on {_space(plan)}"


def _space(plan: AnalysisPlan) -> str:
    """Where the clusters were found: the codes, or a manifold of them."""
    if plan.manifold_method == "none":
        return f"the {CODES}"
    return f"a {plan.manifold_method} map of the codes"


def _label_scores(scores: Mapping[str, Any]) -> str:
    """`` · ACC 0.903 · NMI 0.851`` when labels exist, else nothing."""
    return "".join(f" · {name.upper()} {scores[name]:.3f}" for name in (ACC, NMI) if name in scores)


def _what_was_clustered(plan: AnalysisPlan) -> str:
    if plan.uses_model_clusters:
        return MODEL
    return plan.manifold_method if plan.manifold_method != "none" else CODES


class _timed:
    """Context manager that logs a stage and stores its wall time in ``seconds[name]``."""

    def __init__(self, seconds: dict[str, float], name: str) -> None:
        self.seconds, self.name = seconds, name

    def __enter__(self) -> None:
        log.info("analysis: %s ...", self.name)
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = round(time.perf_counter() - self.start, 3)


def format_metrics_table(metrics: Mapping[str, Any]) -> str:
    """The top-level numbers of ``metrics`` and the stage times as an aligned two-column table."""
    rows = [(k, _format(v)) for k, v in metrics.items() if not isinstance(v, Mapping)]
    rows += [(f"seconds.{k}", f"{v:.1f}") for k, v in metrics.get("seconds", {}).items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _format(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
