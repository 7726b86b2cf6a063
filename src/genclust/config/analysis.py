"""The analysis sections: ``cluster`` (with its ``manifold``), ``embed`` and ``logger``.

``params`` sections are the options of the library estimator they configure (scikit-learn,
openTSNE, UMAP); that library checks them when the analysis is planned, before training.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from genclust.config.base import Options
from genclust.config.types import PositiveInt

FitMaxPoints = Annotated[int, Field(ge=2)]
MaxPoints = Annotated[int, Field(ge=2)]
OverClusterFactor = Annotated[int, Field(ge=2)]


class ManifoldOptions(Options):
    """What gets clustered: the codes (``none``) or a t-SNE / UMAP manifold of them."""

    method: Literal["none", "tsne", "umap"]
    n_components: PositiveInt = 2  # absent for method none
    params: dict[str, Any] = {}


class SelectionOptions(Options):
    """``cluster.select``: fit several candidate clusterings, keep the one the default
    label-free score (knn_modularity, on the data) ranks best. restarts 1, over_cluster null
    and without_manifold false: one fit, nothing to choose."""

    restarts: PositiveInt = 1  # seeds of the clusterer: random_state, random_state + 1, ...
    over_cluster: OverClusterFactor | None = None  # also fit f·k clusters, merged down to k
    without_manifold: bool = False  # also fit each on the codes, when a manifold is learned


class ClustererOptions(Options):
    name: str
    manifold: ManifoldOptions


class CountedClustererOptions(ClustererOptions):
    """Clusterers told how many clusters to find; ``n_clusters: null`` = the data's classes."""

    name: Literal["kmeans", "gmm", "agglomerative", "spectral"]
    n_clusters: PositiveInt | None
    fit_max_points: FitMaxPoints | None
    params: dict[str, Any]
    select: SelectionOptions = SelectionOptions()  # absent from runs saved before it existed


class DensityClustererOptions(ClustererOptions):
    """Clusterers that find the number of clusters themselves, leaving noise points out."""

    name: Literal["dbscan", "hdbscan"]
    fit_max_points: FitMaxPoints | None
    params: dict[str, Any]


class ModelClustersOptions(ClustererOptions):
    """cluster=model: a cluster-aware model's own assignment; nothing is fitted."""

    name: Literal["model"]


AnyClustererOptions = Annotated[
    CountedClustererOptions | DensityClustererOptions | ModelClustersOptions,
    Field(discriminator="name"),
]


class EmbedOptions(Options):
    """The 2-D map for the figure: t-SNE, PCA or none, of a seeded sample of the codes."""

    method: Literal["tsne", "pca", "none"]
    max_points: MaxPoints | None
    params: dict[str, Any]


class LoggerOptions(Options):
    name: Literal["tensorboard", "none"]
