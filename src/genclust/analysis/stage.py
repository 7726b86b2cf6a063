"""The analysis stage: codes → (manifold) → clusters → scores → 2-D map → files, TensorBoard.

``plan_analysis`` checks the clusterer and embedding options before any training, so a bad
option costs seconds, not a training run; ``analyse_codes`` does the work after training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from pytorch_lightning.loggers import TensorBoardLogger
from sklearn.base import clone

from genclust.analysis.clustering import MODEL_CLUSTERS, build_clusterer
from genclust.analysis.embedding import check_embed_options, embed_2d, sample_indices
from genclust.analysis.gallery import (
    MEMBERS_TAG,
    gallery_figure,
    members_nearest_centre,
    row_label,
)
from genclust.analysis.hparams import write_session
from genclust.analysis.label_free import label_free_scores
from genclust.analysis.latent_clusterer import CodeClusterer, LatentClusterer, ModelClusters
from genclust.analysis.manifold import check_manifold_options
from genclust.analysis.metrics import clustering_scores, match_clusters
from genclust.analysis.plots import embedding_figure, publish_figure
from genclust.analysis.projector import write_projector
from genclust.analysis.selection import check_selection
from genclust.analysis.timing import timed
from genclust.config.analysis import ClustererOptions, EmbedOptions, SelectionOptions
from genclust.config.metrics import ACC, LABEL_FREE_METRICS, NMI
from genclust.rundir.files import write_atomic, write_json, write_npz
from genclust.rundir.names import (
    CLUSTER_MEMBERS_FIGURE,
    CLUSTERER_FILE,
    EMBEDDING_FIGURE,
    LATENTS_FILE,
    METRICS_FILE,
    MODEL_CLUSTERS_KEY,
)

EMBEDDING_TAG = "embedding"  # TensorBoard image tag of the 2-D map


@dataclass(frozen=True)
class CodeSet:
    """What the analysis gets: the codes ``z`` and what is known of the samples they encode.

    ``y``, ``label_names``: the true classes, when known. ``model_clusters``: a cluster-aware
    model's own assignment of each sample; saved with the codes, and the clusters themselves
    under cluster=model. ``inputs``: the samples as read (any per-feature scale), on which the
    label-free scores are measured (without them those scores are null) and on which
    ``cluster.select`` ranks its candidates. ``images``: the samples as (n, C, H, W) images, for
    image data: each cluster's members are then drawn, and they are the Projector's thumbnails.
    """

    z: np.ndarray
    y: np.ndarray | None = None
    label_names: Sequence[str] | None = None
    model_clusters: np.ndarray | None = None
    inputs: np.ndarray | None = None
    images: np.ndarray | None = None


@dataclass(frozen=True)
class AnalysisPlan:
    clusterer: CodeClusterer  # unfitted; analyse_codes fits a clone
    embed_method: str
    embed_max_points: int | None
    embed_params: Mapping[str, Any]
    seed: int

    @property
    def reuses_manifold_as_embedding(self) -> bool:
        """A 2-D t-SNE manifold already is the t-SNE map the figure needs: don't compute twice."""
        return self.embed_method == "tsne" and self.clusterer.learns_a_2d_tsne_map


def plan_analysis(
    cluster: ClustererOptions,
    embed: EmbedOptions,
    n_classes: int | None,
    n_samples: int,
    seed: int,
) -> AnalysisPlan:
    """Build the (unfitted) clusterer and check the embedding options; raise UserError if bad."""
    clusterer = build_code_clusterer(cluster, n_classes, n_samples, seed)
    check_embed_options(embed.method, embed.max_points, embed.params)
    return AnalysisPlan(
        clusterer=clusterer,
        embed_method=embed.method,
        embed_max_points=embed.max_points,
        embed_params=embed.params,
        seed=seed,
    )


def build_code_clusterer(
    cluster: ClustererOptions, n_classes: int | None, n_samples: int | None, seed: int
) -> LatentClusterer | ModelClusters:
    """The unfitted clusterer of codes that ``cluster`` describes; UserError if it is bad.
    ``n_classes``: the data's, for ``n_clusters: null``; ``n_samples``: how many codes."""
    if cluster.name == MODEL_CLUSTERS:
        return ModelClusters()
    n_clusters = getattr(cluster, "n_clusters", None)
    n_clusters = n_classes if n_clusters is None else n_clusters
    clusterer = build_clusterer(cluster.name, cluster.params, n_clusters, seed, n_samples)
    manifold = cluster.manifold
    check_manifold_options(manifold.method, manifold.n_components, manifold.params)
    select = getattr(cluster, "select", None) or SelectionOptions()
    check_selection(clusterer, select.restarts, select.over_cluster, n_samples)
    return LatentClusterer(
        clusterer,
        manifold=manifold.method,
        manifold_dim=manifold.n_components,
        manifold_params=manifold.params,
        fit_max_points=cluster.fit_max_points,
        seed=seed,
        restarts=select.restarts,
        over_cluster=select.over_cluster,
        without_manifold=select.without_manifold,
    )


def analyse_codes(
    codes: CodeSet,
    plan: AnalysisPlan,
    out_dir: Path,
    logger: TensorBoardLogger | None = None,
    hparams: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    step: int = 0,
) -> dict[str, Any]:
    """Cluster, score and map the codes; write latents, clusterer, figures, metrics to out_dir
    and, with a logger, to TensorBoard (figures, Projector, the run's HPARAMS session).

    ``hparams``: the run's settings (its config). ``step``: where the cluster metrics go on
    TensorBoard's step axis (train: the model's final global step).
    """
    z, y, label_names, images = codes.z, codes.y, codes.label_names, codes.images
    clusterer = clone(plan.clusterer).fit(z, codes.inputs, codes.model_clusters)
    clusters, fitted, features = clusterer.labels_, clusterer.sample_, clusterer.features_
    seconds = dict(clusterer.seconds_)
    with timed(seconds, "metrics"):
        matching = None if y is None else match_clusters(y, clusters)  # ACC's, and the figures'
        scores = score_clustering(z, clusters, y, codes.inputs, plan.seed, matching)
    with timed(seconds, "embed"):
        if plan.reuses_manifold_as_embedding:
            tsne_map = clusterer.manifold_map_
            shown = sample_indices(len(tsne_map), plan.embed_max_points, plan.seed)
            embedding = fitted[shown], tsne_map[shown]
        else:
            embedding = embed_2d(
                z, plan.embed_method, plan.embed_max_points, plan.seed, plan.embed_params
            )

    arrays = {"z": z, "cluster": clusters}
    if y is not None:
        arrays["y"] = y
    if codes.model_clusters is not None:
        arrays[MODEL_CLUSTERS_KEY] = codes.model_clusters
    if label_names is not None:
        arrays["label_names"] = np.asarray(label_names, dtype=str)
    if embedding is not None:
        arrays["embedding_index"], arrays["embedding"] = embedding
    write_npz(out_dir / LATENTS_FILE, **arrays)

    what = _describe(hparams or {}, clusterer)
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
            f"members nearest each cluster's centre in {clusterer.space()}",
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
        **clusterer.record_,  # what was clustered, how a sample was extended, what was chosen
        **(extra or {}),
    }
    metrics["seconds"] = {**metrics.get("seconds", {}), **seconds}
    write_atomic(out_dir / CLUSTERER_FILE, lambda stream: joblib.dump(clusterer, stream), True)
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


def _describe(hparams: Mapping[str, Any], clusterer: CodeClusterer) -> str:
    """``vae on digits · kmeans on a tsne map of the codes``: model, data, clusterer, space."""
    names = {key: (hparams.get(key) or {}).get("name") for key in ("model", "data", "cluster")}
    run = f"{names['model']} on {names['data']} · " if names["model"] and names["data"] else ""
    return run + clusterer.describe(names["cluster"])


def _label_scores(scores: Mapping[str, Any]) -> str:
    """`` · ACC 0.903 · NMI 0.851`` when labels exist, else nothing."""
    return "".join(f" · {name.upper()} {scores[name]:.3f}" for name in (ACC, NMI) if name in scores)


def format_metrics_table(metrics: Mapping[str, Any]) -> str:
    """The top-level numbers of ``metrics`` and the stage times as an aligned two-column table."""
    rows = [(k, _format(v)) for k, v in metrics.items() if not isinstance(v, Mapping)]
    rows += [(f"seconds.{k}", f"{v:.1f}") for k, v in metrics.get("seconds", {}).items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _format(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
